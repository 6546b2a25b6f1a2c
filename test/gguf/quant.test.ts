import { describe, expect, it } from 'vitest';
import {
  decodeF16,
  decodeQ8_0,
  encodeF16,
  encodeQ8_0,
  f16BitsToF32,
  f32ToF16Bits,
} from '../../src/gguf/quant.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

/** Independent decoder: the IEEE 754 binary16 formula, written from the standard. */
function halfValue(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return e === 0 ? s * (m / 1024) * 2 ** -14 : s * (1 + m / 1024) * 2 ** (e - 15);
}

describe('f16 conversion', () => {
  it('encodes known values', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite
      [65519, 0x7bff], // just below the rounding midpoint to infinity
      [65520, 0x7c00], // midpoint rounds to even = infinity
      [1e6, 0x7c00],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half of it: tie to even (zero)
      [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 subnormal units: to even (2)
      [2 ** -25 * 1.0001, 0x0001], // just above the tie
      [1 + 2 ** -11, 0x3c00], // tie between 1 and next: even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: even
      [1 / 3, 0x3555],
    ];
    for (const [x, h] of cases) expect(f32ToF16Bits(x), `f16(${x})`).toBe(h);
    const nan = f32ToF16Bits(Number.NaN);
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
    expect(Number.isNaN(f16BitsToF32(nan))).toBe(true);
  });

  it('round-trips every half value and decodes like the IEEE formula', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = halfValue(h);
      const ok = Number.isNaN(v)
        ? Number.isNaN(f16BitsToF32(h))
        : Object.is(f16BitsToF32(h), v) && f32ToF16Bits(v) === h;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds midpoints to even and near-midpoints to nearest, for all finite positive halves', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const lo = halfValue(h);
      const hi = halfValue(h + 1);
      const mid = (lo + hi) / 2; // exact in f32: halves have 11 significant bits
      const even = (h & 1) === 0 ? h : h + 1;
      const eps = (hi - lo) / 8;
      const ok =
        f32ToF16Bits(mid) === even &&
        f32ToF16Bits(-mid) === (even | 0x8000) &&
        f32ToF16Bits(mid - eps) === h &&
        f32ToF16Bits(mid + eps) === h + 1;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('encodes and decodes arrays', () => {
    const x = new Float32Array([1, -0.25, 3.140625, 2 ** -20]);
    expect(Array.from(decodeF16(encodeF16(x)))).toEqual([1, -0.25, 3.140625, 2 ** -20]);
  });
});

describe('Q8_0', () => {
  it('quantizes within half a step and matches the block definition', () => {
    const rng = new SeededRandom(7);
    const n = 32 * 64;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.normal() * (1 + (i >> 5)); // a different scale per block
    const bytes = encodeQ8_0(x);
    expect(bytes.length).toBe(64 * 34);
    const y = decodeQ8_0(bytes);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < 64; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
      const d = f16BitsToF32(view.getUint16(b * 34, true));
      expect(Math.abs(d - amax / 127)).toBeLessThanOrEqual((amax / 127) * 2 ** -11);
      for (let j = 0; j < 32; j++) {
        const q = (bytes[b * 34 + 2 + j] << 24) >> 24;
        expect(Math.abs(q)).toBeLessThanOrEqual(127);
        expect(y[b * 32 + j]).toBeCloseTo(q * d, 6);
        // Error: half a quantization step plus the f16 rounding of the scale.
        expect(Math.abs(y[b * 32 + j] - x[b * 32 + j])).toBeLessThanOrEqual(
          d / 2 + 127 * d * 2 ** -11 + 1e-7,
        );
      }
    }
  });

  it('handles an all-zero block and rejects lengths that are not multiples of 32', () => {
    expect(Array.from(decodeQ8_0(encodeQ8_0(new Float32Array(32))))).toEqual(new Array(32).fill(0));
    expect(() => encodeQ8_0(new Float32Array(31))).toThrow(/multiple of 32/);
  });
});
