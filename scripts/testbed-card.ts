// `npm run testbed:card [-- --model FILE --limit N]`: measures the committed testbed model's properties
// (accuracy, cues per trace, earliest correct exit, wrong-exit rate) on held-out problems of each family.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import { percent } from '../src/pipeline/format.ts';
import { measureTestbed, type TestbedCardRow } from '../src/pipeline/testbedCard.ts';

const program = new Command('testbed:card')
  .option('--model <file>', 'testbed GGUF', 'models/testbed.gguf')
  .option('--limit <n>', 'held-out problems per family', Number, 200)
  .option('--temperature <t>', 'sampling temperature', Number, 0.6)
  .option('--seed <n>', 'problem and sampling seed', Number, 7)
  .option('--max-tokens <n>', 'token limit per trace', Number, 640)
  .option('--out <file>', 'JSON output', 'models/testbed.card.json')
  .option('--parallel <n>', 'rollouts decoded at once', Number, 8)
  .parse();
const o = program.opts<{
  model: string;
  limit: number;
  temperature: number;
  seed: number;
  maxTokens: number;
  out: string;
  parallel: number;
}>();
const engine = await LlamaCppEngine.load(o.model, { threads: 1, contextSize: 1024, parallel: o.parallel });
// A private work dir: two cards running at once must not share event files.
const workDir = mkdtempSync(join(tmpdir(), 'lynx-testbed-card-'));
const started = Date.now();
let rows: TestbedCardRow[];
try {
  rows = await measureTestbed(engine, {
    tasks: ['testbed-arith', 'testbed-word', 'testbed-order'],
    limit: o.limit,
    temperature: o.temperature,
    seed: o.seed,
    maxTokens: o.maxTokens,
    parallel: o.parallel,
    workDir,
    onProgress: (task, done, total) => {
      if (done % 50 === 0 || done === total) process.stderr.write(`${task}: ${done}/${total}\n`);
    },
  });
} finally {
  await engine.dispose();
  rmSync(workDir, { recursive: true, force: true });
}
// n/a where nothing was measured (e.g. no correct trace to find an earliest correct exit in).
const pct = (x: number) => percent(x, 'n/a');
console.log(
  'task            traces  accuracy  cues/trace  earliest-correct-exit  wrong-exit-cues  thinking-tok  oracle-saves  position-saves (N)',
);
for (const r of rows) {
  console.log(
    `${r.task.padEnd(15)} ${String(r.traces).padStart(6)}  ${pct(r.accuracy).padStart(8)}  ${r.cuesPerTrace.toFixed(2).padStart(10)}  ` +
      `${pct(r.earliestCorrectExitFraction).padStart(21)}  ${pct(r.wrongExitRate).padStart(15)}  ${r.meanThinkingTokens.toFixed(0).padStart(12)}  ` +
      `${pct(r.oracleSaving).padStart(12)}  ${pct(r.positionSaving).padStart(14)} (${r.positionAfter})`,
  );
}
const record = { model: o.model, options: o, seconds: (Date.now() - started) / 1000, rows };
writeFileSync(o.out, `${JSON.stringify(record, null, 2)}\n`);
console.log(`wrote ${o.out}`);
