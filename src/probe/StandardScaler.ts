import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import type { Matrix } from './matrix.ts';
import { decodeF64, encodeTensor, TensorJsonSchema } from './tensorCodec.ts';

export const ScalerJsonSchema = z.object({
  kind: z.literal('standard-scaler'),
  mean: TensorJsonSchema,
  scale: TensorJsonSchema,
});
export type ScalerJson = z.infer<typeof ScalerJsonSchema>;

/** Per-column standardization (x - mean) / std, population std as in scikit-learn; a zero std becomes 1. */
export class StandardScaler {
  constructor(
    readonly mean: Float64Array,
    readonly scale: Float64Array,
  ) {
    if (mean.length !== scale.length) throw new Error('StandardScaler: mean and scale lengths differ');
  }

  get dim(): number {
    return this.mean.length;
  }

  /** Fits column means and standard deviations (two passes in double precision). */
  static fit(x: Matrix): StandardScaler {
    const { data, rows, cols } = x;
    const mean = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let k = 0; k < cols; k++) mean[k] += data[o + k];
    }
    for (let k = 0; k < cols; k++) mean[k] /= rows;
    const v = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let k = 0; k < cols; k++) {
        const d = data[o + k] - mean[k];
        v[k] += d * d;
      }
    }
    const scale = new Float64Array(cols);
    for (let k = 0; k < cols; k++) {
      const s = Math.sqrt(v[k] / rows);
      // Constant columns (and ones whose spread is float noise) are left unscaled, as scikit-learn does.
      scale[k] = s > 10 * Number.EPSILON * Math.max(1, Math.abs(mean[k])) ? s : 1;
    }
    return new StandardScaler(mean, scale);
  }

  /** Standardizes a packed matrix in place. */
  transformInPlace(x: Matrix): void {
    const { data, rows, cols } = x;
    if (cols !== this.dim) throw new InvalidArgumentError(`scaler expects ${this.dim} features, got ${cols}`);
    const { mean, scale } = this;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let k = 0; k < cols; k++) data[o + k] = (data[o + k] - mean[k]) / scale[k];
    }
  }

  /** Standardizes one row into `out` (allocated if absent). */
  transformRow(x: Float32Array, out: Float32Array = new Float32Array(x.length)): Float32Array {
    const { mean, scale } = this;
    for (let k = 0; k < mean.length; k++) out[k] = (x[k] - mean[k]) / scale[k];
    return out;
  }

  /** JSON form (f64 base64, exact round trip). */
  toJSON(): ScalerJson {
    return { kind: 'standard-scaler', mean: encodeTensor(this.mean), scale: encodeTensor(this.scale) };
  }

  /** Inverse of toJSON. */
  static fromJSON(j: ScalerJson): StandardScaler {
    const mean = decodeF64(j.mean, 'scaler.mean');
    return new StandardScaler(mean, decodeF64(j.scale, 'scaler.scale', mean.length));
  }
}
