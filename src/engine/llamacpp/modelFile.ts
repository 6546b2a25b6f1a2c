/**
 * Checks a GGUF file before llama.cpp sees it, so bad input gives a UserError that names the file
 * and the problem (llama.cpp's own failures are terse and go to its log).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { type GgufFileInfo, readGgufFileInfo } from 'node-llama-cpp';
import { DataFormatError, UserError } from '../../errors.ts';

/** Architectures the engine is tested on. */
export const SUPPORTED_ARCHITECTURES = ['llama', 'qwen2', 'qwen3'] as const;

/** Reads the first bytes of a file. */
function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Validates `path` as a GGUF of a supported architecture and returns its parsed header. */
export async function inspectModelFile(path: string): Promise<GgufFileInfo> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataFormatError(`model path is not a file: ${path}`);
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new DataFormatError(`model file not found: ${path}`);
  }
  if (readHead(path, 4).toString('latin1') !== 'GGUF')
    throw new DataFormatError(`${path} is not a GGUF file (it does not start with the "GGUF" magic)`);

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
  } catch (err) {
    throw new DataFormatError(`${path} is not a valid GGUF file: ${(err as Error).message}`);
  }
  const arch = String(info.metadata?.general?.architecture ?? '');
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch))
    throw new DataFormatError(
      `${path}: architecture "${arch}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`,
    );
  const needed = dataEnd(info);
  if (needed !== undefined && needed > size)
    throw new DataFormatError(`${path} is truncated: its tensors need ${needed} bytes, the file has ${size}`);
  return info;
}

/** Byte offset where the last tensor's data ends (undefined if the header has no tensor info). */
function dataEnd(info: GgufFileInfo): number | undefined {
  const tensors = info.fullTensorInfo ?? info.tensorInfo;
  if (!tensors || tensors.length === 0) return undefined;
  let end = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t.ggmlType, t.dimensions.map(Number));
    if (bytes === undefined) return undefined;
    end = Math.max(end, Number(t.fileOffset) + bytes);
  }
  return end;
}

/** Bytes of a tensor for the ggml types we can size; undefined for others. */
function tensorBytes(type: number, dims: number[]): number | undefined {
  const n = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case 0:
      return n * 4; // F32
    case 1:
      return n * 2; // F16
    case 8:
      return (n / 32) * 34; // Q8_0
    default:
      return undefined;
  }
}

/** Bytes sampled from each tensor for `weightsHash`, at its start and its middle. */
const SAMPLE_BYTES = 64;

/**
 * A fingerprint of the weights themselves, cheap on multi-GB files: sha256 over every tensor's
 * name, type and shape and 2 × 64 bytes of its data (start and middle). Another model with the
 * same architecture, sizes and vocabulary (a fine-tune) gets another hash.
 */
export function weightsHash(path: string, info: GgufFileInfo): string {
  const tensors = [...(info.fullTensorInfo ?? info.tensorInfo ?? [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    for (const t of tensors) {
      const dims = t.dimensions.map(Number);
      hash.update(`${t.name}\u0000${t.ggmlType}\u0000${dims.join(',')}\u0000`);
      const start = Number(t.fileOffset);
      const bytes = tensorBytes(Number(t.ggmlType), dims) ?? SAMPLE_BYTES;
      for (const at of [start, start + Math.floor(Math.max(0, bytes - SAMPLE_BYTES) / 2)]) {
        const n = readSync(fd, buf, 0, SAMPLE_BYTES, at);
        hash.update(buf.subarray(0, n));
      }
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}
