import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/model/config.ts';
import { lrAt } from '../../src/model/optim.ts';
import { type TrainOptions, trainLoop } from '../../src/model/train.ts';
import type { TrainBatch } from '../../src/model/trainGraph.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const B = 4;
const T = 24;
const config = resolveConfig({
  vocabSize: 16,
  dim: 32,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  ffn: 64,
  contextLength: 32,
});

/** Rows of a repeating 5-token pattern from a random phase; the first 4 targets are masked out. */
function patternBatch(step: number): TrainBatch {
  const rng = new SeededRandom(1000 + step);
  const tokens = new Int32Array(B * (T + 1));
  const mask = new Uint8Array(B * (T + 1));
  for (let b = 0; b < B; b++) {
    const phase = rng.int(5);
    const shift = rng.int(3);
    for (let t = 0; t <= T; t++) {
      tokens[b * (T + 1) + t] = shift * 5 + ((phase + t) % 5);
      mask[b * (T + 1) + t] = t >= 4 ? 1 : 0;
    }
  }
  return { tokens, mask };
}

const base: TrainOptions = {
  config,
  batchSize: B,
  seqLen: T,
  batches: patternBatch,
  steps: 40,
  lr: 1e-2,
  warmup: 5,
  seed: 1,
};
const dir = mkdtempSync(join(tmpdir(), 'lynx-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainLoop', () => {
  it('learns a repeating pattern: loss falls far below its initial value in 40 steps', async () => {
    const logs: number[] = [];
    const r = await trainLoop({ ...base, logEvery: 10, onLog: (e) => logs.push(e.step) });
    const first = r.losses[0];
    const last = r.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(first).toBeGreaterThan(2); // ≈ ln 16 at initialization
    expect(last).toBeLessThan(0.25 * first);
    expect(logs).toEqual([1, 10, 20, 30, 40]);
  });

  it('is deterministic under a seed and differs across seeds', async () => {
    const a = await trainLoop({ ...base, steps: 6 });
    const b = await trainLoop({ ...base, steps: 6 });
    const c = await trainLoop({ ...base, steps: 6, seed: 2 });
    expect(b.losses).toEqual(a.losses);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('resumes from a checkpoint after a crash and continues exactly', async () => {
    const path = join(dir, 'ck.bin');
    const full = await trainLoop({ ...base, steps: 20 });
    await expect(
      trainLoop({
        ...base,
        steps: 20,
        checkpoint: { path, every: 10 },
        batches: (s) => {
          if (s === 15) throw new Error('simulated crash');
          return patternBatch(s);
        },
      }),
    ).rejects.toThrow('simulated crash');
    const resumed = await trainLoop({ ...base, steps: 20, checkpoint: { path, every: 10 } });
    expect(resumed.startStep).toBe(10);
    expect(resumed.losses).toEqual(full.losses.slice(10));
  });

  it('refuses to resume a checkpoint written by a run with other settings', async () => {
    const path = join(dir, 'ck-other.bin');
    await trainLoop({ ...base, steps: 10, checkpoint: { path, every: 10 }, meta: { data: 'v1' } });
    await expect(
      trainLoop({
        ...base,
        steps: 10,
        lr: base.lr * 2,
        checkpoint: { path, every: 10 },
        meta: { data: 'v2' },
      }),
    ).rejects.toThrow(/other settings \(data, lr\)/);
    const same = await trainLoop({
      ...base,
      steps: 10,
      checkpoint: { path, every: 10 },
      meta: { data: 'v1' },
    });
    expect(same.startStep).toBe(10);
  });

  it('warms up linearly and decays to the floor', () => {
    const sch = { lr: 1, warmup: 4, steps: 14, decay: 'cosine' as const, minLrRatio: 0.1 };
    expect([0, 1, 2, 3].map((s) => lrAt(s, sch))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lrAt(13, sch)).toBeCloseTo(0.1, 12);
    expect(lrAt(8, { ...sch, decay: 'linear' })).toBeCloseTo(0.1 + 0.9 * (1 - 4 / 9), 12);
  });
});
