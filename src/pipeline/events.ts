/**
 * The events store written by `collect` and read by `fit`: one labelled row per cue event.
 *
 * Three files share a prefix P:
 * - `P.meta.json`: dimension, feature layers, model fingerprint, exit cue, cue lexicon, collect settings;
 * - `P.jsonl`: one `{"type":"event",...}` line per cue event and, after a rollout's events, one
 *   `{"type":"done",...}` line that records where the rollout's data ends in both files;
 * - `P.f32`: the feature matrix, little-endian float32, row-major, `dim` values per event row.
 *
 * A rollout is written as: its feature rows (then fsync), then its event lines plus its done line in
 * one write (then fsync). A rollout without a valid done line was interrupted; opening the store for
 * appending truncates both files back to the last done line, so a crash at any moment loses at most
 * the rollout in flight and never duplicates one.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeFingerprint, FingerprintSchema, sameModel } from '../bundle/fingerprint.ts';
import { DataFormatError } from '../errors.ts';

export const EVENTS_FORMAT = 'lynx-exit.events';
export const EVENTS_VERSION = 1;

/** `P.meta.json`: what every row of the store shares. */
export const EventsMetaSchema = z.object({
  format: z.literal(EVENTS_FORMAT),
  version: z.literal(EVENTS_VERSION),
  createdAt: z.string(),
  /** Values per feature row (= sum of the per-layer hidden sizes). */
  dim: z.number().int().positive(),
  /** Engine layer indices concatenated in each row, in order; -1 = final norm. */
  layers: z.array(z.number().int().min(-1)).min(1),
  model: z.object({ id: z.string(), fingerprint: FingerprintSchema }),
  exitCue: z.string(),
  cues: z.object({ lexicon: z.array(z.string().min(1)).min(1), mode: z.string() }),
  /** The collect settings that shaped every row (sampling, limits, dataset...). */
  settings: z.record(z.string(), z.unknown()),
});
export type EventsMeta = z.infer<typeof EventsMetaSchema>;

/** One cue event: where it happened and what a forced exit there gave. */
export const EventRecordSchema = z.object({
  type: z.literal('event'),
  /** Index of this event's row in `P.f32`. */
  row: z.number().int().nonnegative(),
  task: z.string(),
  problemId: z.string(),
  /** Sample index of the rollout for this problem (0-based). */
  rollout: z.number().int().nonnegative(),
  /** Index of the cue among the rollout's events (0-based, in cue order). */
  cueIndex: z.number().int().nonnegative(),
  /** Generated-token index of the cue's (last) token = thinking tokens before it (kept on exit). */
  position: z.number().int().nonnegative(),
  /** Lexicon word (lower case) and the text as generated; "" for a synthetic event. */
  cue: z.string(),
  cueText: z.string(),
  /** True for LYNX's synthetic event at 70% of a rollout without cues. */
  synthetic: z.boolean(),
  /** 1 if the forced-exit answer is correct against gold. */
  label: z.union([z.literal(0), z.literal(1)]),
  /** Forced-exit continuation after the exit cue (EOS excluded), and its decoded token count. */
  forcedAnswer: z.string(),
  forcedTokens: z.number().int().nonnegative(),
  forcedStoppedBy: z.string(),
  /** LYNX's tokens used when exiting here: position + exit-cue tokens + forced tokens. */
  usedTokens: z.number().int().nonnegative(),
  gold: z.string(),
  /** Rollout totals: generated tokens (thinking + answer) and thinking tokens. */
  rolloutTokens: z.number().int().nonnegative(),
  rolloutThinkingTokens: z.number().int().nonnegative(),
});
export type EventRecord = z.infer<typeof EventRecordSchema>;

/** The done line closing one rollout: its summary plus where its data ends in both files. */
export const RolloutRecordSchema = z.object({
  type: z.literal('done'),
  task: z.string(),
  problemId: z.string(),
  rollout: z.number().int().nonnegative(),
  /** Sampling seed of the rollout. */
  seed: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  /** Generated tokens (thinking + answer), thinking tokens, how thinking and generation ended. */
  tokens: z.number().int().nonnegative(),
  thinkingTokens: z.number().int().nonnegative(),
  exitReason: z.string(),
  finish: z.string(),
  /** The rollout's own final answer text and whether it is correct (vanilla accuracy). */
  answer: z.string(),
  correct: z.boolean(),
  gold: z.string(),
  /** Byte offset of this done line in `P.jsonl`; rows and bytes of `P.f32` after this rollout. */
  jsonlOffset: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  f32Bytes: z.number().int().nonnegative(),
});
export type RolloutRecord = z.infer<typeof RolloutRecordSchema>;

/** The three files of a store. */
export interface EventsPaths {
  prefix: string;
  meta: string;
  jsonl: string;
  f32: string;
}

/** The files of the store at `prefix`; a path ending in `.jsonl`, `.f32` or `.meta.json` names its store. */
export function eventsPaths(prefixOrFile: string): EventsPaths {
  const prefix = prefixOrFile.replace(/\.(jsonl|f32|meta\.json)$/, '');
  return { prefix, meta: `${prefix}.meta.json`, jsonl: `${prefix}.jsonl`, f32: `${prefix}.f32` };
}

/** Key of one rollout, unique within a store. */
export function rolloutKey(task: string, problemId: string, rollout: number): string {
  return `${task}\u0000${problemId}\u0000${rollout}`;
}

/** Key of one problem (for train / calibration disjointness). */
export function problemKey(task: string, problemId: string): string {
  return `${task}:${problemId}`;
}

/** What a scan of `P.jsonl` found: the complete rollouts and where the incomplete tail starts. */
interface JsonlScan {
  events: EventRecord[];
  rollouts: RolloutRecord[];
  /** Bytes of `P.jsonl` up to and including the last valid done line. */
  jsonlEnd: number;
  /** Rows and `P.f32` bytes of the complete rollouts. */
  rows: number;
  f32End: number;
  /** Bytes after `jsonlEnd` (an interrupted rollout). */
  tailBytes: number;
}

const NEWLINE = 0x0a;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`)
    .join('; ');
}

/**
 * Reads `P.jsonl` and keeps every rollout that ends in a consistent done line. An interrupted
 * rollout can only be at the end; a bad line followed by more complete rollouts is corruption.
 */
function scanJsonl(file: string, dim: number): JsonlScan {
  const buf = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const committed: EventRecord[] = [];
  const rollouts: RolloutRecord[] = [];
  let pending: EventRecord[] = [];
  let rows = 0;
  let jsonlEnd = 0;
  let offset = 0;
  let lineNo = 0;
  let stop: string | null = null;
  while (offset < buf.length) {
    const nl = buf.indexOf(NEWLINE, offset);
    lineNo++;
    if (nl < 0) {
      stop = `line ${lineNo} is incomplete`;
      break;
    }
    const text = buf.toString('utf8', offset, nl);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      stop = `line ${lineNo} is not JSON`;
      break;
    }
    const kind = (value as { type?: unknown } | null)?.type;
    if (kind === 'event') {
      const parsed = EventRecordSchema.safeParse(value);
      if (!parsed.success) {
        stop = `line ${lineNo} is not a valid event (${describeIssues(parsed.error)})`;
        break;
      }
      if (parsed.data.row !== rows + pending.length) {
        stop = `line ${lineNo}: event row ${parsed.data.row}, expected ${rows + pending.length}`;
        break;
      }
      pending.push(parsed.data);
    } else if (kind === 'done') {
      const parsed = RolloutRecordSchema.safeParse(value);
      if (!parsed.success) {
        stop = `line ${lineNo} is not a valid done line (${describeIssues(parsed.error)})`;
        break;
      }
      const d = parsed.data;
      const endRows = rows + pending.length;
      if (d.jsonlOffset !== offset || d.rows !== endRows || d.f32Bytes !== endRows * dim * 4) {
        stop = `line ${lineNo}: done line does not match the data before it`;
        break;
      }
      committed.push(...pending);
      pending = [];
      rollouts.push(d);
      rows = endRows;
      jsonlEnd = nl + 1;
    } else {
      stop = `line ${lineNo} has unknown type ${JSON.stringify(kind)}`;
      break;
    }
    offset = nl + 1;
  }
  if (stop !== null) {
    // Only the rollout in flight may be broken: any later done line means the middle is damaged.
    const rest = buf.toString('utf8', jsonlEnd);
    const lines = rest.split('\n');
    for (let i = 1; i < lines.length; i++) {
      if (lines[i].includes('"type":"done"') && i < lines.length - 1) {
        throw new DataFormatError(
          `${file} is damaged: ${stop}, but complete rollouts follow it; the store cannot be repaired automatically`,
        );
      }
    }
  }
  return {
    events: committed,
    rollouts,
    jsonlEnd,
    rows,
    f32End: rows * dim * 4,
    tailBytes: buf.length - jsonlEnd,
  };
}

/** Reads and validates `P.meta.json`. */
export function readEventsMeta(prefixOrFile: string): EventsMeta {
  const paths = eventsPaths(prefixOrFile);
  if (!existsSync(paths.meta)) {
    throw new DataFormatError(
      `no events store at ${paths.prefix}: ${paths.meta} does not exist (write one with \`lynx-exit collect --out ${paths.prefix}\`)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.meta, 'utf8'));
  } catch (e) {
    throw new DataFormatError(`${paths.meta} is not valid JSON: ${(e as Error).message}`);
  }
  const head = raw as { format?: unknown; version?: unknown } | null;
  if (head?.format !== EVENTS_FORMAT) {
    throw new DataFormatError(
      `${paths.meta} is not an events meta file (format ${JSON.stringify(head?.format ?? null)})`,
    );
  }
  if (head.version !== EVENTS_VERSION) {
    throw new DataFormatError(
      `${paths.meta} has version ${JSON.stringify(head.version)}; this lynx-exit reads ${EVENTS_VERSION}`,
    );
  }
  const parsed = EventsMetaSchema.safeParse(raw);
  if (!parsed.success)
    throw new DataFormatError(`${paths.meta} is malformed: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Everything in a store: meta, the events of complete rollouts, their features and labels. */
export interface EventsData {
  paths: EventsPaths;
  meta: EventsMeta;
  events: EventRecord[];
  rollouts: RolloutRecord[];
  /** Feature matrix, row-major: event i is X[i*dim .. (i+1)*dim). */
  X: Float32Array;
  dim: number;
  /** Labels, y[i] = events[i].label. */
  y: Uint8Array;
  /** Bytes of an interrupted rollout left at the end (0 when the store is complete). */
  incompleteBytes: number;
}

/** Decodes little-endian float32 bytes. */
function decodeF32(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (endianness() === 'LE') {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Encodes float32 values as little-endian bytes. */
function encodeF32(values: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
  return out;
}

/**
 * Reads a store: the rows of its complete rollouts. A rollout interrupted at the end is left out
 * (`incompleteBytes` > 0); a feature file shorter than the done lines say is a UserError.
 */
export function readEvents(prefixOrFile: string): EventsData {
  const paths = eventsPaths(prefixOrFile);
  const meta = readEventsMeta(paths.prefix);
  if (!existsSync(paths.jsonl))
    throw new DataFormatError(`events store ${paths.prefix}: ${paths.jsonl} is missing`);
  if (!existsSync(paths.f32))
    throw new DataFormatError(`events store ${paths.prefix}: ${paths.f32} is missing`);
  const scan = scanJsonl(paths.jsonl, meta.dim);
  const f32Size = statSync(paths.f32).size;
  if (f32Size < scan.f32End) {
    throw new DataFormatError(
      `${paths.f32} is truncated: ${paths.jsonl} lists ${scan.rows} rows of ${meta.dim} floats (${scan.f32End} bytes) but the file has ${f32Size} bytes`,
    );
  }
  // Bytes beyond the complete rows (whole rows or not) are an interrupted rollout's features.
  const bytes = Buffer.alloc(scan.f32End);
  if (scan.f32End > 0) {
    const fd = openSync(paths.f32, 'r');
    try {
      let at = 0;
      while (at < scan.f32End) at += readChunk(fd, bytes, at, scan.f32End - at);
    } finally {
      closeSync(fd);
    }
  }
  const X = decodeF32(bytes);
  const y = Uint8Array.from(scan.events, (e) => e.label);
  return {
    paths,
    meta,
    events: scan.events,
    rollouts: scan.rollouts,
    X,
    dim: meta.dim,
    y,
    incompleteBytes: scan.tailBytes + Math.max(0, f32Size - scan.f32End),
  };
}

function readChunk(fd: number, into: Buffer, at: number, length: number): number {
  const n = readSync(fd, into, at, Math.min(length, 1 << 30), at);
  if (n <= 0) throw new DataFormatError('unexpected end of the events feature file while reading');
  return n;
}

/** One event to append: its record (row and type are filled in) and its feature vector. */
export type NewEvent = Omit<EventRecord, 'type' | 'row'> & { features: Float32Array };

/** A rollout's summary for its done line (offsets are filled in). */
export type NewRollout = Omit<RolloutRecord, 'type' | 'events' | 'jsonlOffset' | 'rows' | 'f32Bytes'>;

/** The meta a writer is opened with (format, version and createdAt are filled in). */
export type NewEventsMeta = Omit<EventsMeta, 'format' | 'version' | 'createdAt'>;

/** Meta fields that must agree when an existing store is continued (`settings` compared key by key). */
function metaMismatches(have: EventsMeta, want: NewEventsMeta, ignoreSettings: readonly string[]): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (have.dim !== want.dim) out.push(`dim ${have.dim} vs ${want.dim}`);
  if (!same(have.layers, want.layers))
    out.push(`layers ${have.layers.join(',')} vs ${want.layers.join(',')}`);
  // The same model on another engine (llama.cpp's GGUF, SGLang's hub path) continues the store:
  // its hidden states agree, and a remote engine has no weights hash to compare.
  if (!sameModel(have.model.fingerprint, want.model.fingerprint))
    out.push(
      `model ${have.model.id} (${describeFingerprint(have.model.fingerprint)}) vs ${want.model.id} (${describeFingerprint(want.model.fingerprint)})`,
    );
  if (have.exitCue !== want.exitCue)
    out.push(`exit cue ${JSON.stringify(have.exitCue)} vs ${JSON.stringify(want.exitCue)}`);
  if (!same(have.cues, want.cues)) out.push('cue lexicon');
  const keys = new Set([...Object.keys(have.settings), ...Object.keys(want.settings)]);
  for (const k of keys) {
    if (ignoreSettings.includes(k)) continue;
    if (!same(have.settings[k], want.settings[k])) {
      out.push(`${k} ${JSON.stringify(have.settings[k])} vs ${JSON.stringify(want.settings[k])}`);
    }
  }
  return out;
}

/** Options of `EventsWriter.open`. */
export interface EventsWriterOptions {
  /** Settings keys that may differ from the existing store's (e.g. `limit`, `samples`: they only extend it). */
  ignoreSettings?: readonly string[];
}

/**
 * Appends rollouts to a store, creating it or continuing it. Continuing truncates an interrupted
 * rollout away and refuses a store written with other settings (naming the differences).
 */
export class EventsWriter {
  private readonly done = new Set<string>();
  private jsonlFd: number;
  private f32Fd: number;
  private jsonlSize: number;
  private rowCount: number;
  /** Complete rollouts in the store. */
  rollouts: number;

  private constructor(
    readonly paths: EventsPaths,
    readonly meta: EventsMeta,
    scan: JsonlScan,
    /** Rollouts dropped as incomplete on open (0 or 1 normally). */
    readonly recoveredBytes: number,
  ) {
    for (const r of scan.rollouts) this.done.add(rolloutKey(r.task, r.problemId, r.rollout));
    this.rollouts = scan.rollouts.length;
    this.rowCount = scan.rows;
    this.jsonlSize = scan.jsonlEnd;
    this.jsonlFd = openSync(paths.jsonl, 'r+');
    this.f32Fd = openSync(paths.f32, 'r+');
  }

  /** Event rows in the store. */
  get rows(): number {
    return this.rowCount;
  }

  /** Opens (creating or continuing) the store at `prefix`. */
  static open(prefixOrFile: string, meta: NewEventsMeta, opts: EventsWriterOptions = {}): EventsWriter {
    const paths = eventsPaths(prefixOrFile);
    mkdirSync(path.dirname(path.resolve(paths.prefix)), { recursive: true });
    let stored: EventsMeta;
    if (existsSync(paths.meta)) {
      stored = readEventsMeta(paths.prefix);
      const diff = metaMismatches(stored, meta, opts.ignoreSettings ?? []);
      if (diff.length > 0) {
        throw new DataFormatError(
          `${paths.prefix} already holds events collected with other settings (${diff.join('; ')}); use another --out or the same settings`,
        );
      }
    } else {
      stored = {
        format: EVENTS_FORMAT,
        version: EVENTS_VERSION,
        createdAt: new Date().toISOString(),
        ...meta,
      };
      // Fresh store: drop leftovers of an older store without meta, then publish the meta atomically.
      writeFileSync(paths.jsonl, '');
      writeFileSync(paths.f32, '');
      const tmp = `${paths.meta}.tmp-${process.pid}`;
      writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`);
      renameSync(tmp, paths.meta);
    }
    if (!existsSync(paths.jsonl)) writeFileSync(paths.jsonl, '');
    if (!existsSync(paths.f32)) writeFileSync(paths.f32, '');
    const scan = scanJsonl(paths.jsonl, stored.dim);
    const f32Size = statSync(paths.f32).size;
    if (f32Size < scan.f32End) {
      throw new DataFormatError(
        `${paths.f32} is truncated: ${paths.jsonl} lists ${scan.rows} rows (${scan.f32End} bytes) but the file has ${f32Size} bytes; the store cannot be continued`,
      );
    }
    const writer = new EventsWriter(paths, stored, scan, scan.tailBytes + (f32Size - scan.f32End));
    writer.truncateTo(scan.jsonlEnd, scan.f32End);
    return writer;
  }

  private truncateTo(jsonlEnd: number, f32End: number): void {
    if (fstatSync(this.jsonlFd).size !== jsonlEnd) {
      ftruncateSync(this.jsonlFd, jsonlEnd);
      fsyncSync(this.jsonlFd);
    }
    if (fstatSync(this.f32Fd).size !== f32End) {
      ftruncateSync(this.f32Fd, f32End);
      fsyncSync(this.f32Fd);
    }
  }

  /** True if the rollout is already in the store. */
  has(task: string, problemId: string, rollout: number): boolean {
    return this.done.has(rolloutKey(task, problemId, rollout));
  }

  /** Appends one complete rollout: feature rows, then event lines and the done line. */
  appendRollout(events: readonly NewEvent[], rollout: NewRollout): void {
    const key = rolloutKey(rollout.task, rollout.problemId, rollout.rollout);
    if (this.done.has(key)) {
      throw new Error(
        `rollout ${rollout.problemId}#${rollout.rollout} of ${rollout.task} is already in ${this.paths.prefix}`,
      );
    }
    const dim = this.meta.dim;
    const matrix = new Float32Array(events.length * dim);
    const lines: string[] = [];
    events.forEach((e, i) => {
      if (e.features.length !== dim) {
        throw new Error(
          `event ${i} of ${rollout.problemId} has ${e.features.length} features; the store has ${dim}`,
        );
      }
      matrix.set(e.features, i * dim);
      const { features: _f, ...fields } = e;
      lines.push(JSON.stringify({ type: 'event', row: this.rowCount + i, ...fields }));
    });
    const rows = this.rowCount + events.length;
    const eventText = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    const doneOffset = this.jsonlSize + Buffer.byteLength(eventText);
    const done: RolloutRecord = {
      type: 'done',
      ...rollout,
      events: events.length,
      jsonlOffset: doneOffset,
      rows,
      f32Bytes: rows * dim * 4,
    };
    const text = Buffer.from(`${eventText}${JSON.stringify(done)}\n`);
    if (matrix.length > 0) {
      writeAll(this.f32Fd, encodeF32(matrix), this.rowCount * dim * 4);
      fsyncSync(this.f32Fd);
    }
    writeAll(this.jsonlFd, text, this.jsonlSize);
    fsyncSync(this.jsonlFd);
    this.jsonlSize += text.length;
    this.rowCount = rows;
    this.rollouts++;
    this.done.add(key);
  }

  /** Closes the files. */
  close(): void {
    closeSync(this.jsonlFd);
    closeSync(this.f32Fd);
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let at = 0;
  while (at < data.length) at += writeSync(fd, data, at, data.length - at, position + at);
}
