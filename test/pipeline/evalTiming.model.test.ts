// Wall-clock comparisons without order bias: methods run in a per-instance shuffled order after a
// warm-up, so two methods that decode the same tokens get the same time within noise.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { methodOrder, runEval } from '../../src/pipeline/eval/runEval.ts';
import { useTestbedEngine } from '../testbedEngine.ts';

const testbed = useTestbedEngine();

describe('method order', () => {
  it('is a permutation, and each method runs first on about 1/n of the instances', () => {
    const firsts = [0, 0, 0];
    const n = 600;
    for (let s = 0; s < n; s++) {
      const order = methodOrder(3, s * 7919);
      expect([...order].sort()).toEqual([0, 1, 2]);
      firsts[order[0]]++;
    }
    // Binomial(600, 1/3): SD ≈ 11.5, so ±60 is more than 5 SD.
    for (const f of firsts) expect(Math.abs(f - n / 3)).toBeLessThan(60);
    expect(methodOrder(4, 123)).toEqual(methodOrder(4, 123));
  });
});

describe('wall-clock of identical work', () => {
  it('two methods decoding the same tokens get the same total time within 15%', async () => {
    const out = await mkdtemp(join(tmpdir(), 'lynx-timing-'));
    const res = await runEval({
      engine: testbed(),
      methods: parseMethodSpecs('vanilla,vanilla:label=twin'),
      datasets: [{ task: 'testbed-arith', split: 'heldout', slice: 'test', limit: 16, dataSeed: 42 }],
      temperatures: [0.6],
      seeds: [1],
      maxTokens: 400,
      labels: false,
      out,
    });
    const byLabel = (l: string) => res.rows.filter((r) => r.label === l);
    const [a, b] = [byLabel('vanilla'), byLabel('twin')];
    expect(a).toHaveLength(16);
    expect(b.map((r) => r.counts)).toEqual(a.map((r) => r.counts));
    const sum = (rows: typeof a) => rows.reduce((s, r) => s + r.timings.totalMs, 0);
    // Before the order was shuffled and a warm-up added, the first method in a fixed order showed
    // up to 19% "saving" against an identical one; noise on 16 runs of ~250 tokens is a few percent.
    expect(sum(b) / sum(a)).toBeGreaterThan(0.85);
    expect(sum(b) / sum(a)).toBeLessThan(1.15);
  }, 120_000);
});
