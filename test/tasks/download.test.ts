import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { UserError } from '../../src/errors.ts';
import { downloadFile } from '../../src/tasks/download.ts';
import { pullSet, sha256File } from '../../src/tasks/pull.ts';
import { DATA_SOURCES } from '../../src/tasks/sources.ts';
import { SHARED_DATA, tempDir } from './helpers.ts';

/**
 * A local mirror of ../shared/data on 127.0.0.1. The first path segment picks a behaviour:
 * ok, corrupt (one byte changed), broken (not JSON), 404, drop (connection cut mid-body),
 * flaky (HTTP 500 on the first request of each path, then ok), gzip (Content-Encoding: gzip),
 * stall (sends 100 bytes, then nothing).
 */
let server: Server;
let base: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, mode, ...rest] = (req.url ?? '').split('/');
    const rel = rest.join('/');
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    let body: Buffer;
    try {
      body = readFileSync(path.join(SHARED_DATA, rel));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    if (mode === '404') return void res.writeHead(404, 'Not Found').end('no');
    if (mode === 'flaky' && hits.get(req.url ?? '') === 1) return void res.writeHead(500).end('try later');
    if (mode === 'corrupt') body = Buffer.from(body.toString('latin1').replace('Find', 'Fine'), 'latin1');
    if (mode === 'broken') body = Buffer.concat([body, Buffer.from('{"problem": oops\n')]);
    if (mode === 'gzip') {
      const zipped = gzipSync(body);
      return void res
        .writeHead(200, { 'content-encoding': 'gzip', 'content-length': zipped.length })
        .end(zipped);
    }
    res.writeHead(200, { 'content-length': body.length });
    if (mode === 'stall') return void res.write(body.subarray(0, 100));
    if (mode === 'drop') {
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let cache: ReturnType<typeof tempDir>;
beforeEach(() => {
  cache = tempDir();
  hits.clear();
});
afterEach(() => cache.cleanup());

// No local data dirs (vitest sets LYNX_DATA_DIR), so these pulls go to the mirror.
const fast = { retries: 2, retryDelayMs: 1, localDirs: [] as string[] };
const aime25 = DATA_SOURCES.aime25.files[0];
const filesIn = (set: string) => {
  try {
    return readdirSync(path.join(cache.dir, set));
  } catch {
    return [];
  }
};

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('data pull from a local mirror', () => {
  it('downloads, verifies the pinned sha256, validates rows, and skips a verified copy next time', async () => {
    const [r] = await pullSet('aime25', { baseUrl: `${base}/ok`, cacheDir: cache.dir, ...fast });
    expect(r).toMatchObject({ action: 'downloaded', verified: true, rows: 30, bytes: aime25.bytes });
    expect(readFileSync(r.path)).toEqual(readFileSync(`${SHARED_DATA}/aime25/test.jsonl`));
    expect(sha256File(r.path)).toBe(aime25.sha256);
    expect(filesIn('aime25')).toEqual(['test.jsonl']);
    const [again] = await pullSet('aime25', { baseUrl: `${base}/ok`, cacheDir: cache.dir, ...fast });
    expect(again.action).toBe('present');
    expect(hits.get('/ok/aime25/test.jsonl')).toBe(1);
  });

  it('a verified copy in a local data dir is imported without the network; --force downloads', async () => {
    const [r] = await pullSet('aime25', {
      baseUrl: `${base}/404`,
      cacheDir: cache.dir,
      ...fast,
      localDirs: ['/nonexistent', SHARED_DATA],
    });
    expect(r).toMatchObject({
      action: 'imported',
      verified: true,
      rows: 30,
      source: `${SHARED_DATA}/aime25/test.jsonl`,
    });
    expect(hits.get('/404/aime25/test.jsonl')).toBeUndefined();
    const [forced] = await pullSet('aime25', {
      baseUrl: `${base}/ok`,
      cacheDir: cache.dir,
      ...fast,
      localDirs: [SHARED_DATA],
      force: true,
    });
    expect(forced.action).toBe('downloaded');
  });

  it('a checksum mismatch is an error and leaves no file', async () => {
    const err = await rejection(
      pullSet('aime25', { baseUrl: `${base}/corrupt`, cacheDir: cache.dir, ...fast }),
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/checksum mismatch .*expected b4e273c0/);
    expect(err.message).toMatch(/--no-verify/);
    expect(filesIn('aime25')).toEqual([]);
  });

  it('--no-verify accepts a changed file whose rows are valid, but never an invalid one', async () => {
    const [r] = await pullSet('aime25', {
      baseUrl: `${base}/corrupt`,
      cacheDir: cache.dir,
      verify: false,
      ...fast,
    });
    expect(r).toMatchObject({ verified: false, rows: 30 });
    expect(r.sha256).not.toBe(aime25.sha256);
    const err = await rejection(
      pullSet('amc23', { baseUrl: `${base}/broken`, cacheDir: cache.dir, verify: false, ...fast }),
    );
    expect(err.message).toMatch(new RegExp(`^${base}/broken/amc23/test.jsonl:41: not valid JSON`));
    expect(filesIn('amc23')).toEqual([]);
  });

  it('HTTP 404 is an error at once (no retry) and leaves no file', async () => {
    const err = await rejection(pullSet('aime25', { baseUrl: `${base}/404`, cacheDir: cache.dir, ...fast }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/HTTP 404 Not Found for http:\/\/127\.0\.0\.1:\d+\/404\/aime25\/test\.jsonl/);
    expect(hits.get('/404/aime25/test.jsonl')).toBe(1);
    expect(filesIn('aime25')).toEqual([]);
  });

  it('a connection dropped mid-body is retried, then an error, and leaves no partial file', async () => {
    const err = await rejection(
      pullSet('gsm8k', { baseUrl: `${base}/drop`, cacheDir: cache.dir, file: 'test.jsonl', ...fast }),
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/test\.jsonl (broke off after \d+ bytes|ended after \d+ of 749738 bytes)/);
    expect(err.message).toMatch(/gave up after 3 attempts/);
    expect(hits.get('/drop/gsm8k/test.jsonl')).toBe(3);
    expect(filesIn('gsm8k')).toEqual([]);
  });

  it('retries after a transient HTTP 500 and then succeeds', async () => {
    const [r] = await pullSet('amc23', { baseUrl: `${base}/flaky`, cacheDir: cache.dir, ...fast });
    expect(r).toMatchObject({ action: 'downloaded', verified: true, rows: 40 });
    expect(hits.get('/flaky/amc23/test.jsonl')).toBe(2);
  });

  it('gives up on a server that stops sending, leaving no partial file', async () => {
    const dest = path.join(cache.dir, 'aime25', 'test.jsonl');
    const err = await rejection(
      downloadFile(`${base}/stall/aime25/test.jsonl`, dest, {
        idleTimeoutMs: 150,
        retries: 1,
        retryDelayMs: 1,
      }),
    );
    expect(err.message).toMatch(/no data for 150 ms[\s\S]*gave up after 2 attempts/);
    expect(filesIn('aime25')).toEqual([]);
  });

  it('handles a gzip-encoded response (Content-Length is then the compressed size)', async () => {
    const [r] = await pullSet('aime24', { baseUrl: `${base}/gzip`, cacheDir: cache.dir, ...fast });
    expect(r).toMatchObject({ verified: true, rows: 30 });
  });

  it('reports progress with the total size', async () => {
    const seen: Array<[number, number | undefined]> = [];
    await pullSet('gsm8k', {
      baseUrl: `${base}/ok`,
      cacheDir: cache.dir,
      file: 'train.jsonl',
      onProgress: (_f, received, total) => seen.push([received, total]),
      ...fast,
    });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual([4166206, 4166206]);
  });
});

describe('data pull --from', () => {
  it('imports a local file, checksummed and validated', async () => {
    const [r] = await pullSet('math_train', {
      from: `${SHARED_DATA}/math_train/train.jsonl`,
      cacheDir: cache.dir,
    });
    expect(r).toMatchObject({ action: 'imported', verified: true, rows: 7498 });
  });

  it('a bad row names the imported file and line; a changed file needs --no-verify', async () => {
    const bad = path.join(cache.dir, 'mine.jsonl');
    const good = readFileSync(`${SHARED_DATA}/aime25/test.jsonl`, 'utf8');
    writeFileSync(bad, `${good}{"problem": "p", "answer": 1234}\n`);
    const err = await rejection(pullSet('aime25', { from: bad, cacheDir: cache.dir, verify: false }));
    expect(err.message).toMatch(new RegExp(`^${bad}:31: .*integer 0-999`));
    writeFileSync(bad, good.replace('Find', 'Fine'));
    expect((await rejection(pullSet('aime25', { from: bad, cacheDir: cache.dir }))).message).toMatch(
      /checksum mismatch[\s\S]*--no-verify/,
    );
    expect(filesIn('aime25')).toEqual([]);
  });

  it('MATH train without --from explains why; a multi-file set needs --file with --from', async () => {
    const err = await rejection(pullSet('math_train', { cacheDir: cache.dir }));
    expect(err.message).toMatch(/tarball[\s\S]*--from FILE/);
    const multi = await rejection(
      pullSet('gsm8k', { from: `${SHARED_DATA}/gsm8k/test.jsonl`, cacheDir: cache.dir }),
    );
    expect(multi.message).toMatch(/--file NAME/);
  });
});

describe('lynx-exit data (CLI)', () => {
  // These pulls go to the mirror: no local data dir from the environment (vitest sets one).
  const saved = process.env.LYNX_DATA_DIR;
  beforeEach(() => {
    delete process.env.LYNX_DATA_DIR;
  });
  afterEach(() => {
    process.env.LYNX_DATA_DIR = saved;
  });
  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const o = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((c: string) => out.push(String(c)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((c: string) => err.push(String(c)) > 0) as typeof process.stderr.write;
    try {
      return { code: await main(args), stdout: out.join(''), stderr: err.join('') };
    } finally {
      process.stdout.write = o;
      process.stderr.write = e;
    }
  }

  it('pull, check and list work on a fresh cache', async () => {
    const pulled = await run(['data', 'pull', 'amc23', '--base-url', `${base}/ok`, '--cache-dir', cache.dir]);
    expect(pulled).toMatchObject({ code: 0, stderr: '' });
    expect(pulled.stdout).toMatch(/downloaded amc23\/test\.jsonl: 40 problems, 27631 bytes, sha256 OK/);
    const checked = await run(['data', 'check', 'amc23', '--data-dir', cache.dir]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/amc23\/test\.jsonl: 40 problems valid \(sha256 OK\)/);
    const listed = await run(['data', 'list', '--data-dir', cache.dir]);
    expect(listed.stdout).toMatch(/test +test\.jsonl +40 problems/);
    expect(listed.stdout).toMatch(/test\.jsonl +missing \(lynx-exit data pull aime24\)/);
    const local = await run([
      'data',
      'pull',
      'aime25',
      '--base-url',
      `${base}/404`,
      '--cache-dir',
      cache.dir,
      '--data-dir',
      SHARED_DATA,
    ]);
    expect(local).toMatchObject({ code: 0, stderr: '' });
    expect(local.stdout).toMatch(/^imported aime25\/test\.jsonl: 30 problems/);
  });

  it('errors are printed without a stack and exit non-zero', async () => {
    const r = await run(['data', 'pull', 'aime25', '--base-url', `${base}/404`, '--cache-dir', cache.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lynx-exit: HTTP 404/);
    const c = await run(['data', 'check', 'aime25', '--data-dir', cache.dir]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/lynx-exit data pull aime25/);
  });
});
