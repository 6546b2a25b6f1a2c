// collect and eval with --parallel: problems run side by side in shared batches on the testbed
// model (real sampling, real cues, LYNX and DEER probes), and what they write equals a serial run
// byte for byte, timings aside.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/bundle/io.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { collectEvents } from '../../src/pipeline/collect.ts';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { type EvalOptions, runEval } from '../../src/pipeline/eval/runEval.ts';
import { eventsPaths } from '../../src/pipeline/events.ts';
import { loadProblems } from '../../src/pipeline/problems.ts';

const MODEL = 'models/testbed.gguf';
const dir = mkdtempSync(join(tmpdir(), 'lynx-parallel-'));
let serial: LlamaCppEngine;
let parallel: LlamaCppEngine;

beforeAll(async () => {
  serial = await LlamaCppEngine.load(MODEL, { contextSize: 1024, gpu: 'off' });
  parallel = await LlamaCppEngine.load(MODEL, { contextSize: 1024, gpu: 'off', parallel: 4 });
});
afterAll(async () => {
  await serial?.dispose();
  await parallel?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A row without its wall-clock fields. */
function untimed(line: string): unknown {
  const row = JSON.parse(line) as Record<string, unknown>;
  delete row.timings;
  return row;
}

describe('--parallel gives what a serial run gives', () => {
  it('collect: the same events store (rows and features) with 4 rollouts at a time', async () => {
    const problems = loadProblems({ dataset: 'testbed-arith', split: 'train', limit: 4 });
    const options = {
      layers: [-1],
      samples: 2,
      temperature: 0.8,
      topP: 0.95,
      seed: 5,
      maxTokens: 400,
      exitMaxTokens: 24,
    };
    const a = await collectEvents(serial, problems, { ...options, out: join(dir, 'serial') });
    const b = await collectEvents(parallel, problems, {
      ...options,
      out: join(dir, 'parallel'),
      parallel: 4,
    });
    expect(b.events).toBe(a.events);
    expect(a.events).toBeGreaterThan(8);
    const pa = eventsPaths(join(dir, 'serial'));
    const pb = eventsPaths(join(dir, 'parallel'));
    expect(readFileSync(pb.f32)).toEqual(readFileSync(pa.f32));
    const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map(untimed);
    expect(lines(pb.jsonl)).toEqual(lines(pa.jsonl));
    expect(parallel.schedulerStats?.sharedBatches).toBeGreaterThan(100);
  }, 120_000);

  it('eval: the same rows (answers, tokens, exits, cue events) with 4 runs at a time', async () => {
    const bundle = await loadBundle('models/testbed.lynx.json');
    const base: Omit<EvalOptions, 'engine' | 'out'> = {
      bundle,
      methods: parseMethodSpecs('vanilla,lynx:delta=0.2,deer'),
      datasets: [{ task: 'arith', limit: 3 }],
      temperatures: [0.6],
      seeds: [1],
      maxTokens: 400,
    };
    const a = await runEval({ ...base, engine: serial, out: join(dir, 'eval-serial') });
    const b = await runEval({ ...base, engine: parallel, out: join(dir, 'eval-parallel'), parallel: 4 });
    expect(b.written).toBe(a.written);
    const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map(untimed);
    expect(lines(b.paths.results)).toEqual(lines(a.paths.results));
    // LYNX exited somewhere, or the comparison would not cover an exit.
    expect(a.rows.some((r) => r.label === 'lynx:delta=0.2' && r.exit.reason === 'cue-exit')).toBe(true);
  }, 120_000);
});
