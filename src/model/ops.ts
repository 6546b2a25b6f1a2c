/**
 * Element-wise and row-wise ops of the transformer with their hand-derived backward passes. Each works
 * on rows of a vector at an offset, for either precision.
 */
import type { RopeStyle } from './config.ts';
import type { Vec } from './heap.ts';

/**
 * RMSNorm of `rows` rows of width D: y = x · r · g with r = 1/sqrt(mean(x²) + eps). Writes y and r.
 */
export function rmsNormForward(
  x: Vec,
  g: Vec,
  y: Vec,
  rstd: Vec,
  rows: number,
  D: number,
  eps: number,
): void {
  for (let n = 0; n < rows; n++) {
    const o = n * D;
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[o + i] * x[o + i];
    const r = 1 / Math.sqrt(ss / D + eps);
    rstd[n] = r;
    for (let i = 0; i < D; i++) y[o + i] = x[o + i] * r * g[i];
  }
}

/**
 * RMSNorm backward: dx (+)= r·g⊙dy − x·r³/D · Σ(dy⊙g⊙x); dg += Σ_rows dy⊙x·r.
 * `accDx` adds into dx (the residual stream's gradient) instead of overwriting.
 */
export function rmsNormBackward(
  x: Vec,
  g: Vec,
  rstd: Vec,
  dy: Vec,
  dx: Vec,
  dg: Vec,
  rows: number,
  D: number,
  accDx: boolean,
): void {
  for (let n = 0; n < rows; n++) {
    const o = n * D;
    const r = rstd[n];
    let dot = 0;
    for (let i = 0; i < D; i++) {
      const gy = dy[o + i] * g[i];
      dot += gy * x[o + i];
      dg[i] += dy[o + i] * x[o + i] * r;
    }
    const c = (dot * r * r * r) / D;
    if (accDx) for (let i = 0; i < D; i++) dx[o + i] += dy[o + i] * g[i] * r - x[o + i] * c;
    else for (let i = 0; i < D; i++) dx[o + i] = dy[o + i] * g[i] * r - x[o + i] * c;
  }
}

/** cos/sin tables [positions, hd/2] for RoPE frequency θ_i = base^(−2i/hd), computed in float64. */
export interface RopeTables {
  half: number;
  cos: Float64Array;
  sin: Float64Array;
}

/** RoPE tables for positions [0, positions). */
export function ropeTables(positions: number, hd: number, base: number): RopeTables {
  const half = hd / 2;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * base ** ((-2 * i) / hd);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { half, cos, sin };
}

/**
 * Rotates `heads` consecutive heads of one token (starting at x[o]) by position `pos`. NEOX style pairs
 * (i, i + hd/2), normal style pairs (2i, 2i+1). `inverse` rotates by −angle: the backward pass, since the
 * rotation is orthogonal.
 */
export function ropeRow(
  x: Vec,
  o: number,
  heads: number,
  t: RopeTables,
  pos: number,
  style: RopeStyle,
  inverse: boolean,
): void {
  const half = t.half;
  const hd = 2 * half;
  const tb = pos * half;
  const sgn = inverse ? -1 : 1;
  for (let h = 0; h < heads; h++) {
    const base = o + h * hd;
    for (let i = 0; i < half; i++) {
      const c = t.cos[tb + i];
      const s = sgn * t.sin[tb + i];
      const ia = style === 'neox' ? base + i : base + 2 * i;
      const ib = style === 'neox' ? ia + half : ia + 1;
      const a = x[ia];
      const b = x[ib];
      x[ia] = a * c - b * s;
      x[ib] = a * s + b * c;
    }
  }
}

/** SwiGLU forward: h = silu(gate) ⊙ up over n elements; keeps σ(gate) in `sig` for the backward pass. */
export function swigluForward(gate: Vec, up: Vec, h: Vec, sig: Vec | null, n: number): void {
  for (let i = 0; i < n; i++) {
    const a = gate[i];
    const s = 1 / (1 + Math.exp(-a));
    if (sig) sig[i] = s;
    h[i] = a * s * up[i];
  }
}

/** SwiGLU backward from the saved σ(gate): dgate = dh·up·σ(1 + a(1 − σ)), dup = dh·a·σ. */
export function swigluBackward(gate: Vec, up: Vec, sig: Vec, dh: Vec, dgate: Vec, dup: Vec, n: number): void {
  for (let i = 0; i < n; i++) {
    const a = gate[i];
    const s = sig[i];
    dgate[i] = dh[i] * up[i] * s * (1 + a * (1 - s));
    dup[i] = dh[i] * a * s;
  }
}

/**
 * Causal softmax of one score row in place: row[j] for j ≤ i becomes softmax(scale·row[0..i]); entries
 * j > i (up to `width`) become 0.
 */
export function causalSoftmaxRow(row: Vec, o: number, i: number, width: number, scale: number): void {
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j <= i; j++) if (row[o + j] > m) m = row[o + j];
  let sum = 0;
  for (let j = 0; j <= i; j++) {
    const e = Math.exp((row[o + j] - m) * scale);
    row[o + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j <= i; j++) row[o + j] *= inv;
  row.fill(0, o + i + 1, o + width);
}

/**
 * Softmax backward for one causal row (probabilities at p[po..]), in place on dp[o..]: dS_j = scale · P_j (dP_j − Σ_k P_k dP_k) for j ≤ i,
 * 0 above the diagonal (up to `width`).
 */
export function causalSoftmaxBackwardRow(
  p: Vec,
  po: number,
  dp: Vec,
  o: number,
  i: number,
  width: number,
  scale: number,
): void {
  let dot = 0;
  for (let j = 0; j <= i; j++) dot += p[po + j] * dp[o + j];
  for (let j = 0; j <= i; j++) dp[o + j] = scale * p[po + j] * (dp[o + j] - dot);
  dp.fill(0, o + i + 1, o + width);
}

/**
 * Cross-entropy of one logits row against `target`, weighted by `w`: returns −w·log softmax(z)[target]
 * and overwrites the row with its gradient w·(softmax(z) − onehot(target)).
 */
export function crossEntropyRow(z: Vec, o: number, V: number, target: number, w: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < V; j++) if (z[o + j] > m) m = z[o + j];
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(z[o + j] - m);
  const logZ = m + Math.log(sum);
  const loss = -w * (z[o + target] - logZ);
  for (let j = 0; j < V; j++) z[o + j] = w * Math.exp(z[o + j] - logZ);
  z[o + target] -= w;
  return loss;
}
