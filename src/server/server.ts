/**
 * The HTTP layer: an OpenAI-compatible API (`POST /v1/chat/completions`, `GET /v1/models`) over a
 * `ChatService`, on fastify. Errors use OpenAI's shape; streaming is SSE; a client that goes away
 * cancels its generation; `close()` shuts down gracefully.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, errorTypeFor } from './apiError.ts';
import type { ChatService } from './ChatService.ts';
import { parseChatRequest } from './chatRequest.ts';
import { chunkObject, completionObject, usageChunk } from './openaiWire.ts';

/** Options of `createServer`. */
export interface ServerOptions {
  service: ChatService;
  /** Required `Authorization: Bearer` key; undefined: no authentication. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** Log requests (fastify's logger) — off by default. */
  logger?: boolean;
}

/** A running server. */
export interface LynxServer {
  app: FastifyInstance;
  service: ChatService;
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

/** Sends an OpenAI-shaped error. */
function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.code(err.status).type('application/json').send(err.toBody());
}

/** Builds the fastify app around a chat service. */
export function createServer(opts: ServerOptions): LynxServer {
  const { service } = opts;
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? ONE_MIB,
    logger: opts.logger ?? false,
    return503OnClosing: true,
  });
  const active = new Set<AbortController>();
  let closing = false;

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
    reply.log.error(err);
    return sendError(reply, new ApiError(500, `Internal server error: ${err.message}`, 'server_error'));
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      new ApiError(404, `Unknown route ${req.method} ${req.url}`, 'invalid_request_error', 'unknown_url'),
    ),
  );

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
    running: service.queue.busy ? 1 : 0,
    queued: service.queue.waitingCount,
    exit_by_default: service.policies.exitByDefault,
    completed: service.stats.completed,
    cancelled: service.stats.cancelled,
  }));

  app.post('/v1/chat/completions', async (req: FastifyRequest, reply: FastifyReply) => {
    const request = parseChatRequest(req.body, service.engine.info.contextSize);
    const prepared = service.prepare(request);
    const controller = new AbortController();
    // The response's 'close' before it ended means the client went away: cancel its work.
    reply.raw.on('close', () => {
      if (!reply.raw.writableEnded) controller.abort();
    });
    const release = await service.acquire(controller.signal);
    active.add(controller);
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = service.modelName;
    try {
      if (!request.stream) {
        const outcome = await service.generate(prepared, controller.signal);
        if (outcome.cancelled && reply.raw.destroyed) return reply;
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
        const outcome = await service.generate(prepared, controller.signal, (d) =>
          send(chunkObject(id, created, model, d)),
        );
        send(chunkObject(id, created, model, {}, outcome.finishReason, { lynx: outcome.lynx }));
        if (request.includeUsage) send(usageChunk(id, created, model, outcome));
        if (!res.destroyed) res.end('data: [DONE]\n\n');
      } catch (e) {
        const err =
          e instanceof ApiError
            ? e
            : new ApiError(500, `Internal server error: ${(e as Error).message}`, 'server_error');
        send(err.toBody());
        if (!res.destroyed) res.end('data: [DONE]\n\n');
      }
      return reply;
    } finally {
      active.delete(controller);
      release();
    }
  });

  return {
    app,
    service,
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
