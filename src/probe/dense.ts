/**
 * Dense-layer kernels for the MLP probe. Weights are stored output-major (fanOut × fanIn, like a
 * PyTorch Linear), so a forward pass is a set of dot products over contiguous memory. Rows of the
 * input are addressed by start offsets, so the first layer reads training rows in place (no gather).
 * The loops are blocked over 4 rows so each weight load feeds 4 multiply-adds.
 */

/** out[i, j] = act(b[j] + Σ_k in[offs[i] + k] · W[j, k]) for i < count; out is count × fanOut. */
export function forwardDense(
  input: Float32Array,
  offs: Int32Array,
  count: number,
  fanIn: number,
  W: Float32Array,
  b: Float32Array,
  fanOut: number,
  out: Float32Array,
  relu: boolean,
): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const a0 = offs[i];
    const a1 = offs[i + 1];
    const a2 = offs[i + 2];
    const a3 = offs[i + 3];
    const o = i * fanOut;
    for (let j = 0; j < fanOut; j++) {
      const w0 = j * fanIn;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < fanIn; k++) {
        const w = W[w0 + k];
        s0 += input[a0 + k] * w;
        s1 += input[a1 + k] * w;
        s2 += input[a2 + k] * w;
        s3 += input[a3 + k] * w;
      }
      const bj = b[j];
      s0 += bj;
      s1 += bj;
      s2 += bj;
      s3 += bj;
      if (relu) {
        s0 = Math.max(s0, 0);
        s1 = Math.max(s1, 0);
        s2 = Math.max(s2, 0);
        s3 = Math.max(s3, 0);
      }
      out[o + j] = s0;
      out[o + fanOut + j] = s1;
      out[o + 2 * fanOut + j] = s2;
      out[o + 3 * fanOut + j] = s3;
    }
  }
  for (; i < count; i++) {
    const a = offs[i];
    const o = i * fanOut;
    for (let j = 0; j < fanOut; j++) {
      let s = dotAt(input, a, W, j * fanIn, fanIn) + b[j];
      if (relu && s < 0) s = 0;
      out[o + j] = s;
    }
  }
}

/** Σ_k x[xo + k] · w[wo + k], with 4 independent partial sums (shorter dependency chains). */
export function dotAt(x: Float32Array, xo: number, w: Float32Array, wo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += x[xo + k] * w[wo + k];
    s1 += x[xo + k + 1] * w[wo + k + 1];
    s2 += x[xo + k + 2] * w[wo + k + 2];
    s3 += x[xo + k + 3] * w[wo + k + 3];
  }
  for (; k < n; k++) s0 += x[xo + k] * w[wo + k];
  return s0 + s1 + s2 + s3;
}

/**
 * Backward pass of one dense layer given delta = ∂L/∂(pre-activation), count × fanOut.
 * Adds ∂L/∂W into gW (fanOut × fanIn) and ∂L/∂b into gb. If deltaPrev is given, writes the delta of
 * the previous layer (count × fanIn), masked by that layer's ReLU (input > 0).
 * Zero deltas (inactive ReLUs) are skipped, which roughly halves the cost of the big first layer.
 */
export function backwardDense(
  delta: Float32Array,
  input: Float32Array,
  offs: Int32Array,
  count: number,
  fanIn: number,
  W: Float32Array,
  fanOut: number,
  gW: Float32Array,
  gb: Float32Array,
  deltaPrev: Float32Array | null,
  nz: Int32Array,
): void {
  for (let j = 0; j < fanOut; j++) {
    let m = 0;
    let sb = 0;
    for (let i = 0; i < count; i++) {
      const d = delta[i * fanOut + j];
      if (d !== 0) {
        nz[m++] = i;
        sb += d;
      }
    }
    gb[j] += sb;
    const g0 = j * fanIn;
    let t = 0;
    for (; t + 4 <= m; t += 4) {
      const i0 = nz[t];
      const i1 = nz[t + 1];
      const i2 = nz[t + 2];
      const i3 = nz[t + 3];
      const d0 = delta[i0 * fanOut + j];
      const d1 = delta[i1 * fanOut + j];
      const d2 = delta[i2 * fanOut + j];
      const d3 = delta[i3 * fanOut + j];
      const a0 = offs[i0];
      const a1 = offs[i1];
      const a2 = offs[i2];
      const a3 = offs[i3];
      for (let k = 0; k < fanIn; k++) {
        gW[g0 + k] += d0 * input[a0 + k] + d1 * input[a1 + k] + d2 * input[a2 + k] + d3 * input[a3 + k];
      }
    }
    for (; t < m; t++) {
      const i0 = nz[t];
      const d0 = delta[i0 * fanOut + j];
      const a0 = offs[i0];
      for (let k = 0; k < fanIn; k++) gW[g0 + k] += d0 * input[a0 + k];
    }
  }
  if (!deltaPrev) return;
  deltaPrev.fill(0, 0, count * fanIn);
  for (let i = 0; i < count; i++) {
    const p = i * fanIn;
    for (let j = 0; j < fanOut; j++) {
      const d = delta[i * fanOut + j];
      if (d === 0) continue;
      const w0 = j * fanIn;
      for (let k = 0; k < fanIn; k++) deltaPrev[p + k] += d * W[w0 + k];
    }
    const a = offs[i];
    for (let k = 0; k < fanIn; k++) if (!(input[a + k] > 0)) deltaPrev[p + k] = 0;
  }
}

/** out[j] = act(b[j] + Σ_k x[k] · W[j, k]) for one row; 4 outputs per pass share each x load. */
export function forwardRow(
  x: Float32Array,
  fanIn: number,
  W: Float32Array,
  b: Float32Array,
  fanOut: number,
  out: Float32Array,
  relu: boolean,
): void {
  let j = 0;
  for (; j + 4 <= fanOut; j += 4) {
    const o0 = j * fanIn;
    const o1 = o0 + fanIn;
    const o2 = o1 + fanIn;
    const o3 = o2 + fanIn;
    let s0 = b[j];
    let s1 = b[j + 1];
    let s2 = b[j + 2];
    let s3 = b[j + 3];
    for (let k = 0; k < fanIn; k++) {
      const xk = x[k];
      s0 += xk * W[o0 + k];
      s1 += xk * W[o1 + k];
      s2 += xk * W[o2 + k];
      s3 += xk * W[o3 + k];
    }
    out[j] = relu && s0 < 0 ? 0 : s0;
    out[j + 1] = relu && s1 < 0 ? 0 : s1;
    out[j + 2] = relu && s2 < 0 ? 0 : s2;
    out[j + 3] = relu && s3 < 0 ? 0 : s3;
  }
  for (; j < fanOut; j++) {
    const s = dotAt(x, 0, W, j * fanIn, fanIn) + b[j];
    out[j] = relu && s < 0 ? 0 : s;
  }
}
