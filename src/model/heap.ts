/**
 * Where the model's numbers live. `WasmHeap` hands out Float32Array views into one shared
 * WebAssembly.Memory, so TypeScript loops and the WASM kernels read and write the same bytes without
 * copies; growing a shared memory never detaches earlier views. `JsHeap` allocates plain typed arrays
 * (Float64Array for the float64 gradient check).
 */

import { type WasmMemory, wasmApi } from './wasmApi.ts';

/** A float vector of either precision: the model code is written once for both. */
export type Vec = Float32Array | Float64Array;

/** An allocator of zero-filled float vectors. */
export interface Heap {
  readonly precision: 'f32' | 'f64';
  alloc(n: number): Vec;
}

/** Plain typed-array heap (no sharing with WASM). */
export class JsHeap implements Heap {
  constructor(readonly precision: 'f32' | 'f64' = 'f32') {}
  /** A fresh zeroed vector of n floats. */
  alloc(n: number): Vec {
    return this.precision === 'f64' ? new Float64Array(n) : new Float32Array(n);
  }
}

const PAGE = 65536;
/** The first page stays free: AssemblyScript may place its (empty) static data there. */
const HEAP_START = PAGE;
/** 4 GiB of 32-bit address space, declared as the maximum by the kernel module. */
export const MAX_PAGES = 65536;

/** A bump allocator over a shared WebAssembly.Memory; views stay valid when it grows. */
export class WasmHeap implements Heap {
  readonly precision = 'f32' as const;
  readonly memory: WasmMemory;
  private top = HEAP_START;
  private readonly buffers = new Set<ArrayBufferLike>();

  constructor(initialBytes = 16 << 20) {
    const pages = Math.max(2, Math.ceil((initialBytes + HEAP_START) / PAGE));
    this.memory = new wasmApi.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    this.buffers.add(this.memory.buffer);
  }

  /** Bytes handed out so far. */
  get usedBytes(): number {
    return this.top - HEAP_START;
  }

  /** A zeroed Float32Array of n floats inside the memory, 64-byte aligned. */
  alloc(n: number): Float32Array {
    const start = (this.top + 63) & ~63;
    const end = start + n * 4;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const need = Math.ceil((end - have) / PAGE);
      // Grow geometrically so many small allocations do not each grow the memory.
      const grow = Math.min(Math.max(need, Math.ceil(have / PAGE / 4)), MAX_PAGES - have / PAGE);
      if (grow < need) throw new Error(`WasmHeap: out of memory (${end} bytes requested, 4 GiB maximum)`);
      this.memory.grow(grow);
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return new Float32Array(this.memory.buffer, start, n);
  }

  /** Whether a view lies in this heap's memory (so a kernel can use its byteOffset directly). */
  owns(v: ArrayBufferView): boolean {
    return this.buffers.has(v.buffer);
  }
}
