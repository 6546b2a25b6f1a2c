/**
 * Training checkpoints: config, step, optimizer state and weights in one file, written to a temporary
 * name and renamed so a crash mid-write never leaves a broken checkpoint.
 * Layout: "LYNXCKP1", u32 header length, UTF-8 JSON header, zero padding to 4 bytes, then float32
 * params, m, v (each `floats` long).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import type { Vec } from './heap.ts';

const MAGIC = 'LYNXCKP1';

/** What a checkpoint holds besides the three float vectors. */
export interface CheckpointHeader {
  config: ModelConfig;
  /** Number of completed training steps. */
  step: number;
  /** AdamW update count. */
  adamT: number;
  floats: number;
  /** Free-form provenance (seed, lr, data description...). */
  meta?: Record<string, unknown>;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  header: CheckpointHeader;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** Writes a checkpoint atomically (tmp file + rename). */
export function saveCheckpoint(
  path: string,
  header: Omit<CheckpointHeader, 'floats'>,
  params: Vec,
  m: Vec,
  v: Vec,
): void {
  const full: CheckpointHeader = { ...header, floats: params.length };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const headLen = 8 + 4 + json.length;
  const pad = (4 - (headLen % 4)) % 4;
  const buf = Buffer.alloc(headLen + pad + 3 * 4 * params.length);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  const f = new Float32Array(buf.buffer, buf.byteOffset + headLen + pad, 3 * params.length);
  f.set(params, 0);
  f.set(m, params.length);
  f.set(v, 2 * params.length);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, buf);
  renameSync(tmp, path);
}

/** Reads a checkpoint written by saveCheckpoint. */
export function loadCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC)
    throw new UserError(`${path} is not a lynx-exit training checkpoint`);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as CheckpointHeader;
  const start = 12 + len + ((4 - ((12 + len) % 4)) % 4);
  const n = header.floats;
  if (buf.length !== start + 12 * n)
    throw new UserError(`${path}: checkpoint is truncated (${buf.length} bytes, expected ${start + 12 * n})`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 12 * n));
  return { header, params: all.subarray(0, n), m: all.subarray(n, 2 * n), v: all.subarray(2 * n, 3 * n) };
}
