import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.ts';

/** A failed attempt that may succeed if tried again (network trouble, HTTP 5xx or 429). */
class TransientError extends Error {}

/** What a finished transfer wrote. */
export interface TransferResult {
  path: string;
  bytes: number;
  sha256: string;
}

/** Options shared by `downloadFile` and `importFile`. */
export interface TransferOptions {
  /** Expected lowercase hex sha256; when set, a different digest is an error and nothing is written. */
  sha256?: string;
  /** Extra words for a checksum mismatch message (e.g. how to skip the check). */
  mismatchHint?: string;
  /** Checks the finished temporary file before it is renamed into place; throw to reject it. */
  validate?: (tmpPath: string) => void;
  /** Called as bytes arrive; `total` is undefined when the size is unknown. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Options of `downloadFile`. */
export interface DownloadOptions extends TransferOptions {
  /** Attempts after the first one for transient failures (default 3). */
  retries?: number;
  /** Wait before the first retry, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** Abort an attempt when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
}

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1';

/** A temporary name beside `dest`, so the final rename stays on one file system. */
function tempPathFor(dest: string): string {
  return `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
}

/** A pass-through stream that hashes and counts what flows through it. */
function hashingCounter(onBytes: (n: number) => void) {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = '';
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      if (head.length < LFS_POINTER.length) head += chunk.toString('latin1', 0, LFS_POINTER.length);
      onBytes(bytes);
      done(null, chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex'), bytes: () => bytes, head: () => head };
}

/**
 * Checks the finished temp file (digest, then `validate`) and renames it to `dest`; on any failure
 * the temp file is removed, so `dest` is either the complete verified file or untouched.
 */
function finish(
  tmp: string,
  dest: string,
  source: string,
  sha: string,
  bytes: number,
  opts: TransferOptions,
) {
  try {
    if (opts.sha256 && sha !== opts.sha256.toLowerCase()) {
      throw new UserError(
        `checksum mismatch for ${source}: sha256 is ${sha}, expected ${opts.sha256}` +
          (opts.mismatchHint ? `\n${opts.mismatchHint}` : ''),
      );
    }
    opts.validate?.(tmp);
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return { path: dest, bytes, sha256: sha };
}

/** One download attempt into a temp file; returns its digest. Removes the temp file on failure. */
async function attempt(url: string, tmp: string, opts: DownloadOptions) {
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: abort.signal });
    } catch (err) {
      throw new TransientError(`cannot reach ${url}: ${describeCause(err)}`);
    }
    if (!res.ok || !res.body) {
      const msg = `HTTP ${res.status} ${res.statusText} for ${url}`;
      await res.body?.cancel();
      if (res.status >= 500 || res.status === 429) throw new TransientError(msg);
      throw new UserError(msg);
    }
    // fetch decodes gzip/br bodies, after which Content-Length (the encoded size) no longer applies.
    const encoding = res.headers.get('content-encoding');
    const lengthHeader = res.headers.get('content-length');
    const total =
      lengthHeader === null || (encoding !== null && encoding !== 'identity')
        ? undefined
        : Number(lengthHeader);
    const counter = hashingCounter((n) => {
      poke();
      opts.onProgress?.(n, total);
    });
    try {
      await pipeline(Readable.fromWeb(res.body as never), counter.stream, createWriteStream(tmp));
    } catch (err) {
      throw new TransientError(
        `download of ${url} broke off after ${counter.bytes()} bytes: ${describeCause(err)}`,
      );
    }
    if (total !== undefined && counter.bytes() !== total) {
      throw new TransientError(`download of ${url} ended after ${counter.bytes()} of ${total} bytes`);
    }
    if (counter.head().startsWith(LFS_POINTER)) {
      throw new UserError(`${url} served a Git LFS pointer, not the file; use the media/LFS URL of the file`);
    }
    return { sha: counter.digest(), bytes: counter.bytes() };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The innermost message of an error chain (fetch hides the socket error in `cause`). */
function describeCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  while (e && parts.length < 4) {
    if (e.message) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.join(': ') || String(err);
}

/**
 * Downloads `url` to `dest` through a temporary file in the same folder: retries transient failures
 * (network errors, a connection dropped mid-body, HTTP 5xx/429) with exponential back-off, checks the
 * length against Content-Length and the sha256 against `opts.sha256`, runs `validate`, then renames.
 * A partial or rejected file is never left behind. HTTP 4xx and checksum mismatches are UserErrors.
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<TransferResult> {
  mkdirSync(path.dirname(dest), { recursive: true });
  const retries = opts.retries ?? 3;
  let delay = opts.retryDelayMs ?? 1000;
  for (let tryNo = 0; ; tryNo++) {
    const tmp = tempPathFor(dest);
    try {
      const { sha, bytes } = await attempt(url, tmp, opts);
      return finish(tmp, dest, url, sha, bytes, opts);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      if (tryNo >= retries) throw new UserError(`${err.message} (gave up after ${tryNo + 1} attempts)`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}

/** Copies a local file to `dest` with the same guarantees as `downloadFile` (checksum, validate, atomic rename). */
export async function importFile(
  source: string,
  dest: string,
  opts: TransferOptions = {},
): Promise<TransferResult> {
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  const counter = hashingCounter((n) => opts.onProgress?.(n, undefined));
  try {
    await pipeline(createReadStream(source), counter.stream, createWriteStream(tmp));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot read ${source}: ${(err as Error).message}`);
  }
  return finish(tmp, dest, source, counter.digest(), counter.bytes(), opts);
}
