// Renders the testbed's training loss over all its stages to models/testbed.loss.svg.
// Usage: node bin/run-ts.mjs scripts/testbed-loss-plot.ts [OUT.svg] [LOG.jsonl ...] (default: every
// models/testbed.stage*.train-log.jsonl in stage order, then models/testbed.train-log.jsonl).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderSvg } from '../src/pipeline/report/paretoPlot.ts';

const [out = 'models/testbed.loss.svg', ...given] = process.argv.slice(2);
const stageLogs = readdirSync('models')
  .filter((f) => /^testbed\.stage\d+\.train-log\.jsonl$/.test(f))
  .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
  .map((f) => `models/${f}`);
const logs = given.length ? given : [...stageLogs, 'models/testbed.train-log.jsonl'].filter(existsSync);
const rows: Array<{ step: number; loss: number; stage: string }> = [];
let offset = 0;
logs.forEach((log, k) => {
  const entries = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step: number; loss: number });
  for (const e of entries) rows.push({ step: offset + e.step, loss: e.loss, stage: `stage ${k + 1}` });
  offset += entries.at(-1)?.step ?? 0;
});
const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: {
    text: 'testbed model: training loss per stage (assistant-turn tokens, nats/token)',
    subtitle:
      'from stage 3 on, result tokens weigh 4 in the mean (the curves are not comparable across that step)',
  },
  width: 560,
  height: 260,
  data: { values: rows },
  mark: { type: 'line', point: false },
  encoding: {
    x: { field: 'step', type: 'quantitative', title: 'cumulative step (batch 8 x 384 tokens)' },
    y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
    color: { field: 'stage', type: 'nominal', title: null },
  },
});
writeFileSync(out, svg);
console.log(`wrote ${out} (${logs.length} stages, ${rows.length} points)`);
