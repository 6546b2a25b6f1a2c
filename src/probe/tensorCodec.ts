import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/**
 * JSON form of a numeric array: little-endian IEEE bytes in base64. f32 for network weights, f64 for
 * values computed in double (scaler statistics, logistic coefficients), so a JSON round trip is exact.
 */
export const TensorJsonSchema = z.object({
  dtype: z.enum(['f32le', 'f64le']),
  length: z.number().int().nonnegative(),
  base64: z.string(),
});
export type TensorJson = z.infer<typeof TensorJsonSchema>;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes a Float32Array or Float64Array as little-endian base64. */
export function encodeTensor(a: Float32Array | Float64Array): TensorJson {
  const dtype = a instanceof Float32Array ? 'f32le' : 'f64le';
  const bytes = new Uint8Array(a.byteLength);
  const view = new DataView(bytes.buffer);
  if (littleEndianHost) bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  else if (dtype === 'f32le') for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  else for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i], true);
  return { dtype, length: a.length, base64: Buffer.from(bytes).toString('base64') };
}

function decodeBytes(t: TensorJson, width: number, what: string): DataView {
  const bytes = Buffer.from(t.base64, 'base64');
  if (bytes.length !== t.length * width)
    throw new InvalidArgumentError(
      `${what}: ${bytes.length} bytes of ${t.dtype} data, expected ${t.length * width}`,
    );
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes an f32le tensor; `expectLength` guards shapes. */
export function decodeF32(t: TensorJson, what: string, expectLength?: number): Float32Array {
  if (t.dtype !== 'f32le') throw new InvalidArgumentError(`${what}: expected dtype f32le, got ${t.dtype}`);
  if (expectLength !== undefined && t.length !== expectLength)
    throw new InvalidArgumentError(`${what}: has ${t.length} values, expected ${expectLength}`);
  const view = decodeBytes(t, 4, what);
  const out = new Float32Array(t.length);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Decodes an f64le tensor; `expectLength` guards shapes. */
export function decodeF64(t: TensorJson, what: string, expectLength?: number): Float64Array {
  if (t.dtype !== 'f64le') throw new InvalidArgumentError(`${what}: expected dtype f64le, got ${t.dtype}`);
  if (expectLength !== undefined && t.length !== expectLength)
    throw new InvalidArgumentError(`${what}: has ${t.length} values, expected ${expectLength}`);
  const view = decodeBytes(t, 8, what);
  const out = new Float64Array(t.length);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
