import { describe, expect, it } from 'vitest';
import {
  distributionFromLogits,
  distributionFromTop,
  entropyOf,
  logprobOf,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from '../../src/engine/sampler.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

/** Reference softmax of logits/T restricted to `keep` (independent, straightforward code). */
function referenceProbs(logits: number[], t: number, keep: Set<number>): number[] {
  const w = logits.map((l, i) => (keep.has(i) ? Math.exp(l / t) : 0));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** Empirical token frequencies over an even grid of uniforms (a deterministic inverse-CDF check). */
function frequencies(logits: number[], opts: Parameters<typeof sampleToken>[1], n = 20000): number[] {
  const dist = distributionFromLogits(logits);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(dist, opts, (i + 0.5) / n)]++;
  return counts.map((c) => c / n);
}

const rng = new SeededRandom(11);
const logits = Array.from({ length: 12 }, () => rng.normal() * 2);
const order = logits.map((_, i) => i).sort((a, b) => logits[b] - logits[a]);

describe('sampleToken', () => {
  it('is greedy at temperature 0 (ties go to the lower token id)', () => {
    expect(sampleToken(distributionFromLogits(logits), { temperature: 0 }, 0.99)).toBe(order[0]);
    expect(sampleToken(distributionFromLogits([1, 3, 3, 0]), { temperature: 0 }, 0.5)).toBe(1);
  });

  it('draws in proportion to softmax(logits / T)', () => {
    for (const t of [0.5, 1, 1.7]) {
      const ref = referenceProbs(logits, t, new Set(order));
      const got = frequencies(logits, { temperature: t });
      for (let i = 0; i < logits.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-4);
    }
  });

  it('top-k keeps only the k most likely tokens', () => {
    const ref = referenceProbs(logits, 1, new Set(order.slice(0, 3)));
    const got = frequencies(logits, { temperature: 1, topK: 3 });
    for (let i = 0; i < logits.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-4);
  });

  it('top-p keeps the smallest prefix whose tempered mass reaches p', () => {
    const t = 0.8;
    const full = referenceProbs(logits, t, new Set(order));
    const keep = new Set<number>();
    let mass = 0;
    for (const i of order) {
      keep.add(i);
      mass += full[i];
      if (mass >= 0.7) break;
    }
    expect(keep.size).toBeGreaterThan(1);
    expect(keep.size).toBeLessThan(logits.length);
    const ref = referenceProbs(logits, t, keep);
    const got = frequencies(logits, { temperature: t, topP: 0.7 });
    for (let i = 0; i < logits.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-4);
  });
});

describe('uniformAt', () => {
  it('depends only on (seed, position), and is roughly uniform', () => {
    expect(uniformAt(5, 17)).toBe(uniformAt(5, 17));
    expect(uniformAt(5, 17)).not.toBe(uniformAt(6, 17));
    expect(uniformAt(5, 17)).not.toBe(uniformAt(5, 18));
    expect(uniformAt(2 ** 40 + 5, 17)).not.toBe(uniformAt(5, 17));
    const xs = Array.from({ length: 20000 }, (_, i) => uniformAt(3, i));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // sd of the mean ≈ 0.002
    const low = xs.filter((x) => x < 0.1).length / xs.length;
    expect(Math.abs(low - 0.1)).toBeLessThan(0.01);
  });
});

describe('logprobs and entropy', () => {
  const z = Math.log(logits.reduce((a, l) => a + Math.exp(l), 0));
  const dist = distributionFromLogits(logits);

  it('logprobOf and topLogprobsOf are log-softmax values, most likely first', () => {
    for (let i = 0; i < logits.length; i++) expect(logprobOf(dist, i)).toBeCloseTo(logits[i] - z, 5);
    const top = topLogprobsOf(dist, 3);
    expect(top.map(([t]) => t)).toEqual(order.slice(0, 3));
    expect(top[0][1]).toBeCloseTo(logits[order[0]] - z, 5);
  });

  it('entropy is exact for a complete distribution', () => {
    const ref = -logits.reduce((a, l) => a + Math.exp(l - z) * (l - z), 0);
    expect(entropyOf(dist)).toBeCloseTo(ref, 5);
  });

  it('for top candidates only, entropy is a lower bound of the true entropy', () => {
    const trueH = entropyOf(dist);
    for (const n of [1, 3, 6, 11]) {
      const ids = order.slice(0, n);
      const top = distributionFromTop(
        ids,
        ids.map((i) => logits[i]),
        z,
        logits.length,
      );
      expect(top.complete).toBe(false);
      expect(entropyOf(top)).toBeLessThanOrEqual(trueH + 1e-9);
    }
    const all = distributionFromTop(
      order,
      order.map((i) => logits[i]),
      z,
      logits.length,
    );
    expect(all.complete).toBe(true);
    expect(entropyOf(all)).toBeCloseTo(trueH, 5);
  });
});
