import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensure, UserError } from '../errors.ts';
import { dataCacheDir } from './dataDir.ts';
import { downloadFile, importFile, type TransferResult } from './download.ts';
import { TASKS, taskSpec } from './registry.ts';
import { DATA_SOURCES, type SourceFile } from './sources.ts';
import type { TaskName } from './types.ts';

/** Options of `pullSet`. */
export interface PullOptions {
  /** Folder to write `<set>/<file>` into (default: `dataCacheDir()`). */
  cacheDir?: string;
  /** A mirror serving `<baseUrl>/<set>/<file>` (the data dir layout), used instead of the canonical URLs. */
  baseUrl?: string;
  /** Import this local file instead of downloading. */
  from?: string;
  /** Only this file of the set (required with `from` when the set has several files). */
  file?: string;
  /** Compare against the pinned sha256 (default true). Rows are validated either way. */
  verify?: boolean;
  /** Download again even if a verified copy is already there. */
  force?: boolean;
  /**
   * Data dirs (`<dir>/<set>/<file>`) searched for a copy with the pinned sha256 before the network;
   * one found is imported from there. Default: `$LYNX_DATA_DIR` when set. `force` skips them.
   */
  localDirs?: readonly string[];
  retries?: number;
  retryDelayMs?: number;
  onProgress?: (file: string, received: number, total: number | undefined) => void;
}

/** What happened to one file. */
export interface PulledFile extends TransferResult {
  file: string;
  source: string;
  /** 'downloaded' / 'imported', or 'present' when a verified copy was already there. */
  action: 'downloaded' | 'imported' | 'present';
  /** True when the sha256 matched the pinned one; false when verification was skipped. */
  verified: boolean;
  rows: number;
}

/** The sha256 of a file on disk. */
export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The files of `set` this pull acts on. */
function selectFiles(set: TaskName, opts: PullOptions): SourceFile[] {
  const source = DATA_SOURCES[set];
  if (opts.file) {
    const one = source.files.find((f) => f.file === opts.file);
    ensure(
      one,
      `set ${set} has no file "${opts.file}"; files: ${source.files.map((f) => f.file).join(', ')}`,
    );
    return [one];
  }
  if (opts.from) {
    ensure(
      source.files.length === 1,
      `set ${set} has several files (${source.files.map((f) => f.file).join(', ')}); say which one --from ` +
        'replaces with --file NAME',
    );
    return source.files;
  }
  // By default the files with a canonical URL; a mirror (--base-url) may also serve the others.
  const downloadable = source.files.filter((f) => f.url);
  if (downloadable.length > 0) return downloadable;
  if (opts.baseUrl) return source.files;
  throw new UserError(`${set} cannot be downloaded as JSONL. ${source.note ?? ''}`.trim());
}

/** The hint shown with a checksum mismatch, depending on how sure the pinned checksum is. */
function mismatchHint(src: SourceFile, imported: boolean): string {
  if (imported)
    return 'If this is your own export of the set, rerun with --no-verify (every row is still validated).';
  return src.provenance === 'upstream'
    ? 'The pinned checksum is that of the canonical file: the download is corrupt or not the canonical file.'
    : 'The pinned checksum comes from a reference copy believed identical to the canonical file; if upstream ' +
        'changed, rerun with --no-verify (every row is still validated).';
}

/** The first `<dir>/<set>/<file>` among the local data dirs whose sha256 is the pinned one. */
function verifiedLocalCopy(
  set: string,
  src: SourceFile,
  dirs: readonly string[] | undefined,
  dest: string,
): string | undefined {
  const candidates = dirs ?? (process.env.LYNX_DATA_DIR ? [process.env.LYNX_DATA_DIR] : []);
  for (const dir of candidates) {
    const file = path.resolve(dir, set, src.file);
    if (file !== dest && existsSync(file) && sha256File(file) === src.sha256) return file;
  }
  return undefined;
}

/**
 * Downloads (or imports with `from`, or from a verified copy in a local data dir) the files of a data
 * set into `<cacheDir>/<set>/<file>`:
 * checksummed against the pinned sha256, every row validated by the task's loader, written through a
 * temp file and renamed, so a failed pull leaves no file behind.
 */
export async function pullSet(name: string, opts: PullOptions = {}): Promise<PulledFile[]> {
  const set = taskSpec(name).name;
  const verify = opts.verify ?? true;
  const dir = path.join(path.resolve(opts.cacheDir ?? dataCacheDir()), set);
  const results: PulledFile[] = [];
  for (const src of selectFiles(set, opts)) {
    const dest = path.join(dir, src.file);
    if (!opts.from && !opts.force && existsSync(dest) && sha256File(dest) === src.sha256) {
      const rows = TASKS[set].parse(dest, readFileSync(dest, 'utf8'), src.split).length;
      results.push({
        file: src.file,
        source: dest,
        path: dest,
        bytes: src.bytes,
        sha256: src.sha256,
        action: 'present',
        verified: true,
        rows,
      });
      continue;
    }
    const url = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}/${set}/${src.file}` : src.url;
    const local = opts.from || opts.force ? undefined : verifiedLocalCopy(set, src, opts.localDirs, dest);
    const origin = opts.from ? path.resolve(opts.from) : (local ?? url);
    if (!origin)
      throw new UserError(`${set}/${src.file} has no download URL. ${DATA_SOURCES[set].note ?? ''}`.trim());
    let rows = 0;
    const common = {
      sha256: verify ? src.sha256 : undefined,
      mismatchHint: mismatchHint(src, Boolean(opts.from)),
      // Parse under the origin's name, so a bad row names the file the user knows about.
      validate: (tmp: string) => {
        rows = TASKS[set].parse(origin, readFileSync(tmp, 'utf8'), src.split).length;
      },
      onProgress: (received: number, total: number | undefined) =>
        opts.onProgress?.(src.file, received, total),
    };
    const done =
      opts.from || local
        ? await importFile(origin, dest, common)
        : await downloadFile(origin, dest, {
            ...common,
            retries: opts.retries,
            retryDelayMs: opts.retryDelayMs,
          });
    results.push({
      ...done,
      file: src.file,
      source: origin,
      action: opts.from || local ? 'imported' : 'downloaded',
      verified: verify,
      rows,
    });
  }
  return results;
}
