/**
 * GGUF reader (versions 2 and 3, little-endian): header, typed metadata, tensor infos and,
 * on request, raw tensor bytes, which `dequantize` turns into f32 for F32/F16/Q8_0 tensors.
 * Files are read through a sliding window, so metadata of a multi-GB model costs little memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { ggmlByteLength, ggmlTypeLabel } from './ggmlTypes.ts';
import { decodeTensor } from './quant.ts';
import {
  GgmlType,
  type GgufMetadata,
  type GgufReadResult,
  type GgufScalarType,
  type GgufTensorInfo,
  type GgufValue,
} from './types.ts';

/** Options of `readGguf` / `decodeGguf`. */
export interface ReadOptions {
  /** Read tensor bytes too: all (true) or those whose name passes the filter. */
  tensors?: boolean | ((name: string) => boolean);
}

const TYPE_BY_ID: Array<GgufScalarType | 'array'> = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];
const SCALAR_SIZE: Record<string, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
  string: 8, // at least the length prefix
};
const DEFAULT_ALIGNMENT = 32;
const WINDOW = 1 << 20;

/** Random access to the bytes of a file or buffer; throws a truncation UserError past the end. */
interface ByteSource {
  readonly size: number;
  readonly label: string;
  view(pos: number, n: number, what: string): DataView;
}

function truncated(label: string, what: string, pos: number, n: number, size: number): UserError {
  return new UserError(
    `${label} is truncated: ${what} needs bytes ${pos}..${pos + n} but the file has only ${size} bytes`,
  );
}

class BufferSource implements ByteSource {
  constructor(
    private readonly bytes: Uint8Array,
    readonly label: string,
  ) {}
  get size(): number {
    return this.bytes.length;
  }
  view(pos: number, n: number, what: string): DataView {
    if (pos + n > this.bytes.length) throw truncated(this.label, what, pos, n, this.size);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + pos, n);
  }
}

class FileSource implements ByteSource {
  private buf = new Uint8Array(0);
  private start = 0;
  readonly size: number;
  constructor(
    private readonly fd: number,
    readonly label: string,
  ) {
    this.size = fstatSync(fd).size;
  }
  view(pos: number, n: number, what: string): DataView {
    if (pos + n > this.size) throw truncated(this.label, what, pos, n, this.size);
    if (pos < this.start || pos + n > this.start + this.buf.length) {
      const len = Math.min(Math.max(n, WINDOW), this.size - pos);
      this.buf = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const got = readSync(this.fd, this.buf, done, len - done, pos + done);
        if (got === 0) throw truncated(this.label, what, pos, n, pos + done);
        done += got;
      }
      this.start = pos;
    }
    return new DataView(this.buf.buffer, pos - this.start, n);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Sequential parser over a ByteSource. */
class Parser {
  pos = 0;
  constructor(readonly src: ByteSource) {}

  private take(n: number, what: string): DataView {
    const v = this.src.view(this.pos, n, what);
    this.pos += n;
    return v;
  }
  take4(what: string): string {
    const v = this.take(4, what);
    return String.fromCharCode(v.getUint8(0), v.getUint8(1), v.getUint8(2), v.getUint8(3));
  }
  u32(what: string): number {
    return this.take(4, what).getUint32(0, true);
  }
  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  count(what: string): number {
    const v = this.take(8, what).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt(`${what} is ${v}, which is impossible`);
    return Number(v);
  }
  string(what: string): string {
    const n = this.count(`length of ${what}`);
    if (this.pos + n > this.src.size) throw truncated(this.src.label, what, this.pos, n, this.src.size);
    const v = this.take(n, what);
    try {
      return decoder.decode(new Uint8Array(v.buffer, v.byteOffset, n));
    } catch {
      throw this.corrupt(`${what} is not valid UTF-8`);
    }
  }
  scalar(type: GgufScalarType, what: string): number | bigint | boolean | string {
    switch (type) {
      case 'uint8':
        return this.take(1, what).getUint8(0);
      case 'int8':
        return this.take(1, what).getInt8(0);
      case 'uint16':
        return this.take(2, what).getUint16(0, true);
      case 'int16':
        return this.take(2, what).getInt16(0, true);
      case 'uint32':
        return this.take(4, what).getUint32(0, true);
      case 'int32':
        return this.take(4, what).getInt32(0, true);
      case 'float32':
        return this.take(4, what).getFloat32(0, true);
      case 'float64':
        return this.take(8, what).getFloat64(0, true);
      case 'uint64':
        return this.take(8, what).getBigUint64(0, true);
      case 'int64':
        return this.take(8, what).getBigInt64(0, true);
      case 'bool':
        return this.take(1, what).getUint8(0) !== 0;
      case 'string':
        return this.string(what);
    }
  }
  valueType(what: string): GgufScalarType | 'array' {
    const id = this.u32(what);
    const t = TYPE_BY_ID[id];
    if (t === undefined) throw this.corrupt(`${what} has unknown value type ${id}`);
    return t;
  }
  value(key: string): GgufValue {
    const type = this.valueType(`type of metadata ${key}`);
    if (type !== 'array') return { type, value: this.scalar(type, `value of metadata ${key}`) } as GgufValue;
    const elementType = this.valueType(`element type of metadata ${key}`);
    if (elementType === 'array')
      throw new UserError(`${this.src.label}: nested arrays (metadata ${key}) are not supported`);
    const n = this.count(`length of metadata ${key}`);
    const need = n * SCALAR_SIZE[elementType];
    if (this.pos + need > this.src.size)
      throw truncated(this.src.label, `array metadata ${key}`, this.pos, need, this.src.size);
    const values: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = this.scalar(elementType, `element ${i} of metadata ${key}`);
    return { type: 'array', elementType, values } as GgufValue;
  }
  corrupt(msg: string): UserError {
    return new UserError(`${this.src.label} is not a valid GGUF file: ${msg}`);
  }
}

function parse(src: ByteSource, opts: ReadOptions): GgufReadResult {
  const p = new Parser(src);
  if (src.size < 4) throw new UserError(`${src.label} is not a GGUF file (it has only ${src.size} bytes)`);
  const magic = p.take4('magic');
  if (magic !== 'GGUF')
    throw new UserError(`${src.label} is not a GGUF file (it starts with ${JSON.stringify(magic)})`);
  const version = p.u32('version');
  if (version !== 2 && version !== 3) {
    const hint = version > 0xffff ? ' (a big-endian file?)' : '';
    throw new UserError(
      `${src.label}: GGUF version ${version} is not supported${hint}; versions 2 and 3 are`,
    );
  }
  const nTensors = p.count('tensor count');
  const nKv = p.count('metadata count');
  const metadata: GgufMetadata = {};
  for (let i = 0; i < nKv; i++) {
    const key = p.string(`metadata key #${i}`);
    metadata[key] = p.value(key);
  }
  const align = metadata['general.alignment'];
  const alignment =
    align && align.type !== 'array' && typeof align.value === 'number' ? align.value : DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment < 1) throw p.corrupt(`general.alignment is ${alignment}`);

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = p.string(`name of tensor #${i}`);
    const nDims = p.u32(`dimension count of tensor ${name}`);
    if (nDims < 1 || nDims > 4) throw p.corrupt(`tensor ${name} has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(p.count(`dimension ${d} of tensor ${name}`));
    const type = p.u32(`type of tensor ${name}`);
    const offset = p.count(`offset of tensor ${name}`);
    const byteLength = ggmlByteLength(type, dims);
    if (byteLength === undefined)
      throw new UserError(
        `${src.label}: tensor ${name} has unsupported type ${ggmlTypeLabel(type)} or a shape [${dims}] that does not fit it`,
      );
    if (offset % alignment !== 0)
      throw p.corrupt(`tensor ${name} offset ${offset} is not a multiple of ${alignment}`);
    tensors.push({ name, dims, type, offset, byteLength });
  }
  const dataOffset = Math.ceil(p.pos / alignment) * alignment;
  for (const t of tensors) {
    const start = dataOffset + t.offset;
    if (start + t.byteLength > src.size)
      throw truncated(src.label, `data of tensor ${t.name}`, start, t.byteLength, src.size);
  }
  const want = opts.tensors;
  if (want) {
    for (const t of tensors) {
      if (want !== true && !want(t.name)) continue;
      const v = src.view(dataOffset + t.offset, t.byteLength, `data of tensor ${t.name}`);
      t.data = new Uint8Array(v.buffer, v.byteOffset, t.byteLength).slice();
    }
  }
  return { version, metadata, tensors, alignment, dataOffset };
}

/** Reads a GGUF file: header, metadata, tensor infos and (optionally) tensor bytes. */
export async function readGguf(path: string, opts: ReadOptions = {}): Promise<GgufReadResult> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UserError(`cannot open GGUF file ${path}: ${(err as Error).message}`);
  }
  try {
    return parse(new FileSource(fd, path), opts);
  } finally {
    closeSync(fd);
  }
}

/** Parses a GGUF file held in memory. */
export function decodeGguf(bytes: Uint8Array, opts: ReadOptions = {}, label = 'GGUF buffer'): GgufReadResult {
  return parse(new BufferSource(bytes, label), opts);
}

/** Dequantizes a tensor read with its data to f32 (F32, F16 and Q8_0 only). */
export function dequantize(t: GgufTensorInfo): Float32Array {
  if (!t.data) throw new Error(`tensor ${t.name} was read without its data`);
  if (t.type !== GgmlType.F32 && t.type !== GgmlType.F16 && t.type !== GgmlType.Q8_0)
    throw new UserError(
      `tensor ${t.name} has type ${ggmlTypeLabel(t.type)}, which cannot be decoded (F32, F16, Q8_0 can)`,
    );
  return decodeTensor(t.data, t.type, t.dims);
}

/** A numeric metadata value (any integer or float type), or undefined if absent or not numeric. */
export function metaNumber(md: GgufMetadata, key: string): number | undefined {
  const v = md[key];
  if (!v || v.type === 'array' || v.type === 'string' || v.type === 'bool') return undefined;
  return Number(v.value);
}

/** A string metadata value, or undefined. */
export function metaString(md: GgufMetadata, key: string): string | undefined {
  const v = md[key];
  return v?.type === 'string' ? v.value : undefined;
}

/** A string-array metadata value, or undefined. */
export function metaStrings(md: GgufMetadata, key: string): string[] | undefined {
  const v = md[key];
  return v?.type === 'array' && v.elementType === 'string' ? v.values : undefined;
}
