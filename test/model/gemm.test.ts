import { describe, expect, it } from 'vitest';
import { type Gemm, tsGemm } from '../../src/model/gemm.ts';
import { WasmHeap } from '../../src/model/heap.ts';
import { WasmGemm } from '../../src/model/wasmGemm.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

type Op = 'nt' | 'nn' | 'tn';

/** Float64 triple loop straight from the definition: the oracle for both kernels. */
function naive(
  op: Op,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = op === 'tn' ? A[k * lda + i] : A[i * lda + k];
        const b = op === 'nt' ? B[j * ldb + k] : B[k * ldb + j];
        s += a * b;
      }
      C[i * N + j] = s;
    }
  return C;
}

const heap = new WasmHeap();
const wasm = new WasmGemm(heap);
const rng = new SeededRandom(42);

function fill(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return v;
}

/** Runs one product with padded strides and an offset, in the heap or in plain arrays. */
function run(g: Gemm, op: Op, M: number, N: number, K: number, acc: boolean, inHeap: boolean) {
  const off = 3;
  const aRows = op === 'tn' ? K : M;
  const aCols = op === 'tn' ? M : K;
  const bRows = op === 'nt' ? N : K;
  const bCols = op === 'nt' ? K : N;
  const lda = aCols + 5;
  const ldb = bCols + 2;
  const ldc = N + 7;
  const mk = (n: number) => (inHeap ? heap.alloc(n) : new Float32Array(n));
  const A = fill(mk(off + aRows * lda));
  const B = fill(mk(off + bRows * ldb));
  const C = fill(mk(off + M * ldc));
  const before = C.slice();
  g[op](M, N, K, A, off, lda, B, off, ldb, C, off, ldc, acc);
  const ref = naive(op, M, N, K, A.subarray(off), lda, B.subarray(off), ldb);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      const want = ref[i * N + j] + (acc ? before[off + i * ldc + j] : 0);
      maxRef = Math.max(maxRef, Math.abs(want));
      maxDiff = Math.max(maxDiff, Math.abs(C[off + i * ldc + j] - want));
    }
  // Padding between rows must be untouched.
  let padOk = true;
  for (let i = 0; i < M; i++)
    for (let j = N; j < ldc && off + i * ldc + j < C.length; j++)
      padOk &&= C[off + i * ldc + j] === before[off + i * ldc + j];
  return { rel: maxDiff / maxRef, padOk };
}

const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 37, 64],
  [3, 9, 7],
  [8, 8, 8],
  [13, 29, 45],
  [64, 40, 33],
  [70, 130, 300],
];

describe('gemm kernels', () => {
  for (const op of ['nt', 'nn', 'tn'] as const) {
    for (const [M, N, K] of shapes) {
      it(`${op} ${M}x${N}x${K}: WASM and TS agree with the float64 product within 1e-5 relative`, () => {
        for (const acc of [false, true]) {
          for (const inHeap of [true, false]) {
            const w = run(wasm, op, M, N, K, acc, inHeap);
            expect(w.rel).toBeLessThan(1e-5);
            expect(w.padOk).toBe(true);
          }
          const t = run(tsGemm, op, M, N, K, acc, false);
          expect(t.rel).toBeLessThan(1e-5);
          expect(t.padOk).toBe(true);
        }
      });
    }
  }

  it('heap views stay valid after the shared memory grows', () => {
    const h = new WasmHeap(1 << 16);
    const a = h.alloc(16);
    a[3] = 7;
    const big = h.alloc(4 << 20);
    big[0] = 1;
    expect(a[3]).toBe(7);
    expect(h.owns(a) && h.owns(big)).toBe(true);
  });
});
