// `npm run testbed:train [-- --steps N --out FILE ...]`: trains the testbed model (see src/testbed/trainTestbed.ts).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { TESTBED_DEFAULTS, type TestbedTrainOptions, trainTestbed } from '../src/testbed/trainTestbed.ts';

const program = new Command('testbed:train').description('train the testbed reasoning model');
for (const [key, value] of Object.entries(TESTBED_DEFAULTS)) {
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`;
  program.option(flag, `default ${value}`, typeof value === 'number' ? Number : String, value);
}
program.parse();
const opts = program.opts() as TestbedTrainOptions;
const logPath = opts.out.replace(/\.gguf$/, '.train-log.jsonl');
mkdirSync(dirname(logPath), { recursive: true });
console.error(`training testbed model: ${JSON.stringify(opts)}`);
const started = Date.now();
const res = await trainTestbed(opts, (e) => {
  appendFileSync(logPath, `${JSON.stringify(e)}\n`);
  console.error(
    `step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ` +
      `${Math.round(e.tokensPerSec)} tok/s eta ${Math.round(e.etaSec)}s`,
  );
});
const summary = {
  options: opts,
  config: res.config,
  vocabSize: res.tokenizer.vocabSize,
  trainSeconds: res.seconds,
  wallSeconds: (Date.now() - started) / 1000,
  finalLoss: res.log.at(-1)?.loss,
};
writeFileSync(opts.out.replace(/\.gguf$/, '.train.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.error(`wrote ${opts.out} (${summary.wallSeconds.toFixed(0)} s)`);
