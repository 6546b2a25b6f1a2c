/**
 * HTTP to one SGLang server (or a Model Gateway in front of several): JSON in and out, a timeout per
 * request, retries with exponential backoff when the server cannot be reached or answers 502/503/504
 * (nothing was generated then), cancellation that also tells the server (`/abort_request`), and
 * counters of requests and bytes for benchmarks and tests.
 */
import type { z } from 'zod';
import { RemoteEngineError, UserError } from '../../errors.ts';

/** Options of `SglangClient`. */
export interface SglangClientOptions {
  /** Base URL, e.g. http://127.0.0.1:30000. */
  url: string;
  /** Milliseconds one request may take (default `DEFAULT_SGLANG_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** Attempts after the first when the server is unreachable or overloaded (default 4). */
  retries?: number;
  /** First backoff in ms, doubled per retry (default 250). */
  backoffMs?: number;
  /** Sent as `Authorization: Bearer …` (SGLang's `--api-key`). */
  apiKey?: string;
}

/** Counters since the client was made. */
export interface SglangClientStats {
  requests: number;
  /** Requests per path. */
  byPath: Record<string, number>;
  retries: number;
  bytesSent: number;
  bytesReceived: number;
}

/** An HTTP error answer from the server. */
export class SglangHttpError extends RemoteEngineError {
  override readonly name = 'SglangHttpError';
  constructor(
    readonly status: number,
    readonly path: string,
    readonly serverMessage: string,
  ) {
    super(`SGLang ${path} answered HTTP ${status}: ${serverMessage}`);
  }
}

/** How long one request may take by default: a long segment of a large model on a busy server. */
export const DEFAULT_SGLANG_TIMEOUT_MS = 600_000;

const RETRY_STATUS = new Set([502, 503, 504]);

/** The message of an SGLang error body: {"error": {"message"}}, {"message"}, {"detail"} or the text. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error as Record<string, unknown> | string | undefined;
    if (typeof error === 'object' && error && typeof error.message === 'string') return error.message;
    if (typeof error === 'string') return error;
    if (typeof body.message === 'string') return body.message;
    if (body.detail !== undefined) return JSON.stringify(body.detail);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500) || '(empty body)';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** JSON over HTTP to one SGLang endpoint. */
export class SglangClient {
  readonly url: string;
  readonly stats: SglangClientStats = { requests: 0, byPath: {}, retries: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly headers: Record<string, string>;

  constructor(opts: SglangClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new UserError(
        `--url must be an http(s) URL such as http://127.0.0.1:30000, got ${JSON.stringify(opts.url)}`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UserError(`--url must be an http(s) URL, got ${JSON.stringify(opts.url)}`);
    this.url = url.href.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_SGLANG_TIMEOUT_MS;
    this.retries = opts.retries ?? 4;
    this.backoffMs = opts.backoffMs ?? 250;
    this.headers = { 'content-type': 'application/json' };
    if (opts.apiKey) this.headers.authorization = `Bearer ${opts.apiKey}`;
  }

  /** GETs `path` and parses the JSON answer with `schema`. */
  get<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.request('GET', path, undefined, schema, signal);
  }

  /** POSTs `body` as JSON to `path` and parses the answer with `schema`. */
  post<T>(path: string, body: unknown, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.request('POST', path, JSON.stringify(body), schema, signal);
  }

  /** Asks the server to stop request `rid` (best effort: errors are ignored). */
  async abort(rid: string): Promise<void> {
    try {
      await fetch(`${this.url}/abort_request`, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({ rid }),
        signal: AbortSignal.timeout(5000),
      });
      this.count('/abort_request', 0, 0);
    } catch {
      // the request may already be finished, or the server gone: nothing to cancel
    }
  }

  private count(path: string, sent: number, received: number): void {
    this.stats.requests++;
    this.stats.byPath[path] = (this.stats.byPath[path] ?? 0) + 1;
    this.stats.bytesSent += sent;
    this.stats.bytesReceived += received;
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    schema: z.ZodType<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await fetch(`${this.url}${path}`, {
          method,
          headers: this.headers,
          body,
          signal: combined,
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        if (timeout.aborted)
          throw new RemoteEngineError(
            `SGLang ${path} did not answer within ${this.timeoutMs / 1000} s (raise --timeout)`,
          );
        if (attempt < this.retries) {
          await this.backoff(attempt, signal);
          continue;
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new RemoteEngineError(
          `cannot reach the SGLang server at ${this.url} (${cause?.code ?? cause?.message ?? (err as Error).message}) after ${attempt + 1} attempts; is it running?`,
        );
      }
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        if (signal?.aborted) throw err;
        if (timeout.aborted)
          throw new RemoteEngineError(
            `SGLang ${path} did not answer within ${this.timeoutMs / 1000} s (raise --timeout)`,
          );
        throw err;
      }
      this.count(path, body?.length ?? 0, text.length);
      if (RETRY_STATUS.has(response.status) && attempt < this.retries) {
        await this.backoff(attempt, signal);
        continue;
      }
      if (!response.ok) throw new SglangHttpError(response.status, path, errorMessage(text));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new RemoteEngineError(
          `SGLang ${path} answered with something that is not JSON: ${text.slice(0, 200)}`,
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw new RemoteEngineError(
          `SGLang ${path} answered in an unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message}); is ${this.url} an SGLang server?`,
        );
      return parsed.data;
    }
  }

  private async backoff(attempt: number, signal?: AbortSignal): Promise<void> {
    this.stats.retries++;
    await sleep(this.backoffMs * 2 ** attempt, signal);
  }
}
