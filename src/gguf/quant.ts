/**
 * Float conversions and block quantization for ggml tensor types: f32 ↔ f16 (IEEE binary16,
 * round-to-nearest-even) and f32 ↔ Q8_0 (blocks of 32: f16 scale d = max|x|/127, int8 q = round(x/d)).
 */
import { GgmlType, Q8_0_BLOCK, Q8_0_BLOCK_BYTES, tensorByteLength } from './types.ts';

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

/** Converts a number (rounded to f32 first) to IEEE half bits, rounding to nearest even. */
export function f32ToF16Bits(x: number): number {
  f32Buf[0] = x;
  return f16BitsFromF32Bits(u32Buf[0]);
}

/** Half bits from the bit pattern of an f32 (round to nearest even). */
function f16BitsFromF32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // half-precision biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m * 2^-24 with m = full >> (14 - e).
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++;
    return sign | m; // m may carry into 0x400, which is exactly the smallest normal
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may reach 0x7c00 = inf
  return sign | h;
}

let f16Table: Float32Array | undefined;
/** All 65536 half values, built once (decoding by table lookup is much faster). */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) f16Table[h] = f16BitsToF32(h);
  }
  return f16Table;
}

/** Converts IEEE half bits to a number (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Encodes f32 values as little-endian f16. */
export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = f16BitsFromF32Bits(bits[i]);
  return new Uint8Array(out.buffer);
}

/** Decodes little-endian f16 bytes to f32. */
export function decodeF16(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = halfTable();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[view.getUint16(i * 2, true)];
  return out;
}

/** Quantizes f32 values (length a multiple of 32) to Q8_0 blocks, like ggml's reference quantizer. */
export function encodeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0)
    throw new Error(`Q8_0 needs a multiple of 32 values, got ${values.length}`);
  const nBlocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(nBlocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const a = Math.abs(values[base + j]);
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const id = d !== 0 ? 1 / d : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    view.setUint16(o, f32ToF16Bits(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = values[base + j] * id;
      // roundf: half away from zero (Math.round rounds halves up).
      const q = v < 0 ? -Math.round(-v) : Math.round(v);
      out[o + 2 + j] = q & 0xff;
    }
  }
  return out;
}

/** Dequantizes Q8_0 blocks to f32. */
export function decodeQ8_0(bytes: Uint8Array): Float32Array {
  const nBlocks = Math.floor(bytes.length / Q8_0_BLOCK_BYTES);
  const out = new Float32Array(nBlocks * Q8_0_BLOCK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = f16BitsToF32(view.getUint16(o, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = q[o + 2 + j] * d;
  }
  return out;
}

/** Encodes f32 values into the byte layout of a ggml type. */
export function encodeTensor(values: Float32Array, type: GgmlType): Uint8Array {
  switch (type) {
    case GgmlType.F32:
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case GgmlType.F16:
      return encodeF16(values);
    case GgmlType.Q8_0:
      return encodeQ8_0(values);
  }
}

/** Decodes the bytes of a ggml tensor to f32 values. */
export function decodeTensor(bytes: Uint8Array, type: GgmlType, dims: readonly number[]): Float32Array {
  const expected = tensorByteLength(dims, type);
  if (bytes.length !== expected)
    throw new Error(`tensor data has ${bytes.length} bytes, expected ${expected}`);
  switch (type) {
    case GgmlType.F32: {
      const copy = new Uint8Array(bytes); // aligned copy
      return new Float32Array(copy.buffer);
    }
    case GgmlType.F16:
      return decodeF16(bytes);
    case GgmlType.Q8_0:
      return decodeQ8_0(bytes);
  }
}
