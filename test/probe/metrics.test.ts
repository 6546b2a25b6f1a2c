import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accuracy, auroc, confusionMatrix } from '../../src/probe/metrics.ts';

/** Reference: count pairs (positive, negative), ties worth ½. */
function bruteAuroc(s: number[], y: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < s.length; i++)
    for (let j = 0; j < s.length; j++)
      if (y[i] === 1 && y[j] === 0) {
        den++;
        num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
  return num / den;
}

describe('metrics', () => {
  it('AUROC equals the brute-force pairwise count, ties included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 2,
          maxLength: 60,
        }),
        (pairs) => {
          const s = pairs.map((p) => p[0] / 6);
          const y = pairs.map((p) => p[1]);
          fc.pre(y.includes(0) && y.includes(1));
          expect(auroc(s, y)).toBeCloseTo(bruteAuroc(s, y), 12);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('AUROC extremes and one-class error', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5], [0, 1, 1])).toBe(0.5);
    expect(() => auroc([0.1, 0.2], [1, 1])).toThrow(/both classes/);
  });

  it('confusion matrix and accuracy', () => {
    const s = [0.9, 0.4, 0.6, 0.1, 0.5];
    const y = [1, 1, 0, 0, 0];
    expect(confusionMatrix(s, y)).toEqual({ tp: 1, fn: 1, fp: 2, tn: 1 });
    expect(accuracy(s, y)).toBeCloseTo(2 / 5, 12);
    expect(accuracy(s, y, 0.55)).toBeCloseTo(3 / 5, 12);
  });
});
