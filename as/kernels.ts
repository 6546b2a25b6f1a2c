// WASM SIMD matmul kernels for the reference transformer (AssemblyScript, built by `npm run build:kernels`).
// Every pointer is a byte offset into the one shared memory; every leading dimension (lda, ldb, ldc) is in
// floats. `acc` != 0 adds into C, otherwise C is overwritten. The inner block is 4 rows x 8 columns held in
// eight f32x4 registers (6x8 spills on V8's 16 xmm registers, so 4x8 it is).

/** Rows of A kept hot in L2 while every 8-column panel of B sweeps over them. */
const MC: i32 = 64;
/** Depth of one pass over K, so a 8-column panel of B (KC x 8 floats) stays in L1. */
const KC: i32 = 256;

@inline
function store4(p: usize, v: v128, acc: i32): void {
  if (acc) v128.store(p, f32x4.add(v128.load(p), v));
  else v128.store(p, v);
}

@inline
function store1(p: usize, v: f32, acc: i32): void {
  if (acc) store<f32>(p, load<f32>(p) + v);
  else store<f32>(p, v);
}

/**
 * C[M,N] (+)= op(A)[M,K] * B[K,N] with B row-major (row stride ldb). When `at` is 0, A is [M,K] (row stride
 * lda); when `at` is 1, A is stored transposed as [K,M] (row stride lda), i.e. C = A^T B.
 */
function gemmCore(M: i32, N: i32, K: i32, A: usize, lda: i32, at: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32): void {
  if (K <= KC) {
    gemmBlock(M, N, K, A, lda, at, B, ldb, C, ldc, acc);
    return;
  }
  const aK: usize = at ? (<usize>lda) << 2 : 4;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    gemmBlock(M, N, kc, A + <usize>k0 * aK, lda, at, B + (((<usize>k0) * ldb) << 2), ldb, C, ldc, acc | (k0 > 0 ? 1 : 0));
  }
}

/** One pass of gemmCore over a K range that fits the cache. */
function gemmBlock(M: i32, N: i32, K: i32, A: usize, lda: i32, at: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32): void {
  // Step between consecutive k for one row of op(A), and between consecutive rows of op(A), in bytes.
  const aK: usize = at ? (<usize>lda) << 2 : 4;
  const aRow: usize = at ? 4 : (<usize>lda) << 2;
  const bK: usize = (<usize>ldb) << 2;
  const n8 = N & ~7;
  for (let i0 = 0; i0 < M; i0 += MC) {
    const iEnd = min(i0 + MC, M);
    const i4End = i0 + ((iEnd - i0) & ~3);
    for (let j = 0; j < n8; j += 8) {
      let i = i0;
      for (; i < i4End; i += 4) {
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        let pa = A + <usize>i * aRow;
        let pb = B + ((<usize>j) << 2);
        for (let k = 0; k < K; k++) {
          const b0 = v128.load(pb);
          const b1 = v128.load(pb, 16);
          let a = v128.load32_splat(pa);
          c00 = f32x4.add(c00, f32x4.mul(a, b0));
          c01 = f32x4.add(c01, f32x4.mul(a, b1));
          a = v128.load32_splat(pa + aRow);
          c10 = f32x4.add(c10, f32x4.mul(a, b0));
          c11 = f32x4.add(c11, f32x4.mul(a, b1));
          a = v128.load32_splat(pa + 2 * aRow);
          c20 = f32x4.add(c20, f32x4.mul(a, b0));
          c21 = f32x4.add(c21, f32x4.mul(a, b1));
          a = v128.load32_splat(pa + 3 * aRow);
          c30 = f32x4.add(c30, f32x4.mul(a, b0));
          c31 = f32x4.add(c31, f32x4.mul(a, b1));
          pa += aK;
          pb += bK;
        }
        const pc = C + (((<usize>i) * ldc + j) << 2);
        const rc: usize = (<usize>ldc) << 2;
        store4(pc, c00, acc);
        store4(pc + 16, c01, acc);
        store4(pc + rc, c10, acc);
        store4(pc + rc + 16, c11, acc);
        store4(pc + 2 * rc, c20, acc);
        store4(pc + 2 * rc + 16, c21, acc);
        store4(pc + 3 * rc, c30, acc);
        store4(pc + 3 * rc + 16, c31, acc);
      }
      for (; i < iEnd; i++) {
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
        let pa = A + <usize>i * aRow;
        let pb = B + ((<usize>j) << 2);
        for (let k = 0; k < K; k++) {
          const a = v128.load32_splat(pa);
          c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
          c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
          pa += aK;
          pb += bK;
        }
        const pc = C + (((<usize>i) * ldc + j) << 2);
        store4(pc, c0, acc);
        store4(pc + 16, c1, acc);
      }
    }
    // Column tail (< 8 columns): one column at a time, scalar.
    for (let j = n8; j < N; j++) {
      for (let i = i0; i < iEnd; i++) {
        let s: f32 = 0;
        let pa = A + <usize>i * aRow;
        let pb = B + ((<usize>j) << 2);
        for (let k = 0; k < K; k++) {
          s += load<f32>(pa) * load<f32>(pb);
          pa += aK;
          pb += bK;
        }
        store1(C + (((<usize>i) * ldc + j) << 2), s, acc);
      }
    }
  }
}

/** C[M,N] (+)= A[M,K] * B[K,N]. */
export function gemm_nn(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32): void {
  gemmCore(M, N, K, A, lda, 0, B, ldb, C, ldc, acc);
}

/** C[M,N] (+)= A^T B where A is stored [K,M] and B is [K,N]. */
export function gemm_tn(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32): void {
  gemmCore(M, N, K, A, lda, 1, B, ldb, C, ldc, acc);
}

/** Horizontal sum of the four lanes. */
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * C[M,N] (+)= A[M,K] * B^T with B stored [N,K], as dot products along K: the matvec path (decode), used
 * when M is too small for packing B to pay off.
 */
export function gemm_nt_dot(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32): void {
  const k4 = K & ~3;
  const rb: usize = (<usize>ldb) << 2;
  for (let i = 0; i < M; i++) {
    const pa0 = A + (((<usize>i) * lda) << 2);
    const pc = C + (((<usize>i) * ldc) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      const pb = B + (<usize>j) * rb;
      for (let k = 0; k < k4; k += 4) {
        const o: usize = (<usize>k) << 2;
        const a = v128.load(pa0 + o);
        s0 = f32x4.add(s0, f32x4.mul(a, v128.load(pb + o)));
        s1 = f32x4.add(s1, f32x4.mul(a, v128.load(pb + rb + o)));
        s2 = f32x4.add(s2, f32x4.mul(a, v128.load(pb + 2 * rb + o)));
        s3 = f32x4.add(s3, f32x4.mul(a, v128.load(pb + 3 * rb + o)));
      }
      let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (let k = k4; k < K; k++) {
        const o: usize = (<usize>k) << 2;
        const a = load<f32>(pa0 + o);
        t0 += a * load<f32>(pb + o);
        t1 += a * load<f32>(pb + rb + o);
        t2 += a * load<f32>(pb + 2 * rb + o);
        t3 += a * load<f32>(pb + 3 * rb + o);
      }
      store1(pc + ((<usize>j) << 2), t0, acc);
      store1(pc + ((<usize>j + 1) << 2), t1, acc);
      store1(pc + ((<usize>j + 2) << 2), t2, acc);
      store1(pc + ((<usize>j + 3) << 2), t3, acc);
    }
    for (; j < N; j++) {
      const pb = B + (<usize>j) * rb;
      let s = f32x4.splat(0);
      for (let k = 0; k < k4; k += 4) {
        const o: usize = (<usize>k) << 2;
        s = f32x4.add(s, f32x4.mul(v128.load(pa0 + o), v128.load(pb + o)));
      }
      let t = hsum(s);
      for (let k = k4; k < K; k++) t += load<f32>(pa0 + ((<usize>k) << 2)) * load<f32>(pb + ((<usize>k) << 2));
      store1(pc + ((<usize>j) << 2), t, acc);
    }
  }
}

/** dst[cols, rows] = src[rows, cols]^T (src row stride lds, dst row stride ldd), in 4x4 tiles. */
export function transpose(rows: i32, cols: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  const sr: usize = (<usize>lds) << 2;
  const dr: usize = (<usize>ldd) << 2;
  for (let i = 0; i < r4; i += 4) {
    for (let j = 0; j < c4; j += 4) {
      const ps = src + (((<usize>i) * lds + j) << 2);
      const r0 = v128.load(ps), r1 = v128.load(ps + sr), r2 = v128.load(ps + 2 * sr), r3 = v128.load(ps + 3 * sr);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const pd = dst + (((<usize>j) * ldd + i) << 2);
      v128.store(pd, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(pd + dr, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(pd + 2 * dr, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(pd + 3 * dr, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (let j = c4; j < cols; j++)
      for (let r = i; r < i + 4; r++)
        store<f32>(dst + (((<usize>j) * ldd + r) << 2), load<f32>(src + (((<usize>r) * lds + j) << 2)));
  }
  for (let i = r4; i < rows; i++)
    for (let j = 0; j < cols; j++)
      store<f32>(dst + (((<usize>j) * ldd + i) << 2), load<f32>(src + (((<usize>i) * lds + j) << 2)));
}

/**
 * C[M,N] (+)= A[M,K] * B^T with B stored [N,K]. For M >= 8 it packs B^T into `scratch` (K*N floats) and runs
 * the 4x8 kernel; below that, dot products.
 */
export function gemm_nt(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, acc: i32, scratch: usize): void {
  if (M < 8) {
    gemm_nt_dot(M, N, K, A, lda, B, ldb, C, ldc, acc);
    return;
  }
  transpose(N, K, B, ldb, scratch, N);
  gemmCore(M, N, K, A, lda, 0, scratch, N, C, ldc, acc);
}
