/**
 * GGUF v3 writer. The header (metadata + tensor infos) is built in memory; tensor data is written
 * tensor by tensor (or chunk by chunk) so a multi-GB file never needs a second copy in memory.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { encodeTensor } from './quant.ts';
import {
  elementCount,
  GGUF_VALUE_TYPE_ID,
  type GgufFile,
  type GgufScalarType,
  type GgufTensor,
  type GgufValue,
  tensorByteLength,
} from './types.ts';

/** Alignment of the data section and of every tensor inside it (GGUF default). */
export const GGUF_ALIGNMENT = 32;

const encoder = new TextEncoder();

/** Growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(x: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, x);
    this.length += 1;
  }
  i8(x: number): void {
    this.reserve(1);
    this.view.setInt8(this.length, x);
    this.length += 1;
  }
  u16(x: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, x, true);
    this.length += 2;
  }
  i16(x: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, x, true);
    this.length += 2;
  }
  u32(x: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, x, true);
    this.length += 4;
  }
  i32(x: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, x, true);
    this.length += 4;
  }
  f32(x: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, x, true);
    this.length += 4;
  }
  f64(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }
  u64(x: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(x), true);
    this.length += 8;
  }
  i64(x: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, x, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function checkInt(key: string, type: string, x: number, lo: number, hi: number): void {
  if (!Number.isInteger(x) || x < lo || x > hi)
    throw new Error(`metadata ${key}: ${x} is not a valid ${type}`);
}

function writeScalar(sink: ByteSink, key: string, type: GgufScalarType, v: unknown): void {
  switch (type) {
    case 'uint8':
      checkInt(key, type, v as number, 0, 0xff);
      sink.u8(v as number);
      break;
    case 'int8':
      checkInt(key, type, v as number, -0x80, 0x7f);
      sink.i8(v as number);
      break;
    case 'uint16':
      checkInt(key, type, v as number, 0, 0xffff);
      sink.u16(v as number);
      break;
    case 'int16':
      checkInt(key, type, v as number, -0x8000, 0x7fff);
      sink.i16(v as number);
      break;
    case 'uint32':
      checkInt(key, type, v as number, 0, 0xffffffff);
      sink.u32(v as number);
      break;
    case 'int32':
      checkInt(key, type, v as number, -0x80000000, 0x7fffffff);
      sink.i32(v as number);
      break;
    case 'float32':
      sink.f32(v as number);
      break;
    case 'float64':
      sink.f64(v as number);
      break;
    case 'uint64':
      sink.u64(v as bigint);
      break;
    case 'int64':
      sink.i64(v as bigint);
      break;
    case 'bool':
      sink.u8(v ? 1 : 0);
      break;
    case 'string':
      sink.string(v as string);
      break;
  }
}

function writeValue(sink: ByteSink, key: string, value: GgufValue): void {
  sink.u32(GGUF_VALUE_TYPE_ID[value.type]);
  if (value.type === 'array') {
    sink.u32(GGUF_VALUE_TYPE_ID[value.elementType]);
    sink.u64(value.values.length);
    for (const v of value.values) writeScalar(sink, key, value.elementType, v);
  } else {
    writeScalar(sink, key, value.type, value.value);
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Validates tensors and returns each one's encoded size and offset in the data section. */
function layoutTensors(tensors: readonly GgufTensor[]): {
  sizes: number[];
  offsets: number[];
  total: number;
} {
  const names = new Set<string>();
  const sizes: number[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    names.add(t.name);
    if (t.dims.length < 1 || t.dims.length > 4 || t.dims.some((d) => !Number.isInteger(d) || d < 1))
      throw new Error(`tensor ${t.name}: bad dims [${t.dims}]`);
    const size = tensorByteLength(t.dims, t.type);
    if (t.data instanceof Float32Array && t.data.length !== elementCount(t.dims))
      throw new Error(`tensor ${t.name}: ${t.data.length} values for dims [${t.dims}]`);
    if (t.data instanceof Uint8Array && t.data.length !== size)
      throw new Error(`tensor ${t.name}: ${t.data.length} bytes, expected ${size} for dims [${t.dims}]`);
    sizes.push(size);
    offsets.push(offset);
    offset = alignUp(offset + size, GGUF_ALIGNMENT);
  }
  return { sizes, offsets, total: offset };
}

/** Encodes the header: magic, counts, metadata, tensor infos, padding to the data section. */
export function encodeGgufHeader(file: GgufFile): Uint8Array {
  if (file.version !== 3) throw new Error(`only GGUF version 3 is written, got ${file.version}`);
  const { offsets } = layoutTensors(file.tensors);
  const sink = new ByteSink();
  sink.bytes(encoder.encode('GGUF'));
  sink.u32(file.version);
  sink.u64(file.tensors.length);
  const entries = Object.entries(file.metadata);
  sink.u64(entries.length);
  for (const [key, value] of entries) {
    sink.string(key);
    writeValue(sink, key, value);
  }
  file.tensors.forEach((t, i) => {
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(t.type);
    sink.u64(offsets[i]);
  });
  sink.padTo(GGUF_ALIGNMENT);
  return sink.result();
}

/** Yields a tensor's encoded bytes, checking that chunked data has the right total size. */
function* tensorChunks(t: GgufTensor, size: number): Generator<Uint8Array> {
  if (t.data instanceof Float32Array) {
    yield encodeTensor(t.data, t.type);
  } else if (t.data instanceof Uint8Array) {
    yield t.data;
  } else {
    let total = 0;
    for (const chunk of t.data()) {
      total += chunk.length;
      if (total > size) throw new Error(`tensor ${t.name}: chunks exceed ${size} bytes`);
      yield chunk;
    }
    if (total !== size) throw new Error(`tensor ${t.name}: chunks gave ${total} bytes, expected ${size}`);
  }
}

/** Encodes a whole GGUF file in memory (for small files). */
export function encodeGguf(file: GgufFile): Uint8Array {
  const header = encodeGgufHeader(file);
  const { sizes, offsets, total } = layoutTensors(file.tensors);
  const out = new Uint8Array(header.length + total);
  out.set(header);
  file.tensors.forEach((t, i) => {
    let pos = header.length + offsets[i];
    for (const chunk of tensorChunks(t, sizes[i])) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
  });
  return out;
}

const PADDING = new Uint8Array(GGUF_ALIGNMENT);

/** Writes a GGUF file, streaming tensor data; writes a temp file and renames it into place. */
export async function writeGguf(path: string, file: GgufFile): Promise<void> {
  const header = encodeGgufHeader(file);
  const { sizes } = layoutTensors(file.tensors);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, header);
    file.tensors.forEach((t, i) => {
      for (const chunk of tensorChunks(t, sizes[i])) writeAll(fd, chunk);
      const pad = (GGUF_ALIGNMENT - (sizes[i] % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
      if (pad) writeAll(fd, PADDING.subarray(0, pad));
    });
    closeSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, path);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}
