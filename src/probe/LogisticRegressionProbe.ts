import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { type Classifier, type FitOptions, prepareFit, sigmoid } from './classifier.ts';
import { minimizeLbfgs } from './lbfgs.ts';
import { type FeatureInput, type Matrix, packFeatures } from './matrix.ts';
import { decodeF64, encodeTensor, TensorJsonSchema } from './tensorCodec.ts';

export const LogisticJsonSchema = z.object({
  kind: z.literal('logistic'),
  C: z.number().positive(),
  coef: TensorJsonSchema,
  intercept: z.number(),
});
export type LogisticJson = z.infer<typeof LogisticJsonSchema>;

export interface LogisticOptions {
  /** Inverse L2 strength, as scikit-learn's C: minimizes C·Σ wᵢ·logloss(i) + ½‖β‖² (intercept unpenalized). */
  C?: number;
  maxIterations?: number;
  /** Relative gradient tolerance for L-BFGS. */
  gradTol?: number;
}

/**
 * L2-regularized logistic regression, solved to high precision with full-batch L-BFGS in double
 * precision (the objective is strictly convex, so the solution is unique and seed-free).
 */
export class LogisticRegressionProbe implements Classifier {
  readonly kind = 'logistic' as const;
  readonly C: number;
  coef: Float64Array = new Float64Array(0);
  intercept = 0;
  /** Iterations and convergence flag of the last fit. */
  fitInfo: { iterations: number; converged: boolean; objective: number } | null = null;

  constructor(private readonly opts: LogisticOptions = {}) {
    this.C = opts.C ?? 1;
    if (!(this.C > 0 && Number.isFinite(this.C)))
      throw new InvalidArgumentError(`logistic C must be > 0, got ${this.C}`);
  }

  get inputDim(): number {
    return this.coef.length;
  }

  /** Fits on rows (or a packed matrix) and 0/1 labels; class-balanced weights unless given. */
  fit(x: FeatureInput, y: ArrayLike<number>, opts: FitOptions = {}): this {
    const { m, labels, weights } = prepareFit(x, y, opts);
    this.fitPacked(m, labels, weights);
    return this;
  }

  fitPacked(x: Matrix, y: Uint8Array, w: Float64Array): void {
    const { data, rows, cols } = x;
    const C = this.C;
    const z = new Float64Array(rows);
    // Parameters: [β_0..β_{d-1}, b].
    const objective = (theta: Float64Array, grad: Float64Array): number => {
      const b = theta[cols];
      let loss = 0;
      for (let i = 0; i < rows; i++) {
        const o = i * cols;
        let s = b;
        for (let k = 0; k < cols; k++) s += data[o + k] * theta[k];
        z[i] = s;
        // log(1 + e^s) - y s, computed stably.
        const softplus = s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
        loss += w[i] * (softplus - y[i] * s);
      }
      grad.fill(0);
      let gb = 0;
      for (let i = 0; i < rows; i++) {
        const r = C * w[i] * (sigmoid(z[i]) - y[i]);
        if (r === 0) continue;
        const o = i * cols;
        for (let k = 0; k < cols; k++) grad[k] += r * data[o + k];
        gb += r;
      }
      let reg = 0;
      for (let k = 0; k < cols; k++) {
        reg += theta[k] * theta[k];
        grad[k] += theta[k];
      }
      grad[cols] = gb;
      return C * loss + 0.5 * reg;
    };
    const res = minimizeLbfgs(objective, new Float64Array(cols + 1), {
      maxIterations: this.opts.maxIterations ?? 2000,
      gradTol: this.opts.gradTol ?? 1e-9,
    });
    this.coef = res.x.slice(0, cols);
    this.intercept = res.x[cols];
    this.fitInfo = { iterations: res.iterations, converged: res.converged, objective: res.f };
  }

  private logit(x: Float32Array, offset: number): number {
    const c = this.coef;
    let s = this.intercept;
    for (let k = 0; k < c.length; k++) s += x[offset + k] * c[k];
    return s;
  }

  predictRow(x: Float32Array): number {
    return sigmoid(this.logit(x, 0));
  }

  predictMatrix(x: Matrix): Float64Array {
    const out = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) out[i] = sigmoid(this.logit(x.data, i * x.cols));
    return out;
  }

  /** P(label 1) per row, with input checks. */
  predictProba(x: FeatureInput): Float64Array {
    return this.predictMatrix(packFeatures(x, 'features', this.inputDim));
  }

  toJSON(): LogisticJson {
    return { kind: 'logistic', C: this.C, coef: encodeTensor(this.coef), intercept: this.intercept };
  }

  static fromJSON(j: LogisticJson): LogisticRegressionProbe {
    const p = new LogisticRegressionProbe({ C: j.C });
    p.coef = decodeF64(j.coef, 'logistic.coef');
    p.intercept = j.intercept;
    return p;
  }
}
