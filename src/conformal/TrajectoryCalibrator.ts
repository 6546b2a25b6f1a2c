import { InvalidArgumentError } from '../errors.ts';
import { binomialCdfTable } from './binomial.ts';
import { checkLevel } from './quantile.ts';

/** One cue event of a calibration trajectory: probe score and forced-exit label (1 = correct). */
export interface CueEvent {
  p: number;
  y: number;
}

/** What trajectory-level calibration certified for one (α, ε). */
export interface TrajectoryCertificate {
  alpha: number;
  epsilon: number;
  /** Exit at the first cue with p ≥ lambda; +Infinity when nothing was certified (never exit). */
  lambda: number;
  certified: boolean;
  /** Number of calibration trajectories. */
  n: number;
  /** Wrong exits among the n trajectories at lambda, and that count over n. */
  losses: number;
  empiricalRisk: number;
  /** Fraction of calibration trajectories that exit at lambda. */
  exitRate: number;
  /** P(Binom(n, α) ≤ losses) at lambda (≤ ε when certified). */
  pValue: number;
  /** Hypotheses tested, the first failing one included. */
  tested: number;
}

/** The default λ grid: 1, 0.999, …, 0 (fixed in advance, as fixed-sequence testing requires). */
export function defaultLambdaGrid(steps = 1000): number[] {
  return Array.from({ length: steps + 1 }, (_, j) => 1 - j / steps);
}

/**
 * Trajectory-level calibration by Learn-then-Test. The policy "exit at the first cue with p ≥ λ" has
 * loss 1 on a trajectory when that cue's label is 0 (a premature, wrong exit) and 0 otherwise (a
 * correct exit or no exit). Walking a fixed grid from high λ (safe) to low, each λ is tested with the
 * binomial p-value P(Binom(n, α) ≤ n·R̂(λ)); fixed-sequence testing stops at the first p-value > ε.
 * The last λ that passed satisfies P(risk(λ) ≤ α) ≥ 1 − ε over the calibration draw, for exchangeable
 * trajectories — unlike the per-event Mondrian bound, this covers the "first of many cues" effect.
 */
export class TrajectoryCalibrator {
  readonly grid: Float64Array;
  readonly n: number;
  /** Per grid point: wrong exits and exits over the calibration trajectories. */
  readonly lossCounts: Int32Array;
  readonly exitCounts: Int32Array;

  constructor(trajectories: readonly (readonly CueEvent[])[], opts: { grid?: readonly number[] } = {}) {
    const grid = Float64Array.from(opts.grid ?? defaultLambdaGrid());
    if (grid.length === 0) throw new InvalidArgumentError('trajectory calibration: empty λ grid');
    for (let g = 0; g < grid.length; g++) {
      if (!Number.isFinite(grid[g])) throw new InvalidArgumentError(`λ grid value ${grid[g]} is not finite`);
      if (g > 0 && !(grid[g] < grid[g - 1]))
        throw new InvalidArgumentError('λ grid must be strictly decreasing (from safe to aggressive)');
    }
    if (trajectories.length === 0) throw new InvalidArgumentError('trajectory calibration set is empty');
    this.grid = grid;
    this.n = trajectories.length;
    const G = grid.length;
    // Number of grid values strictly greater than v = the first grid index with λ ≤ v.
    const firstAtOrBelow = (v: number): number => {
      let lo = 0;
      let hi = G;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (grid[mid] > v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const lossDiff = new Int32Array(G + 1);
    const exitDiff = new Int32Array(G + 1);
    trajectories.forEach((traj, t) => {
      // As λ falls, the exit moves to earlier cues only at running-maximum records: the exit at λ is
      // the first record with p ≥ λ, so record r decides for λ in (previous record's p, p_r].
      let prevMax = Number.NEGATIVE_INFINITY;
      let prevIdx = G;
      const records: Array<{ p: number; y: number }> = [];
      traj.forEach((e, i) => {
        if (!(e.p >= 0 && e.p <= 1))
          throw new InvalidArgumentError(
            `trajectory ${t}, cue ${i}: score ${e.p} is not a probability in [0, 1]`,
          );
        if (e.y !== 0 && e.y !== 1)
          throw new InvalidArgumentError(`trajectory ${t}, cue ${i}: label ${e.y} must be 0 or 1`);
        if (e.p > prevMax) {
          records.push(e);
          prevMax = e.p;
        }
      });
      for (const r of records) {
        const from = firstAtOrBelow(r.p);
        // Range [from, prevIdx) of grid indices: λ in (previous record, r.p].
        if (from < prevIdx) {
          exitDiff[from]++;
          exitDiff[prevIdx]--;
          if (r.y === 0) {
            lossDiff[from]++;
            lossDiff[prevIdx]--;
          }
        }
        prevIdx = Math.min(prevIdx, from);
      }
    });
    this.lossCounts = new Int32Array(G);
    this.exitCounts = new Int32Array(G);
    let l = 0;
    let e = 0;
    for (let g = 0; g < G; g++) {
      l += lossDiff[g];
      e += exitDiff[g];
      this.lossCounts[g] = l;
      this.exitCounts[g] = e;
    }
  }

  /** Empirical risk and exit rate at every grid λ. */
  riskCurve(): Array<{ lambda: number; risk: number; exitRate: number }> {
    return Array.from(this.grid, (lambda, g) => ({
      lambda,
      risk: this.lossCounts[g] / this.n,
      exitRate: this.exitCounts[g] / this.n,
    }));
  }

  /** The smallest grid λ certified by fixed-sequence testing at risk level α, confidence 1 − ε. */
  certify(alpha: number, epsilon: number): TrajectoryCertificate {
    checkLevel(alpha, 'alpha');
    checkLevel(epsilon, 'epsilon');
    const cdf = binomialCdfTable(this.n, alpha);
    let last = -1;
    let tested = 0;
    for (let g = 0; g < this.grid.length; g++) {
      tested++;
      if (cdf[this.lossCounts[g]] > epsilon) break;
      last = g;
    }
    if (last < 0) {
      return {
        alpha,
        epsilon,
        lambda: Number.POSITIVE_INFINITY,
        certified: false,
        n: this.n,
        losses: 0,
        empiricalRisk: 0,
        exitRate: 0,
        pValue: cdf[0],
        tested,
      };
    }
    const losses = this.lossCounts[last];
    return {
      alpha,
      epsilon,
      lambda: this.grid[last],
      certified: true,
      n: this.n,
      losses,
      empiricalRisk: losses / this.n,
      exitRate: this.exitCounts[last] / this.n,
      pValue: cdf[losses],
      tested,
    };
  }
}

/** Loss of the policy "exit at the first cue with p ≥ λ" on one trajectory (1 = wrong exit). */
export function trajectoryLoss(traj: readonly CueEvent[], lambda: number): 0 | 1 {
  for (const e of traj) if (e.p >= lambda) return e.y === 0 ? 1 : 0;
  return 0;
}
