import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MondrianConformal, predictionSet, shouldExit } from '../../src/conformal/MondrianConformal.ts';
import { conformalQuantile, conformalRank } from '../../src/conformal/quantile.ts';
import { UserError } from '../../src/errors.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Synthetic probe scores: label-1 logits ~ N(1, 1.3²), label-0 ~ N(−1, 1.3²) (overlapping). */
function draw(r: SeededRandom, n: number, pPos = 0.45): { p: number[]; y: number[] } {
  const p: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r.next() < pPos ? 1 : 0;
    p.push(sigmoid((label ? 1 : -1) + 1.3 * r.normal()));
    y.push(label);
  }
  return { p, y };
}

describe('conformal quantile', () => {
  const s = Array.from({ length: 10 }, (_, i) => 10 - i); // 10..1, unsorted on purpose
  it('is the ⌈(n+1)(1−δ)⌉-th smallest score', () => {
    expect(conformalQuantile(s, 0.1)).toBe(10); // k = ⌈9.9⌉ = 10
    expect(conformalQuantile(s, 0.2)).toBe(9); // k = ⌈8.8⌉ = 9
    expect(conformalQuantile(s, 0.5)).toBe(6); // k = ⌈5.5⌉ = 6
    expect(conformalRank(99, 0.1)).toBe(90); // exact product, no float bump to 91
    expect(conformalRank(9, 0.3)).toBe(7);
  });
  it('is +∞ when k > n (official code clips to the max)', () => {
    expect(conformalQuantile(s, 0.05)).toBe(Number.POSITIVE_INFINITY); // k = 11 > 10
    expect(conformalQuantile(s, 0.05, { beyondN: 'clip' })).toBe(10);
  });
});

describe('MondrianConformal', () => {
  it('exit iff the set is exactly {1}', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p, q1, q0) => {
          const set = predictionSet(p, { q1, q0 });
          expect(shouldExit(p, { q1, q0 })).toBe(set.length === 1 && set[0] === 1);
        },
      ),
      { seed: 1, numRuns: 500 },
    );
  });

  it('computes class quantiles from s₁ = 1−p and s₀ = p', () => {
    const c = new MondrianConformal([0.9, 0.8, 0.6, 0.2, 0.3, 0.7], [1, 1, 1, 0, 0, 0]);
    // δ = 0.5: k = ⌈4·0.5⌉ = 2 for both classes. s₁ = {0.1, 0.2, 0.4}, s₀ = {0.2, 0.3, 0.7}.
    const q = c.quantiles(0.5);
    expect(q.q1).toBeCloseTo(0.2, 12);
    expect(q.q0).toBeCloseTo(0.3, 12);
    expect([q.n1, q.n0]).toEqual([3, 3]);
    expect(shouldExit(0.85, q)).toBe(true);
    expect(shouldExit(0.75, q)).toBe(false); // 1−p = 0.25 > q1
    expect(predictionSet(0.25, q)).toEqual([0]);
    // Too few points for δ = 0.1: q0 = +∞, so 0 is always in the set and nothing exits.
    expect(c.quantiles(0.1).q0).toBe(Number.POSITIVE_INFINITY);
    expect(shouldExit(1, c.quantiles(0.1))).toBe(false);
  });

  it('rejects bad calibration input with UserErrors', () => {
    expect(() => new MondrianConformal([], [])).toThrow(/empty/);
    expect(() => new MondrianConformal([0.2, 0.4], [1, 1])).toThrow(/only label 1/);
    expect(() => new MondrianConformal([0.2, Number.NaN], [1, 0])).toThrow(/at 1 is NaN/);
    expect(() => new MondrianConformal([0.2, 0.3], [1, 2])).toThrow(UserError);
    const c = new MondrianConformal([0.2, 0.3], [1, 0]);
    for (const d of [0, 1, -0.1, 1.5, Number.NaN])
      expect(() => c.quantiles(d)).toThrow(/delta must be in \(0, 1\)/);
  });

  it('controls P(exit | label 0) ≤ δ over 300 random calibration/test splits and is not vacuous', () => {
    const r = new SeededRandom(2024);
    const deltas = [0.01, 0.05, 0.1, 0.3];
    const splits = 300;
    const exit0 = deltas.map(() => [] as number[]);
    const cover0 = deltas.map(() => [] as number[]);
    const exit1 = deltas.map(() => [] as number[]);
    for (let s = 0; s < splits; s++) {
      const cal = draw(r, 1000);
      const test = draw(r, 1000);
      const c = new MondrianConformal(cal.p, cal.y);
      deltas.forEach((delta, di) => {
        const q = c.quantiles(delta);
        let n0 = 0;
        let e0 = 0;
        let c0 = 0;
        let n1 = 0;
        let e1 = 0;
        test.p.forEach((p, i) => {
          const ex = shouldExit(p, q);
          if (test.y[i] === 0) {
            n0++;
            e0 += ex ? 1 : 0;
            c0 += p <= q.q0 ? 1 : 0;
          } else {
            n1++;
            e1 += ex ? 1 : 0;
          }
        });
        exit0[di].push(e0 / n0);
        cover0[di].push(c0 / n0);
        exit1[di].push(e1 / n1);
      });
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const se = (xs: number[]) => {
      const m = mean(xs);
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
    };
    deltas.forEach((delta, di) => {
      // Guarantee: E[P(exit | y=0)] ≤ δ (tolerance: 3 standard errors of the mean over splits).
      expect(mean(exit0[di])).toBeLessThanOrEqual(delta + 3 * se(exit0[di]));
      // Tightness: class-0 coverage is in [1−δ, 1−δ + 1/(n₀+1)] in expectation (n₀ ≈ 550).
      expect(mean(cover0[di])).toBeGreaterThanOrEqual(1 - delta - 3 * se(cover0[di]));
      expect(mean(cover0[di])).toBeLessThanOrEqual(1 - delta + 1 / 500 + 3 * se(cover0[di]));
      // Not vacuous: correct events do exit.
      expect(mean(exit1[di])).toBeGreaterThan(delta < 0.05 ? 0.02 : 0.2);
    });
  });
});
