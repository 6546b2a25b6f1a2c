/**
 * The HTTP layer: an OpenAI-compatible API (`POST /v1/chat/completions`, `GET /v1/models`) over a
 * `ChatService`, on fastify, plus `GET /health` and `GET /metrics` (Prometheus). Errors use
 * OpenAI's shape; streaming is SSE; a client that goes away cancels its generation, and so does
 * the request timeout; each request is logged in one line; `close()` shuts down gracefully.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, errorTypeFor } from './apiError.ts';
import type { ChatService } from './ChatService.ts';
import { parseChatRequest } from './chatRequest.ts';
import { ServerMetrics } from './metrics.ts';
import { chunkObject, completionObject, usageChunk } from './openaiWire.ts';

/** Options of `createServer`. */
export interface ServerOptions {
  service: ChatService;
  /** Required `Authorization: Bearer` key; undefined: no authentication. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** One line per request (id, tokens, exit, ms) and every internal error; default: none. */
  log?: (line: string) => void;
  /** A request still running after this many ms is cancelled (504 / an error event). Default 600 s. */
  requestTimeoutMs?: number;
}

/** A running server. */
export interface LynxServer {
  app: FastifyInstance;
  service: ChatService;
  metrics: ServerMetrics;
  /** Starts listening; returns the base URL (`http://host:port`). */
  listen(opts?: { host?: string; port?: number }): Promise<string>;
  /**
   * Graceful shutdown: stops accepting, fails queued requests with 503, lets the running generation
   * finish for up to `timeoutMs` (default 10 s), then cancels it, and closes the server. The engine
   * is the caller's to dispose.
   */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

const ONE_MIB = 1024 * 1024;

/** Compares an Authorization header with the key in constant time (hashes have equal length). */
function authorized(header: string | undefined, key: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(key).digest();
  return timingSafeEqual(a, b);
}

/** Sends an OpenAI-shaped error (429s say when to retry). */
function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.status === 429) reply.header('retry-after', '1');
  return reply.code(err.status).type('application/json').send(err.toBody());
}

/** The routes and their methods, for 405 answers. */
const ROUTES: Array<{ pattern: RegExp; methods: string[] }> = [
  { pattern: /^\/v1\/chat\/completions\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/models(\/[^/]+)?\/?$/, methods: ['GET'] },
  { pattern: /^\/health\/?$/, methods: ['GET'] },
  { pattern: /^\/metrics\/?$/, methods: ['GET'] },
];

/** Builds the fastify app around a chat service. */
export function createServer(opts: ServerOptions): LynxServer {
  const { service } = opts;
  const app = Fastify({ bodyLimit: opts.bodyLimit ?? ONE_MIB, logger: false, return503OnClosing: true });
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.requestTimeoutMs ?? 600_000;
  const active = new Set<AbortController>();
  let closing = false;
  const metrics = new ServerMetrics({
    running: () => service.queue.runningCount,
    queued: () => service.queue.waitingCount,
    slots: service.queue.slots,
  });

  if (opts.apiKey !== undefined) {
    const key = opts.apiKey;
    app.addHook('onRequest', async (req, reply) => {
      if (!authorized(req.headers.authorization, key))
        return sendError(
          reply,
          new ApiError(
            401,
            'Incorrect or missing API key (send Authorization: Bearer KEY).',
            'invalid_request_error',
            'invalid_api_key',
          ),
        );
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
          ? `We could not parse the JSON body of your request: ${err.message}`
          : err.message;
      return sendError(reply, new ApiError(status, message, errorTypeFor(status), err.code ?? null));
    }
    log(`[serve] internal error on ${_req.method} ${_req.url}: ${err.stack ?? err.message}`);
    return sendError(reply, new ApiError(500, `Internal server error: ${err.message}`, 'server_error'));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const route = ROUTES.find((r) => r.pattern.test(path));
    if (route) {
      reply.header('allow', route.methods.join(', '));
      return sendError(
        reply,
        new ApiError(
          405,
          `Method ${req.method} is not allowed on ${path}; use ${route.methods.join(' or ')}.`,
          'invalid_request_error',
          'method_not_allowed',
        ),
      );
    }
    return sendError(
      reply,
      new ApiError(404, `Unknown route ${req.method} ${req.url}`, 'invalid_request_error', 'unknown_url'),
    );
  });

  const modelObject = () => ({ id: service.modelName, object: 'model', created: 0, owned_by: 'lynx-exit' });

  app.get('/v1/models', async () => ({ object: 'list', data: [modelObject()] }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (req, reply) => {
    if (req.params.id !== service.modelName)
      return sendError(
        reply,
        new ApiError(
          404,
          `The model '${req.params.id}' does not exist.`,
          'invalid_request_error',
          'model_not_found',
          'model',
        ),
      );
    return modelObject();
  });
  app.get('/health', async () => ({
    status: closing ? 'closing' : 'ok',
    running: service.queue.runningCount,
    slots: service.queue.slots,
    queued: service.queue.waitingCount,
    exit_by_default: service.policies.exitByDefault,
    completed: service.stats.completed,
    cancelled: service.stats.cancelled,
  }));

  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  app.post('/v1/chat/completions', async (req: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    let outcome: Awaited<ReturnType<ChatService['generate']>> | undefined;
    let status = 200;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const timeoutError = () =>
      new ApiError(
        504,
        `The request took longer than ${timeoutMs / 1000} s and was cancelled.`,
        'server_error',
        'timeout',
      );
    try {
      const request = parseChatRequest(req.body, service.engine.info.contextSize);
      const prepared = service.prepare(request);
      // The response's 'close' before it ended means the client went away: cancel its work.
      reply.raw.on('close', () => {
        if (!reply.raw.writableEnded) controller.abort();
      });
      const release = await service.acquire(controller.signal);
      active.add(controller);
      const created = Math.floor(Date.now() / 1000);
      const model = service.modelName;
      try {
        if (!request.stream) {
          outcome = await service.generate(prepared, controller.signal);
          if (timedOut) throw timeoutError();
          if (outcome.cancelled && reply.raw.destroyed) {
            status = 499;
            return reply;
          }
          return reply.send(completionObject(id, created, model, outcome));
        }
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        const send = (obj: unknown) => {
          if (!res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`);
        };
        send(chunkObject(id, created, model, { role: 'assistant', content: '' }));
        try {
          outcome = await service.generate(prepared, controller.signal, (d) =>
            send(chunkObject(id, created, model, d)),
          );
          if (timedOut) throw timeoutError();
          const last = outcome.unsentLogprobs ? { logprobs: outcome.unsentLogprobs } : {};
          send(chunkObject(id, created, model, last, outcome.finishReason, { lynx: outcome.lynx }));
          if (request.includeUsage) send(usageChunk(id, created, model, outcome));
          if (!res.destroyed) res.end('data: [DONE]\n\n');
        } catch (e) {
          const err = e instanceof ApiError ? e : internalError(e);
          status = err.status;
          send(err.toBody());
          if (!res.destroyed) res.end('data: [DONE]\n\n');
        }
        return reply;
      } finally {
        active.delete(controller);
        release();
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : internalError(e);
      status = err.status;
      throw err;
    } finally {
      clearTimeout(timer);
      const ms = performance.now() - started;
      metrics.record({
        status,
        seconds: ms / 1000,
        ...(outcome
          ? {
              promptTokens: outcome.promptTokens,
              completionTokens: outcome.counts.total,
              thinkingTokens: outcome.counts.thinking,
              exitReason: outcome.lynx.exit_reason,
            }
          : {}),
      });
      log(requestLine(id, status, ms, outcome));
    }
  });

  /** A 500 for an unexpected error, logged with its stack. */
  function internalError(e: unknown): ApiError {
    const err = e as Error;
    log(`[serve] internal error: ${err?.stack ?? String(e)}`);
    return new ApiError(500, `Internal server error: ${err?.message ?? String(e)}`, 'server_error');
  }

  return {
    app,
    service,
    metrics,
    async listen(o = {}) {
      await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8080 });
      const addr = app.server.address();
      if (addr === null || typeof addr === 'string') return String(addr);
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    async close(o = {}) {
      if (closing) return;
      closing = true;
      service.queue.close();
      const closed = app.close();
      const deadline = Date.now() + (o.timeoutMs ?? 10_000);
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of active) c.abort();
      while (active.size > 0) await new Promise((r) => setTimeout(r, 10));
      app.server.closeAllConnections();
      await closed;
    },
  };
}

/** The one log line of a request: id, status, tokens, how thinking ended, time. */
function requestLine(
  id: string,
  status: number,
  ms: number,
  o: Awaited<ReturnType<ChatService['generate']>> | undefined,
): string {
  const parts = [`[serve] ${id} ${status}`];
  if (o) {
    parts.push(`prompt=${o.promptTokens} completion=${o.counts.total} thinking=${o.counts.thinking}`);
    const cue = o.lynx.exit_cue_word !== undefined ? ` cue=${JSON.stringify(o.lynx.exit_cue_word)}` : '';
    const p = o.lynx.exit_probability !== undefined ? ` p=${o.lynx.exit_probability.toFixed(3)}` : '';
    parts.push(`exit=${o.lynx.exit_reason}${cue}${p}`);
  }
  parts.push(`${ms.toFixed(0)}ms`);
  return parts.join(' ');
}
