// fit's warnings name each setting under which a level would not mean what it says.
import { describe, expect, it } from 'vitest';
import type { CalibrationSample } from '../../src/pipeline/calibrationSample.ts';
import { fitWarnings } from '../../src/pipeline/fitWarnings.ts';

const sample = (over: Partial<CalibrationSample> = {}): CalibrationSample => ({
  trajectories: Array.from({ length: 300 }, (_, i) => [i]),
  perEventRows: [],
  problems: 300,
  subsampledProblems: 0,
  rollouts: 300,
  keptRollouts: 300,
  keptWithoutEvents: 0,
  ...over,
});
const cert = (alpha: number, certified: boolean, n: number) => ({
  alpha,
  epsilon: 0.1,
  lambda: certified ? 0.5 : Number.POSITIVE_INFINITY,
  certified,
  n,
  losses: 0,
  empiricalRisk: 0,
  exitRate: 0,
  pValue: 0,
  tested: 1,
});
const base = {
  calibSplit: { dataset: 'testbed-arith', split: 'heldout', slice: 'calib' },
  sample: sample(),
  perClass: [{ delta: 0.1, q1: 0.5, q0: 0.8, n1: 900, n0: 400 }],
  alphas: [cert(0.1, true, 300)],
  epsilon: 0.1,
  trainAuroc: 0.9,
  valAuroc: 0.88,
};

describe('fit warnings', () => {
  it('none for a sound fit', () => {
    expect(fitWarnings(base)).toEqual([]);
  });

  it('each problem gets its line', () => {
    const w = fitWarnings({
      ...base,
      calibSplit: { dataset: 'testbed-arith', split: 'train' },
      sample: sample({ subsampledProblems: 30, problems: 30, trajectories: [[0]] }),
      trainAuroc: 0.99,
      valAuroc: 0.61,
      perClass: [
        { delta: 0.01, q1: 0.5, q0: Number.POSITIVE_INFINITY, n1: 90, n0: 40 },
        { delta: 0.05, q1: 0.5, q0: 0.9, n1: 90, n0: 40 },
        { delta: 0.3, q1: 0.5, q0: 0.9, n1: 90, n0: 40 },
      ],
      alphas: [cert(0.05, false, 30), cert(0.2, false, 300)],
    });
    expect(w).toEqual([
      expect.stringMatching(/testbed's train split, which the testbed model was trained on/),
      expect.stringMatching(/^30 of 30 calibration problems have several rollouts; one rollout per problem/),
      expect.stringMatching(
        /the probe overfits: AUROC 0\.990 on its training rows, 0\.610 on held-out problems/,
      ),
      expect.stringMatching(
        /^delta 0\.01: q0 is infinite \(40 label-0 calibration events, the level needs at least 99\)/,
      ),
      expect.stringMatching(/^delta 0\.05: only 40 label-0 calibration events; .* ±0\.034 around 0\.05/),
      expect.stringMatching(
        /^alpha 0\.05: nothing certified: 30 calibration trajectories, at least 45 are needed/,
      ),
      expect.stringMatching(/^alpha 0\.2: nothing certified at epsilon 0\.1 \(the safest threshold/),
    ]);
  });
});
