/** Picks where tensors live and which matmul kernels run on them. */
import { type Gemm, tsGemm } from './gemm.ts';
import { type Heap, JsHeap, WasmHeap } from './heap.ts';
import { WasmGemm } from './wasmGemm.ts';

/** 'wasm': WASM SIMD kernels over one shared memory (default); 'ts': plain TypeScript kernels. */
export type KernelKind = 'wasm' | 'ts';

/** A heap and the kernels that run on it. */
export interface Runtime {
  heap: Heap;
  gemm: Gemm;
}

/** A fresh runtime of the given kind. */
export function createRuntime(kind: KernelKind = 'wasm'): Runtime {
  if (kind === 'ts') return { heap: new JsHeap('f32'), gemm: tsGemm };
  const heap = new WasmHeap();
  return { heap, gemm: new WasmGemm(heap) };
}
