/**
 * The matrix-multiply interface the transformer is written against, and its plain-TypeScript
 * implementation (the portable fallback and the test oracle for the WASM kernels). Matrices are
 * row-major slices of a vector: (array, offset, leading dimension = row stride in floats).
 * `acc` true adds into C; false overwrites it.
 */
import type { Vec } from './heap.ts';

/** The three products forward and backward need. */
export interface Gemm {
  readonly name: string;
  /** C[M,N] (+)= A[M,K] · B[N,K]ᵀ (a linear layer with weights [out, in]; Q·Kᵀ). */
  nt(
    M: number,
    N: number,
    K: number,
    A: Vec,
    a: number,
    lda: number,
    B: Vec,
    b: number,
    ldb: number,
    C: Vec,
    c: number,
    ldc: number,
    acc: boolean,
  ): void;
  /** C[M,N] (+)= A[M,K] · B[K,N] (input gradient through weights; P·V). */
  nn(
    M: number,
    N: number,
    K: number,
    A: Vec,
    a: number,
    lda: number,
    B: Vec,
    b: number,
    ldb: number,
    C: Vec,
    c: number,
    ldc: number,
    acc: boolean,
  ): void;
  /** C[M,N] (+)= A[K,M]ᵀ · B[K,N] (weight gradients dYᵀ·X; Pᵀ·dO). */
  tn(
    M: number,
    N: number,
    K: number,
    A: Vec,
    a: number,
    lda: number,
    B: Vec,
    b: number,
    ldb: number,
    C: Vec,
    c: number,
    ldc: number,
    acc: boolean,
  ): void;
}

/** Plain TypeScript kernels: row-oriented loops that let V8 keep inner loops contiguous. */
export const tsGemm: Gemm = {
  name: 'ts',
  nt(M, N, K, A, a, lda, B, b, ldb, C, c, ldc, acc) {
    for (let i = 0; i < M; i++) {
      const ai = a + i * lda;
      const ci = c + i * ldc;
      let j = 0;
      // Four dot products at once share each load of A's row.
      for (; j + 4 <= N; j += 4) {
        const b0 = b + j * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = 0; k < K; k++) {
          const x = A[ai + k];
          s0 += x * B[b0 + k];
          s1 += x * B[b1 + k];
          s2 += x * B[b2 + k];
          s3 += x * B[b3 + k];
        }
        if (acc) {
          C[ci + j] += s0;
          C[ci + j + 1] += s1;
          C[ci + j + 2] += s2;
          C[ci + j + 3] += s3;
        } else {
          C[ci + j] = s0;
          C[ci + j + 1] = s1;
          C[ci + j + 2] = s2;
          C[ci + j + 3] = s3;
        }
      }
      for (; j < N; j++) {
        const bj = b + j * ldb;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[ai + k] * B[bj + k];
        C[ci + j] = acc ? C[ci + j] + s : s;
      }
    }
  },
  nn(M, N, K, A, a, lda, B, b, ldb, C, c, ldc, acc) {
    for (let i = 0; i < M; i++) {
      const ci = c + i * ldc;
      if (!acc) C.fill(0, ci, ci + N);
      const ai = a + i * lda;
      for (let k = 0; k < K; k++) {
        const x = A[ai + k];
        if (x === 0) continue;
        const bk = b + k * ldb;
        for (let j = 0; j < N; j++) C[ci + j] += x * B[bk + j];
      }
    }
  },
  tn(M, N, K, A, a, lda, B, b, ldb, C, c, ldc, acc) {
    if (!acc) for (let i = 0; i < M; i++) C.fill(0, c + i * ldc, c + i * ldc + N);
    for (let k = 0; k < K; k++) {
      const ak = a + k * lda;
      const bk = b + k * ldb;
      for (let i = 0; i < M; i++) {
        const x = A[ak + i];
        if (x === 0) continue;
        const ci = c + i * ldc;
        for (let j = 0; j < N; j++) C[ci + j] += x * B[bk + j];
      }
    }
  },
};
