// Renders the testbed training loss curve (models/testbed.train-log.jsonl) to models/testbed.loss.svg.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderSvg } from '../src/pipeline/report/paretoPlot.ts';

const [log = 'models/testbed.train-log.jsonl', out = 'models/testbed.loss.svg'] = process.argv.slice(2);
const rows = readFileSync(log, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { step: number; loss: number });
const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'testbed model: training loss (assistant-turn tokens, nats/token)',
  width: 520,
  height: 260,
  data: { values: rows },
  mark: { type: 'line', point: false },
  encoding: {
    x: { field: 'step', type: 'quantitative', title: 'step (batch 8 x 384 tokens)' },
    y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
  },
});
writeFileSync(out, svg);
console.log(`wrote ${out} (${rows.length} points)`);
