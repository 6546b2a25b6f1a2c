import { InvalidArgumentError } from '../errors.ts';

/** A dense row-major float32 matrix: row i is data[i*cols .. (i+1)*cols). */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Feature input accepted by the probes: an array of rows, or a packed matrix (as in events.f32). */
export type FeatureInput = readonly Float32Array[] | Matrix;

/** True if `x` is a packed Matrix rather than an array of rows. */
export function isMatrix(x: FeatureInput): x is Matrix {
  return !Array.isArray(x) && (x as Matrix).data instanceof Float32Array;
}

/**
 * Packs features into one contiguous matrix (copying, so callers' rows are never mutated) and checks
 * them: non-empty, equal dims, finite. `what` names the data set in error messages.
 */
export function packFeatures(x: FeatureInput, what = 'features', expectCols?: number): Matrix {
  let m: Matrix;
  if (isMatrix(x)) {
    if (x.rows <= 0) throw new InvalidArgumentError(`${what}: the set is empty (0 rows)`);
    if (x.data.length !== x.rows * x.cols)
      throw new InvalidArgumentError(
        `${what}: matrix data has ${x.data.length} values, expected ${x.rows}×${x.cols}`,
      );
    m = { data: x.data.slice(), rows: x.rows, cols: x.cols };
  } else {
    const rows = x as readonly Float32Array[];
    if (rows.length === 0) throw new InvalidArgumentError(`${what}: the set is empty (0 rows)`);
    const cols = rows[0].length;
    const data = new Float32Array(rows.length * cols);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!(r instanceof Float32Array))
        throw new InvalidArgumentError(`${what}: row ${i} is not a Float32Array`);
      if (r.length !== cols)
        throw new InvalidArgumentError(
          `${what}: ragged rows: row ${i} has ${r.length} values, row 0 has ${cols}`,
        );
      data.set(r, i * cols);
    }
    m = { data, rows: rows.length, cols };
  }
  if (m.cols <= 0) throw new InvalidArgumentError(`${what}: rows have 0 features`);
  if (expectCols !== undefined && m.cols !== expectCols)
    throw new InvalidArgumentError(`${what}: rows have ${m.cols} features, the probe expects ${expectCols}`);
  assertFinite(m.data, m.cols, what);
  return m;
}

/** Throws a UserError naming the first NaN/Inf (row and column) in a packed matrix. */
export function assertFinite(data: Float32Array, cols: number, what = 'features', rowOffset = 0): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is NaN for NaN and ±Inf, 0 otherwise: one cheap test for both.
    if (v - v !== 0) {
      const row = Math.floor(i / cols) + rowOffset;
      throw new InvalidArgumentError(`${what}: non-finite value ${v} at row ${row}, column ${i % cols}`);
    }
  }
}

/** Checks binary labels (0/1, both classes present) for `rows` examples; returns them as bytes. */
export function checkLabels(y: ArrayLike<number>, rows: number, what = 'labels'): Uint8Array {
  if (y.length !== rows)
    throw new InvalidArgumentError(`${what}: ${y.length} labels for ${rows} feature rows`);
  const out = new Uint8Array(rows);
  let ones = 0;
  for (let i = 0; i < rows; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1)
      throw new InvalidArgumentError(`${what}: label at row ${i} is ${String(v)}; labels must be 0 or 1`);
    out[i] = v;
    ones += v;
  }
  if (ones === 0 || ones === rows)
    throw new InvalidArgumentError(
      `${what}: all ${rows} training labels are ${ones === 0 ? 0 : 1}; a probe needs examples of both classes`,
    );
  return out;
}

/** Class-balanced sample weights w_c = n / (2 n_c) (scikit-learn's 'balanced'), so each class sums to n/2. */
export function balancedWeights(y: Uint8Array): Float64Array {
  const n = y.length;
  let n1 = 0;
  for (let i = 0; i < n; i++) n1 += y[i];
  const w1 = n / (2 * n1);
  const w0 = n / (2 * (n - n1));
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = y[i] ? w1 : w0;
  return w;
}
