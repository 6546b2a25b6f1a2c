/**
 * GGUF data model shared by the writer and the reader. Metadata values carry their GGUF type
 * explicitly, because llama.cpp is strict about it (a u32 count written as i32 fails to load).
 */

/** GGUF metadata value type ids, as stored on disk. */
export const GGUF_VALUE_TYPE_ID = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

/** Numeric metadata types whose values fit a JS number exactly. */
export type GgufNumberType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'float64';
/** 64-bit integer metadata types, held as bigint. */
export type GgufBigIntType = 'uint64' | 'int64';
/** Every scalar (non-array) metadata type. */
export type GgufScalarType = GgufNumberType | GgufBigIntType | 'bool' | 'string';

/** One scalar metadata value with its type. */
export type GgufScalar =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string };

/** A metadata array: one element type, many values (nested arrays are not supported). */
export type GgufArray =
  | { type: 'array'; elementType: GgufNumberType; values: number[] }
  | { type: 'array'; elementType: GgufBigIntType; values: bigint[] }
  | { type: 'array'; elementType: 'bool'; values: boolean[] }
  | { type: 'array'; elementType: 'string'; values: string[] };

/** Any metadata value. */
export type GgufValue = GgufScalar | GgufArray;

/** Metadata keyed by name (insertion order is the on-disk order). */
export type GgufMetadata = Record<string, GgufValue>;

/** ggml tensor types this project reads and writes. */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
/** A ggml tensor type id. */
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Human name of a supported ggml type id. */
export function ggmlTypeName(type: number): string {
  switch (type) {
    case GgmlType.F32:
      return 'F32';
    case GgmlType.F16:
      return 'F16';
    case GgmlType.Q8_0:
      return 'Q8_0';
    default:
      return `ggml type ${type}`;
  }
}

/** Weights per Q8_0 block and bytes per block (f16 scale + 32 int8). */
export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 34;

/**
 * Tensor payload for the writer: a Float32Array is encoded into `type`; a Uint8Array is taken as
 * bytes already in `type`'s encoding; a function yields those bytes in chunks (for huge tensors).
 */
export type GgufTensorData = Float32Array | Uint8Array | (() => Iterable<Uint8Array>);

/** One tensor: `dims` is ggml's ne[] order, dims[0] is the contiguous (row) dimension. */
export interface GgufTensor {
  name: string;
  dims: number[];
  type: GgmlType;
  data: GgufTensorData;
}

/** A whole GGUF file. */
export interface GgufFile {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensor[];
}

/** Tensor description as read from a file (data only when requested). */
export interface GgufTensorInfo {
  name: string;
  dims: number[];
  /** ggml type id; may be a type this project cannot decode (e.g. Q4_K in a real model). */
  type: number;
  /** Byte offset relative to the start of the data section. */
  offset: number;
  /** Encoded size in bytes. */
  byteLength: number;
  /** Raw encoded bytes, present when the file was read with `tensors: true`. */
  data?: Uint8Array;
}

/** Result of reading a GGUF file. */
export interface GgufReadResult {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
}

/** Number of elements of a tensor with these dims. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Encoded byte size of a tensor, or an error message if the shape does not fit the type. */
export function tensorByteLength(dims: readonly number[], type: number): number {
  const n = elementCount(dims);
  switch (type) {
    case GgmlType.F32:
      return n * 4;
    case GgmlType.F16:
      return n * 2;
    case GgmlType.Q8_0:
      if (dims[0] % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs dims[0] % 32 == 0, got dims ${dims}`);
      return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
    default:
      throw new Error(`unsupported ggml type ${type}`);
  }
}

// Typed constructors, so call sites say which GGUF type a value has.
/** uint8 metadata value. */
export const u8 = (value: number): GgufScalar => ({ type: 'uint8', value });
/** int8 metadata value. */
export const i8 = (value: number): GgufScalar => ({ type: 'int8', value });
/** uint16 metadata value. */
export const u16 = (value: number): GgufScalar => ({ type: 'uint16', value });
/** int16 metadata value. */
export const i16 = (value: number): GgufScalar => ({ type: 'int16', value });
/** uint32 metadata value. */
export const u32 = (value: number): GgufScalar => ({ type: 'uint32', value });
/** int32 metadata value. */
export const i32 = (value: number): GgufScalar => ({ type: 'int32', value });
/** float32 metadata value. */
export const f32 = (value: number): GgufScalar => ({ type: 'float32', value });
/** float64 metadata value. */
export const f64 = (value: number): GgufScalar => ({ type: 'float64', value });
/** uint64 metadata value. */
export const u64 = (value: number | bigint): GgufScalar => ({ type: 'uint64', value: BigInt(value) });
/** int64 metadata value. */
export const i64 = (value: number | bigint): GgufScalar => ({ type: 'int64', value: BigInt(value) });
/** bool metadata value. */
export const bool = (value: boolean): GgufScalar => ({ type: 'bool', value });
/** string metadata value. */
export const str = (value: string): GgufScalar => ({ type: 'string', value });

/** Array metadata value with an explicit element type. */
export function arr(elementType: GgufNumberType, values: readonly number[]): GgufArray;
export function arr(elementType: GgufBigIntType, values: readonly bigint[]): GgufArray;
export function arr(elementType: 'bool', values: readonly boolean[]): GgufArray;
export function arr(elementType: 'string', values: readonly string[]): GgufArray;
export function arr(elementType: GgufScalarType, values: readonly unknown[]): GgufArray {
  return { type: 'array', elementType, values: [...values] } as GgufArray;
}
