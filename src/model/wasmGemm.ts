/**
 * The WASM SIMD kernels (as/kernels.ts, built to src/model/kernels.wasm by `npm run build:kernels`)
 * behind the Gemm interface. Views that live in the heap's memory are passed by byte offset (no copy);
 * anything else is staged through heap scratch and copied back.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Gemm } from './gemm.ts';
import type { Vec, WasmHeap } from './heap.ts';
import { type WasmModule, wasmApi } from './wasmApi.ts';

type GemmFn = (
  M: number,
  N: number,
  K: number,
  A: number,
  lda: number,
  B: number,
  ldb: number,
  C: number,
  ldc: number,
  acc: number,
) => void;

interface KernelExports {
  gemm_nn: GemmFn;
  gemm_tn: GemmFn;
  gemm_nt: (
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    C: number,
    ldc: number,
    acc: number,
    scratch: number,
  ) => void;
  transpose: (rows: number, cols: number, src: number, lds: number, dst: number, ldd: number) => void;
}

const WASM_URL = new URL('./kernels.wasm', import.meta.url);
let compiled: WasmModule | undefined;

/** The compiled kernel module (compiled once per process). */
export function kernelModule(): WasmModule {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(fileURLToPath(WASM_URL));
    } catch {
      throw new Error(`${fileURLToPath(WASM_URL)} is missing: run \`npm run build:kernels\``);
    }
    compiled = new wasmApi.Module(bytes);
  }
  return compiled;
}

/** Instantiates the kernels over a heap's memory. */
export function instantiateKernels(heap: WasmHeap): KernelExports {
  const instance = new wasmApi.Instance(kernelModule(), {
    env: {
      memory: heap.memory,
      abort: () => {
        throw new Error('wasm kernel abort');
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}

/** A Gemm running the WASM SIMD kernels on `heap`. */
export class WasmGemm implements Gemm {
  readonly name = 'wasm';
  private readonly k: KernelExports;
  private pack: Float32Array;
  private stageBufs: Float32Array[] = [];

  constructor(readonly heap: WasmHeap) {
    this.k = instantiateKernels(heap);
    this.pack = heap.alloc(64 * 1024);
  }

  private packPtr(floats: number): number {
    if (this.pack.length < floats) this.pack = this.heap.alloc(Math.max(floats, this.pack.length * 2));
    return this.pack.byteOffset;
  }

  /** Byte pointer of element `off` of v, staging a copy of `len` floats into slot `slot` when v is foreign. */
  private ptr(v: Vec, off: number, len: number, slot: number): number {
    if (v instanceof Float32Array && this.heap.owns(v)) return v.byteOffset + off * 4;
    let buf = this.stageBufs[slot];
    if (!buf || buf.length < len) buf = this.stageBufs[slot] = this.heap.alloc(Math.max(len, 1024));
    for (let i = 0; i < len; i++) buf[i] = v[off + i];
    return buf.byteOffset;
  }

  private unstage(C: Vec, c: number, len: number): void {
    if (C instanceof Float32Array && this.heap.owns(C)) return;
    const buf = this.stageBufs[2];
    for (let i = 0; i < len; i++) C[c + i] = buf[i];
  }

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
  ): void {
    if (M === 0 || N === 0) return;
    const cl = (M - 1) * ldc + N;
    const pa = this.ptr(A, a, (M - 1) * lda + K, 0);
    const pb = this.ptr(B, b, (N - 1) * ldb + K, 1);
    const pc = this.ptr(C, c, cl, 2);
    this.k.gemm_nt(M, N, K, pa, lda, pb, ldb, pc, ldc, acc ? 1 : 0, M >= 8 ? this.packPtr(N * K) : 0);
    this.unstage(C, c, cl);
  }

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
  ): void {
    if (M === 0 || N === 0) return;
    const cl = (M - 1) * ldc + N;
    const pa = this.ptr(A, a, (M - 1) * lda + K, 0);
    const pb = this.ptr(B, b, (K - 1) * ldb + N, 1);
    const pc = this.ptr(C, c, cl, 2);
    this.k.gemm_nn(M, N, K, pa, lda, pb, ldb, pc, ldc, acc ? 1 : 0);
    this.unstage(C, c, cl);
  }

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
  ): void {
    if (M === 0 || N === 0) return;
    const cl = (M - 1) * ldc + N;
    const pa = this.ptr(A, a, (K - 1) * lda + M, 0);
    const pb = this.ptr(B, b, (K - 1) * ldb + N, 1);
    const pc = this.ptr(C, c, cl, 2);
    this.k.gemm_tn(M, N, K, pa, lda, pb, ldb, pc, ldc, acc ? 1 : 0);
    this.unstage(C, c, cl);
  }
}
