// Every bad bundle is refused at load, before any decoding, with a one-line error and exit 2 from
// generate, eval, serve (serve does not start) and audit: feature layers the engine cannot give, another
// model of the same shape and vocabulary, thresholds outside [0, 1], edited probe weights.
import { copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../runCli.ts';

const MODEL = 'models/testbed.gguf';
const BUNDLE = 'models/testbed.lynx.json';
const dir = mkdtempSync(join(tmpdir(), 'lynx-bad-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a copy of the shipped bundle changed by `edit`. */
// biome-ignore lint/suspicious/noExplicitAny: free-form edits of parsed JSON
function variant(name: string, edit: (b: Record<string, any>) => void): string {
  const b = JSON.parse(readFileSync(BUNDLE, 'utf8'));
  edit(b);
  const path = join(dir, `${name}.lynx.json`);
  writeFileSync(path, JSON.stringify(b));
  return path;
}

/** A copy of the testbed model with some weight bytes changed: same shape, same vocabulary. */
async function otherWeights(): Promise<string> {
  const path = join(dir, 'finetuned.gguf');
  copyFileSync(MODEL, path);
  const info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
  const t = (info.fullTensorInfo ?? info.tensorInfo ?? []).find((x) => x.name === 'blk.0.ffn_up.weight');
  if (!t) throw new Error('no blk.0.ffn_up.weight in the testbed model');
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(new Float32Array([0.5, -0.25, 0.125, 1]).buffer), 0, 16, Number(t.fileOffset));
  return path;
}

const commands = (model: string, bundle: string) => ({
  generate: ['generate', '-m', model, '--bundle', bundle, '--max-tokens', '20', 'hi'],
  eval: [
    'eval',
    '--model',
    model,
    '--bundle',
    bundle,
    '--datasets',
    'arith',
    '--limit',
    '1',
    '--methods',
    'vanilla',
    '--out',
    join(dir, `eval-${Math.random()}`),
    '--no-progress',
  ],
  serve: ['serve', '--model', model, '--bundle', bundle, '--port', '0'],
  audit: [
    'audit',
    '--model',
    model,
    '--bundle',
    bundle,
    '--dataset',
    'testbed-arith',
    '--limit',
    '1',
    '--out',
    join(dir, `audit-${Math.random()}`),
    '--no-progress',
  ],
});

describe('bad bundles: one line, exit 2, nothing decoded', () => {
  const cases: Array<[string, () => Promise<{ model: string; bundle: string }>, RegExp]> = [
    [
      'feature layers the llama.cpp engine cannot give',
      async () => ({ model: MODEL, bundle: variant('layer2', (b) => (b.features.layers = [2])) }),
      /reads hidden-state layers \[2\]; the llama\.cpp engine gives layers -1 for testbed\.gguf/,
    ],
    [
      'another model with the same shape and vocabulary (a fine-tune)',
      async () => ({ model: await otherWeights(), bundle: BUNDLE }),
      /bundle was made for qwen2 4 layers hidden 128 vocab 768\/\w+ weights \w+ \(testbed\.gguf\); this model is qwen2 4 layers hidden 128 vocab 768\/\w+ weights \w+ \(finetuned\.gguf on llama\.cpp\)/,
    ],
    [
      'a negative quantile',
      async () => ({ model: MODEL, bundle: variant('negative', (b) => (b.conformal.perClass[0].q1 = -0.2)) }),
      /is malformed: conformal\.perClass\.0\.q1/,
    ],
    [
      'a threshold above 1',
      async () => ({
        model: MODEL,
        bundle: variant('lambda', (b) => (b.conformal.trajectory[0].lambda = 1.5)),
      }),
      /is malformed: conformal\.trajectory\.0\.lambda/,
    ],
    [
      'edited probe weights',
      async () => ({
        model: MODEL,
        bundle: variant('edited', (b) => {
          // One weight of the scaler changed, the base64 still valid.
          const mean = b.probe.scaler.mean;
          mean.base64 = (mean.base64[0] === 'A' ? 'B' : 'A') + mean.base64.slice(1);
        }),
      }),
      /the probe weights do not match the bundle's checksum/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const { model, bundle } = await make();
      for (const [command, argv] of Object.entries(commands(model, bundle))) {
        const { code, err } = await runCli(argv);
        expect(code, `${command}: ${err}`).toBe(2);
        expect(err, command).toMatch(message);
        const lines = err.trim().split('\n');
        expect(
          lines.filter((l) => /^\s+at /.test(l)),
          `${command} printed a stack trace`,
        ).toEqual([]);
        expect(err, `${command} started serving`).not.toMatch(/listening on/);
        expect(err, `${command} decoded`).not.toMatch(/rollouts written/);
      }
    }, 60_000);
  }
});
