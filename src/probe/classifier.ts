import { InvalidArgumentError } from '../errors.ts';
import { balancedWeights, checkLabels, type FeatureInput, type Matrix, packFeatures } from './matrix.ts';

/** Options shared by every classifier's `fit`. */
export interface FitOptions {
  /** Per-row weights; default: class-balanced w_c = n / (2 n_c). */
  sampleWeight?: ArrayLike<number>;
}

/** A binary classifier over already-standardized features. */
export interface Classifier {
  readonly kind: 'logistic' | 'mlp';
  /** Number of input features (0 before fitting). */
  readonly inputDim: number;
  /** Fits on a checked, packed matrix with 0/1 labels and positive weights. */
  fitPacked(x: Matrix, y: Uint8Array, sampleWeight: Float64Array): void;
  /** P(label 1) for one row. */
  predictRow(x: Float32Array): number;
  /** P(label 1) for every row of a packed matrix. */
  predictMatrix(x: Matrix): Float64Array;
}

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Validates features, labels and weights for a `fit` call and returns them packed. */
export function prepareFit(
  x: FeatureInput,
  y: ArrayLike<number>,
  opts: FitOptions = {},
): { m: Matrix; labels: Uint8Array; weights: Float64Array } {
  const m = packFeatures(x, 'training features');
  const labels = checkLabels(y, m.rows, 'training labels');
  let weights: Float64Array;
  if (opts.sampleWeight) {
    if (opts.sampleWeight.length !== m.rows)
      throw new InvalidArgumentError(
        `sampleWeight has ${opts.sampleWeight.length} values for ${m.rows} rows`,
      );
    weights = Float64Array.from(opts.sampleWeight);
    weights.forEach((w, i) => {
      if (!(w >= 0 && Number.isFinite(w))) throw new InvalidArgumentError(`sampleWeight at row ${i} is ${w}`);
    });
  } else weights = balancedWeights(labels);
  return { m, labels, weights };
}
