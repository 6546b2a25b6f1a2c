import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { decodeGguf, dequantize, readGguf } from '../../src/gguf/reader.ts';
import {
  arr,
  bool,
  f32,
  f64,
  GgmlType,
  type GgufFile,
  i8,
  i16,
  i32,
  i64,
  str,
  u8,
  u16,
  u32,
  u64,
} from '../../src/gguf/types.ts';
import { encodeGguf, writeGguf } from '../../src/gguf/writer.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const dir = mkdtempSync(join(tmpdir(), 'gguf-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomValues(n: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

function sampleFile(): GgufFile {
  return {
    version: 3,
    metadata: {
      'general.architecture': str('llama'),
      'test.u8': u8(255),
      'test.i8': i8(-128),
      'test.u16': u16(65535),
      'test.i16': i16(-32768),
      'test.u32': u32(4294967295),
      'test.i32': i32(-2147483648),
      'test.f32': f32(0.1),
      'test.f64': f64(Math.PI),
      'test.u64': u64(2n ** 64n - 1n),
      'test.i64': i64(-(2n ** 63n)),
      'test.bool': bool(true),
      'test.str': str('héllo ▁ wörld <think>'),
      'test.empty': str(''),
      'test.arr_str': arr('string', ['a', 'Ġb', '', '<0x0A>']),
      'test.arr_i32': arr('int32', [1, -2, 3]),
      'test.arr_f32': arr('float32', [0.5, -1.25]),
      'test.arr_u64': arr('uint64', [1n, 2n ** 40n]),
      'test.arr_bool': arr('bool', [true, false]),
      'test.arr_empty': arr('uint8', []),
    },
    tensors: [
      { name: 'a.f32', dims: [64, 3], type: GgmlType.F32, data: randomValues(192, 1) },
      { name: 'b.f16', dims: [5], type: GgmlType.F16, data: new Float32Array([1, 2.5, -3, 1e-5, 70000]) },
      { name: 'c.q8', dims: [32, 2, 2], type: GgmlType.Q8_0, data: randomValues(128, 2) },
      { name: 'd.f32', dims: [7], type: GgmlType.F32, data: randomValues(7, 3) },
    ],
  };
}

describe('GGUF round trip', () => {
  it('reads back every value type exactly and tensors within quantization error', async () => {
    const file = sampleFile();
    const path = join(dir, 'sample.gguf');
    await writeGguf(path, file);
    const got = await readGguf(path, { tensors: true });
    expect(got.version).toBe(3);
    expect(got.alignment).toBe(32);
    const md = { ...file.metadata, 'test.f32': f32(Math.fround(0.1)) };
    expect(got.metadata).toEqual(md);
    expect(got.tensors.map((t) => [t.name, t.dims, t.type])).toEqual(
      file.tensors.map((t) => [t.name, t.dims, t.type]),
    );
    for (const t of got.tensors) expect(t.offset % 32).toBe(0);
    expect(got.dataOffset % 32).toBe(0);

    const [a, b, c, d] = got.tensors.map(dequantize);
    expect(a).toEqual(file.tensors[0].data);
    expect(d).toEqual(file.tensors[3].data);
    expect(Array.from(b)).toEqual([1, 2.5, -3, 168 * 2 ** -24, Number.POSITIVE_INFINITY]);
    const cSrc = file.tensors[2].data as Float32Array;
    for (let i = 0; i < 128; i++) {
      const blockMax = Math.max(...Array.from(cSrc.subarray(i & ~31, (i & ~31) + 32), Math.abs));
      expect(Math.abs(c[i] - cSrc[i])).toBeLessThanOrEqual(blockMax / 127 / 2 + 1e-3 * blockMax);
    }
  });

  it('writes the same bytes streamed as in memory, and reads buffers like files', async () => {
    const file = sampleFile();
    const path = join(dir, 'same.gguf');
    await writeGguf(path, file);
    const disk = new Uint8Array(readFileSync(path));
    const mem = encodeGguf(file);
    expect(Buffer.compare(disk, mem)).toBe(0);
    expect(decodeGguf(mem).metadata).toEqual((await readGguf(path)).metadata);
  });

  it('streams chunked tensor data and checks its size', async () => {
    const raw = new Uint8Array(34 * 4).map((_, i) => i);
    const chunked: GgufFile = {
      version: 3,
      metadata: {},
      tensors: [
        {
          name: 'q',
          dims: [64, 2],
          type: GgmlType.Q8_0,
          data: () => [raw.subarray(0, 50), raw.subarray(50)],
        },
      ],
    };
    const got = decodeGguf(encodeGguf(chunked), { tensors: true });
    expect(got.tensors[0].data).toEqual(raw);
    const short: GgufFile = {
      ...chunked,
      tensors: [{ ...chunked.tensors[0], data: () => [raw.subarray(0, 50)] }],
    };
    await expect(writeGguf(join(dir, 'short.gguf'), short)).rejects.toThrow(/expected 136/);
  });

  it('rejects bad metadata values and tensor shapes', () => {
    const bad =
      (md: GgufFile['metadata'], tensors: GgufFile['tensors'] = []) =>
      () =>
        encodeGguf({ version: 3, metadata: md, tensors });
    expect(bad({ x: u32(-1) })).toThrow(/not a valid uint32/);
    expect(bad({ x: u8(1.5) })).toThrow(/not a valid uint8/);
    expect(bad({}, [{ name: 't', dims: [31], type: GgmlType.Q8_0, data: new Float32Array(31) }])).toThrow(
      /32/,
    );
    expect(bad({}, [{ name: 't', dims: [4], type: GgmlType.F32, data: new Float32Array(3) }])).toThrow(
      /3 values/,
    );
  });
});

describe('agreement with @huggingface/gguf', () => {
  it('parses our files to the same metadata and tensor infos', async () => {
    const path = join(dir, 'ref.gguf');
    await writeGguf(path, sampleFile());
    const ref = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    const ours = await readGguf(path);
    expect(ref.metadata.version).toBe(ours.version);
    expect(Number(ref.metadata.tensor_count)).toBe(ours.tensors.length);
    expect(Number(ref.metadata.kv_count)).toBe(Object.keys(ours.metadata).length);
    const typeName = (id: number) =>
      [
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
      ][id];
    for (const [key, v] of Object.entries(ours.metadata)) {
      const r = ref.typedMetadata[key] as { value: unknown; type: number; subType?: number };
      expect(typeName(r.type), key).toBe(v.type);
      if (v.type === 'array') {
        expect(typeName(r.subType!), key).toBe(v.elementType);
        expect(r.value, key).toEqual(v.values);
      } else {
        expect(r.value, key).toEqual(v.value);
      }
    }
    expect(ref.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype, Number(t.offset)])).toEqual(
      ours.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
    );
  });
});

describe('bad files', () => {
  const good = encodeGguf(sampleFile());
  const write = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const failure = async (p: string): Promise<Error> => {
    try {
      await readGguf(p);
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected readGguf to fail');
  };

  it('rejects a file that is not GGUF', async () => {
    const err = await failure(write('notgguf.bin', new TextEncoder().encode('{"hello": 1}')));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/notgguf\.bin is not a GGUF file/);
  });

  it('rejects an unsupported version', async () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(4, 1, true);
    const err = await failure(write('v1.gguf', bytes));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/version 1 is not supported/);
  });

  it('names the path and the part that is cut off in a truncated file', async () => {
    for (const [cut, what] of [
      [20, /tensor count|metadata count/],
      [60, /metadata/],
      [good.length - 40, /data of tensor d\.f32/],
    ] as const) {
      const err = await failure(write(`cut${cut}.gguf`, good.subarray(0, cut)));
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(new RegExp(`cut${cut}\\.gguf is truncated`));
      expect(err.message).toMatch(what);
    }
  });

  it('rejects every truncation point of the header with a UserError', () => {
    const header = decodeGguf(good).dataOffset;
    for (let cut = 0; cut < header; cut += 7) {
      expect(() => decodeGguf(good.subarray(0, cut)), `cut at ${cut}`).toThrow(UserError);
    }
  });

  it('rejects an unknown tensor type, and refuses to decode a known but unsupported one', async () => {
    const one: GgufFile = {
      version: 3,
      metadata: {},
      tensors: [{ name: 'w', dims: [256], type: GgmlType.F32, data: new Float32Array(256) }],
    };
    const bytes = encodeGguf(one);
    const typePos = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8; // header, name, n_dims, ne[0]
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(typePos, true)).toBe(0);
    view.setUint32(typePos, 77, true);
    expect(() => decodeGguf(bytes)).toThrow(/unsupported type ggml type 77/);
    view.setUint32(typePos, 12, true); // Q4_K: 256 weights in 144 bytes, fits in the 1 KiB of data
    const q4k = decodeGguf(bytes, { tensors: true });
    expect(q4k.tensors[0].byteLength).toBe(144);
    expect(() => dequantize(q4k.tensors[0])).toThrow(/Q4_K, which cannot be decoded/);
  });
});
