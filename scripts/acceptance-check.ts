// `node bin/run-ts.mjs scripts/acceptance-check.ts SUMMARY.json... [--dataset testbed-arith]`: checks eval
// summaries against the end-to-end acceptance criteria and the instrument's (issue 14) and prints markdown
// tables (exit 1 if one fails).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../src/errors.ts';
import { checkAcceptance, DEFAULT_ACCEPTANCE, formatAcceptance } from '../src/pipeline/eval/acceptance.ts';
import { checkInstrument, formatInstrument, instrumentPassed } from '../src/pipeline/eval/instrument.ts';
import type { EvalSummary } from '../src/pipeline/eval/summary.ts';

const program = new Command('acceptance-check')
  .argument('<summaries...>', 'summary.json files written by lynx-exit eval')
  .option('--dataset <name>', 'the family the probe was calibrated on', DEFAULT_ACCEPTANCE.dataset)
  .parse();
const files = program.args;
const criteria = { ...DEFAULT_ACCEPTANCE, dataset: program.opts<{ dataset: string }>().dataset };
/** Reads one summary, or throws a UserError naming the file. */
function readSummary(file: string): EvalSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const s = JSON.parse(text) as EvalSummary;
    if (!Array.isArray(s?.groups)) throw new Error('it has no "groups" list');
    return s;
  } catch (err) {
    throw new UserError(`${file} is not an eval summary.json: ${(err as Error).message}`);
  }
}

try {
  const summaries = files.map(readSummary);
  const report = checkAcceptance(summaries, criteria);
  console.log(formatAcceptance(report, criteria));
  const instrument = checkInstrument(summaries);
  console.log(`\n${formatInstrument(instrument)}`);
  const passed =
    report.savingMet && report.prematureMet && report.wallClockMet && instrumentPassed(instrument);
  process.exitCode = passed ? 0 : 1;
} catch (err) {
  // Bad input is one line and exit 2 (1 means a criterion failed); anything else is a bug, with its stack.
  if (!(err instanceof UserError)) throw err;
  console.error(`acceptance-check: ${err.message}`);
  process.exitCode = err.exitCode;
}
