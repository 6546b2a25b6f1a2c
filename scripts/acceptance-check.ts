// `node bin/run-ts.mjs scripts/acceptance-check.ts SUMMARY.json... [--dataset testbed-arith]`: checks eval
// summaries against the end-to-end acceptance criteria and prints a markdown table (exit 1 if one fails).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { checkAcceptance, DEFAULT_ACCEPTANCE, formatAcceptance } from '../src/pipeline/eval/acceptance.ts';
import type { EvalSummary } from '../src/pipeline/eval/summary.ts';

const program = new Command('acceptance-check')
  .argument('<summaries...>', 'summary.json files written by lynx-exit eval')
  .option('--dataset <name>', 'the family the probe was calibrated on', DEFAULT_ACCEPTANCE.dataset)
  .parse();
const files = program.args;
const criteria = { ...DEFAULT_ACCEPTANCE, dataset: program.opts<{ dataset: string }>().dataset };
const summaries = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as EvalSummary);
const report = checkAcceptance(summaries, criteria);
console.log(formatAcceptance(report, criteria));
process.exitCode = report.savingMet && report.prematureMet && report.wallClockMet ? 0 : 1;
