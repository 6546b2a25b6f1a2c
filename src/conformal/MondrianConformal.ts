import { InvalidArgumentError } from '../errors.ts';
import { checkLevel, conformalQuantile } from './quantile.ts';

/** Per-class conformal thresholds for one δ (the bundle's `conformal.perClass` entries). */
export interface PerClassQuantiles {
  delta: number;
  /** Threshold on s₁ = 1 − p (label-1 nonconformity). */
  q1: number;
  /** Threshold on s₀ = p (label-0 nonconformity). */
  q0: number;
  n1: number;
  n0: number;
}

/**
 * How per-event calibration uses a rollout's cue events: all of them (`pooled`, LYNX's; events of one
 * rollout are correlated, so the bound is approximate) or one drawn per rollout (`one-per-rollout`:
 * independent pairs, an exact bound for a uniformly chosen cue of a fresh rollout).
 */
export const PER_EVENT_MODES = ['pooled', 'one-per-rollout'] as const;
export type PerEventMode = (typeof PER_EVENT_MODES)[number];

/** A binary conformal prediction set, as sorted labels. */
export type PredictionSet = Array<0 | 1>;

/** S = {1 if 1−p ≤ q₁} ∪ {0 if p ≤ q₀}. */
export function predictionSet(p: number, q: { q1: number; q0: number }): PredictionSet {
  const set: PredictionSet = [];
  if (p <= q.q0) set.push(0);
  if (1 - p <= q.q1) set.push(1);
  return set;
}

/** LYNX's exit rule: exit iff the prediction set is exactly {1} (confidently "safe to exit"). */
export function shouldExit(p: number, q: { q1: number; q0: number }): boolean {
  return p > q.q0 && 1 - p <= q.q1;
}

/**
 * LYNX's label-conditional (Mondrian) split conformal calibration. Scores are s₁ = 1 − p on label-1
 * events and s₀ = p on label-0 events; each class gets its own ⌈(n_c+1)(1−δ)⌉-th order statistic.
 * For a new exchangeable label-0 event, P(exit) ≤ P(p > q₀) ≤ δ.
 */
export class MondrianConformal {
  /** Sorted s₁ scores (label 1) and s₀ scores (label 0). */
  private readonly s1: Float64Array;
  private readonly s0: Float64Array;

  constructor(p: ArrayLike<number>, y: ArrayLike<number>) {
    if (p.length !== y.length)
      throw new InvalidArgumentError(`calibration: ${p.length} scores but ${y.length} labels`);
    if (p.length === 0) throw new InvalidArgumentError('calibration set is empty');
    const s1: number[] = [];
    const s0: number[] = [];
    for (let i = 0; i < p.length; i++) {
      const v = p[i];
      if (!(v >= 0 && v <= 1))
        throw new InvalidArgumentError(`calibration score at ${i} is ${v}; probabilities must be in [0, 1]`);
      if (y[i] === 1) s1.push(1 - v);
      else if (y[i] === 0) s0.push(v);
      else throw new InvalidArgumentError(`calibration label at ${i} is ${y[i]}; labels must be 0 or 1`);
    }
    if (s1.length === 0 || s0.length === 0)
      throw new InvalidArgumentError(
        `calibration set has only label ${s1.length ? 1 : 0} (${p.length} events); Mondrian conformal needs both classes`,
      );
    this.s1 = Float64Array.from(s1).sort();
    this.s0 = Float64Array.from(s0).sort();
  }

  get n1(): number {
    return this.s1.length;
  }

  get n0(): number {
    return this.s0.length;
  }

  /** Thresholds for one δ. `beyondN: 'clip'` reproduces the official code (see conformalQuantile). */
  quantiles(delta: number, opts: { beyondN?: 'infinity' | 'clip' } = {}): PerClassQuantiles {
    checkLevel(delta);
    return {
      delta,
      q1: conformalQuantile(this.s1, delta, { ...opts, sorted: true }),
      q0: conformalQuantile(this.s0, delta, { ...opts, sorted: true }),
      n1: this.n1,
      n0: this.n0,
    };
  }

  /** Thresholds for several δ. */
  quantilesFor(deltas: readonly number[], opts: { beyondN?: 'infinity' | 'clip' } = {}): PerClassQuantiles[] {
    return deltas.map((d) => this.quantiles(d, opts));
  }
}
