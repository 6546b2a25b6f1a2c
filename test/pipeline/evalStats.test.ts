// Eval statistics and method specs: Wilson intervals against an independent root-finding
// reference, quantiles, and the method-spec grammar.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { median, quantile, wilsonInterval, Z95 } from '../../src/pipeline/eval/stats.ts';

/**
 * Reference: the Wilson interval is the set of p with |x/n − p| ≤ z·sqrt(p(1−p)/n) (the score test
 * does not reject). Its ends are found by bisection on that inequality — no closed form used.
 */
function wilsonByBisection(x: number, n: number, z: number): [number, number] {
  const phat = x / n;
  const inside = (p: number) => Math.abs(phat - p) <= z * Math.sqrt((p * (1 - p)) / n);
  const edge = (outside: number, inner: number) => {
    let a = outside;
    let b = inner;
    for (let i = 0; i < 200; i++) {
      const m = (a + b) / 2;
      if (inside(m)) b = m;
      else a = m;
    }
    return b;
  };
  const lo = x === 0 ? 0 : edge(0, phat);
  const hi = x === n ? 1 : edge(1, phat);
  return [lo, hi];
}

describe('wilsonInterval', () => {
  it('matches the score-test inversion for many (x, n)', () => {
    for (const n of [1, 2, 5, 10, 37, 100, 1000]) {
      for (const x of new Set(
        [0, 1, Math.floor(n / 3), Math.floor(n / 2), n - 1, n].filter((v) => v >= 0 && v <= n),
      )) {
        const [lo, hi] = wilsonInterval(x, n);
        const [rlo, rhi] = wilsonByBisection(x, n, Z95);
        expect(lo).toBeCloseTo(rlo, 9);
        expect(hi).toBeCloseTo(rhi, 9);
        expect(lo).toBeLessThanOrEqual(x / n);
        expect(hi).toBeGreaterThanOrEqual(x / n);
      }
    }
  });

  it('gives the textbook value for 5 of 10 and [0, 1] for no data', () => {
    const [lo, hi] = wilsonInterval(5, 10);
    expect(lo).toBeCloseTo(0.2366, 4);
    expect(hi).toBeCloseTo(0.7634, 4);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
  });
});

describe('quantile', () => {
  it('interpolates between order statistics like numpy', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBeCloseTo(46, 12);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});

describe('parseMethodSpecs', () => {
  it('splits methods and their options from one comma list', () => {
    const specs = parseMethodSpecs(
      'vanilla,lynx:delta=0.1,lynx:delta=0.3,deer:threshold=0.9,maxChecks=5,dynasor,oracle',
    );
    expect(specs.map((s) => s.label)).toEqual([
      'vanilla',
      'lynx:delta=0.1',
      'lynx:delta=0.3',
      'deer:threshold=0.9,maxChecks=5',
      'dynasor',
      'oracle',
    ]);
    expect(specs[3]).toEqual({
      name: 'deer',
      options: { threshold: 0.9, maxChecks: 5 },
      label: 'deer:threshold=0.9,maxChecks=5',
      family: 'deer',
    });
  });

  it('resolves aliases, reads booleans and labels', () => {
    const [a, b] = parseMethodSpecs(
      'fixedBudget:budget=64,label=fb64,deer:caseSensitive=false,points=alternatively',
    );
    expect(a).toEqual({
      name: 'fixed-budget',
      options: { budget: 64 },
      label: 'fb64',
      family: 'fixed-budget',
    });
    expect(b.options).toEqual({ caseSensitive: false, points: 'alternatively' });
  });

  it('rejects unknown methods, duplicates and dangling options', () => {
    expect(() => parseMethodSpecs('vanila')).toThrow(/unknown method "vanila"/);
    expect(() => parseMethodSpecs('lynx:delta=0.1,lynx:delta=0.1')).toThrow(/listed twice/);
    expect(() => parseMethodSpecs('delta=0.1')).toThrow(UserError);
    expect(() => parseMethodSpecs('lynx:0.1')).toThrow(/key=value/);
  });
});
