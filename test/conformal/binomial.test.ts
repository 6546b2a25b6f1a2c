import { describe, expect, it } from 'vitest';
import { binomialCdf, binomialCdfTable } from '../../src/conformal/binomial.ts';

/** Exact reference with rationals: p = a/b, P(X ≤ k) = Σ C(n,i) a^i (b−a)^(n−i) / b^n. */
function exactCdf(k: number, n: number, a: number, b: number): number {
  let num = 0n;
  let c = 1n; // C(n, i)
  for (let i = 0; i <= k; i++) {
    num += c * BigInt(a) ** BigInt(i) * BigInt(b - a) ** BigInt(n - i);
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  const den = BigInt(b) ** BigInt(n);
  // Scale to 1e-30 resolution then to a double (relative precision is what we compare).
  const scaled = (num * 10n ** 40n) / den;
  return Number(scaled) / 1e40;
}

describe('binomial CDF', () => {
  it('matches textbook values', () => {
    expect(binomialCdf(3, 10, 0.5)).toBeCloseTo(176 / 1024, 14);
    expect(binomialCdf(0, 1000, 0.01)).toBeCloseTo(0.99 ** 1000, 14);
    expect(binomialCdf(10, 10, 0.3)).toBe(1);
    expect(binomialCdf(-1, 10, 0.3)).toBe(0);
  });

  it('matches an exact rational computation, in the tails too (relative 1e-10)', () => {
    const cases: Array<[number, number, number, number]> = [
      [5, 20, 3, 10],
      [0, 200, 1, 20],
      [3, 500, 1, 10],
      [40, 500, 1, 10],
      [60, 500, 1, 10],
      [120, 600, 1, 5],
      [1, 1500, 1, 100],
    ];
    for (const [k, n, a, b] of cases) {
      const ref = exactCdf(k, n, a, b);
      const got = binomialCdf(k, n, a / b);
      expect(Math.abs(got - ref) / ref).toBeLessThan(1e-10);
      expect(binomialCdfTable(n, a / b)[k]).toBeCloseTo(got, 12);
      expect(Math.abs(binomialCdfTable(n, a / b)[k] - ref) / ref).toBeLessThan(1e-10);
    }
  });

  it('table is monotone and ends at 1', () => {
    const t = binomialCdfTable(300, 0.07);
    for (let k = 1; k < t.length; k++) expect(t[k]).toBeGreaterThanOrEqual(t[k - 1]);
    expect(t[300]).toBe(1);
  });
});
