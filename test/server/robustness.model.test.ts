/**
 * Bad input, authentication, the bounded queue, cancellation and graceful shutdown; on llama.cpp
 * in-process and on SGLang (`serve --engine sglang`).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadServedEngine,
  postRaw,
  QUESTION,
  SERVER_ENGINES,
  type ServedEngine,
  startServer,
  type TestServer,
} from './helpers.ts';

const ok = { model: 'cycle', messages: QUESTION };

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isOpenAiError(json: unknown): boolean {
  const e = (json as { error?: Record<string, unknown> })?.error;
  return (
    typeof e?.message === 'string' &&
    e.message.length > 0 &&
    typeof e.type === 'string' &&
    'param' in e &&
    'code' in e
  );
}

describe.each(SERVER_ENGINES)('on %s', (kind) => {
  let cycle: ServedEngine;
  /**
   * Thinks forever (" have" leads back to " so"): generations run until max_tokens or cancellation.
   * Seed 2: with it the chat prompt's last token ("\n") leads into the loop (checked below).
   */
  let looping: ServedEngine;

  beforeAll(async () => {
    cycle = await loadServedEngine(kind);
    looping = await loadServedEngine(kind, { loopThinking: true, seed: 2 }, 4096);
  });
  afterAll(async () => {
    await cycle?.dispose();
    await looping?.dispose();
  });

  describe('malformed requests', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(cycle.engine);
    });
    afterAll(() => s?.close());

    const bad: Array<[string, string, number, string?]> = [
      ['invalid JSON', '{"model": "cycle", "messages": [', 400],
      ['empty body', '', 400],
      ['an array body', '[]', 400],
      ['no model', JSON.stringify({ messages: QUESTION }), 400, 'model'],
      ['model of the wrong type', JSON.stringify({ ...ok, model: 7 }), 400, 'model'],
      ['unknown model', JSON.stringify({ ...ok, model: 'gpt-4' }), 404, 'model'],
      ['no messages', JSON.stringify({ model: 'cycle' }), 400, 'messages'],
      ['empty messages', JSON.stringify({ ...ok, messages: [] }), 400, 'messages'],
      ['messages not an array', JSON.stringify({ ...ok, messages: 'hi' }), 400, 'messages'],
      [
        'a message without role',
        JSON.stringify({ ...ok, messages: [{ content: 'x' }] }),
        400,
        'messages[0].role',
      ],
      ['an unknown role', JSON.stringify({ ...ok, messages: [{ role: 'robot', content: 'x' }] }), 400],
      ['a tool message', JSON.stringify({ ...ok, messages: [{ role: 'tool', content: 'x' }] }), 400],
      ['numeric content', JSON.stringify({ ...ok, messages: [{ role: 'user', content: 5 }] }), 400],
      ['a null message', JSON.stringify({ ...ok, messages: [null] }), 400],
      ['only a system message', JSON.stringify({ ...ok, messages: [{ role: 'system', content: 'x' }] }), 400],
      ['max_tokens 0', JSON.stringify({ ...ok, max_tokens: 0 }), 400, 'max_tokens'],
      ['max_tokens negative', JSON.stringify({ ...ok, max_tokens: -5 }), 400, 'max_tokens'],
      ['max_tokens fractional', JSON.stringify({ ...ok, max_tokens: 1.5 }), 400, 'max_tokens'],
      ['max_tokens beyond the context', JSON.stringify({ ...ok, max_tokens: 100_000 }), 400, 'max_tokens'],
      ['max_completion_tokens a string', JSON.stringify({ ...ok, max_completion_tokens: 'ten' }), 400],
      ['temperature negative', JSON.stringify({ ...ok, temperature: -1 }), 400, 'temperature'],
      ['temperature above 2', JSON.stringify({ ...ok, temperature: 3 }), 400, 'temperature'],
      ['temperature a string', JSON.stringify({ ...ok, temperature: 'hot' }), 400, 'temperature'],
      ['top_p 0', JSON.stringify({ ...ok, top_p: 0 }), 400, 'top_p'],
      ['top_p above 1', JSON.stringify({ ...ok, top_p: 1.5 }), 400, 'top_p'],
      ['n 2', JSON.stringify({ ...ok, n: 2 }), 400, 'n'],
      ['stream a string', JSON.stringify({ ...ok, stream: 'yes' }), 400, 'stream'],
      ['seed fractional', JSON.stringify({ ...ok, seed: 1.5 }), 400, 'seed'],
      ['five stop strings', JSON.stringify({ ...ok, stop: ['a', 'b', 'c', 'd', 'e'] }), 400, 'stop'],
      ['lynx delta out of range', JSON.stringify({ ...ok, lynx: { delta: 2 } }), 400],
      ['lynx delta and alpha', JSON.stringify({ ...ok, lynx: { delta: 0.1, alpha: 0.1 } }), 400, 'lynx'],
      ['lynx a string', JSON.stringify({ ...ok, lynx: 'on' }), 400, 'lynx'],
      ['lynx with an unknown key', JSON.stringify({ ...ok, lynx: { gamma: 1 } }), 400],
      ['a lynx level without a bundle', JSON.stringify({ ...ok, lynx: { delta: 0.1 } }), 400, 'lynx'],
      ['lynx true without a bundle', JSON.stringify({ ...ok, lynx: true }), 400, 'lynx'],
      ['lynx epsilon without alpha', JSON.stringify({ ...ok, lynx: { epsilon: 0.1 } }), 400, 'lynx.epsilon'],
    ];

    for (const [what, body, status, param] of bad) {
      it(`${what} → ${status}`, async () => {
        const r = await postRaw(s.url, body);
        expect(r.status).toBe(status);
        expect(isOpenAiError(r.json)).toBe(true);
        if (param) expect((r.json as { error: { param: string } }).error.param).toBe(param);
      });
    }

    it('an oversize body → 413, an XML body → 415, an unknown route → 404', async () => {
      const big = JSON.stringify({ ...ok, messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] });
      const r1 = await postRaw(s.url, big);
      expect(r1.status).toBe(413);
      expect(isOpenAiError(r1.json)).toBe(true);
      const r2 = await postRaw(s.url, '<a/>', { 'content-type': 'application/xml' });
      expect(r2.status).toBe(415);
      expect(isOpenAiError(r2.json)).toBe(true);
      const r3 = await fetch(`${s.url}/v1/nothing`);
      expect(r3.status).toBe(404);
      expect(isOpenAiError(await r3.json())).toBe(true);
    });

    it('a prompt longer than the context → 400 context_length_exceeded', async () => {
      const long = ' two'.repeat(2000);
      const r = await postRaw(s.url, JSON.stringify({ ...ok, messages: [{ role: 'user', content: long }] }));
      expect(r.status).toBe(400);
      expect((r.json as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    });

    it('the official client gets typed errors, and the server keeps serving afterwards', async () => {
      await expect(s.client.chat.completions.create({ ...ok, temperature: 5 })).rejects.toBeInstanceOf(
        OpenAI.BadRequestError,
      );
      await expect(s.client.chat.completions.create({ ...ok, model: 'nope' })).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
      );
      const r = await s.client.chat.completions.create(ok);
      expect(r.choices[0].message.content).toBe('Final Answer: \\boxed{4}');
    });
  });

  describe('API key', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(cycle.engine, { apiKey: 'sekrit' });
    });
    afterAll(() => s?.close());

    it('401 without the right Bearer key; served with it', async () => {
      const wrong = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'guess', maxRetries: 0 });
      await expect(wrong.chat.completions.create(ok)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
      const none = await postRaw(s.url, JSON.stringify(ok));
      expect(none.status).toBe(401);
      expect(isOpenAiError(none.json)).toBe(true);
      const r = await s.client.chat.completions.create(ok);
      expect(r.choices[0].message.content).toBe('Final Answer: \\boxed{4}');
    });
  });

  describe('queue, cancellation, shutdown (a model that thinks until stopped)', () => {
    const long = { model: 'cycle', messages: QUESTION, max_tokens: 3000, stream: true as const };

    /**
     * Starts a long streaming request and waits until it is generating: its slot taken (the role
     * chunk) and the engine doing the work decoding (over SGLang, text arrives per segment, and this
     * model's segment is the whole request).
     */
    async function startLong(s: TestServer, controller: AbortController) {
      const stream = await s.client.chat.completions.create(long, { signal: controller.signal });
      const it = stream[Symbol.asyncIterator]();
      const decoded = () => looping.backing.schedulerStats?.tokens ?? 0;
      const before = decoded();
      await it.next(); // role chunk
      await until(() => decoded() > before + 20);
      return it;
    }

    it('the looping model does think until max_tokens', async () => {
      const s = await startServer(looping.engine);
      try {
        const r = await s.client.chat.completions.create({ ...ok, max_tokens: 40 });
        expect(r.choices[0].finish_reason).toBe('length');
        expect(r.usage?.completion_tokens).toBe(40);
        expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(40);
      } finally {
        await s.close();
      }
    });

    it('429 when the queue is full; a queued request is served once the engine frees', async () => {
      const s = await startServer(looping.engine, { maxQueue: 1 });
      try {
        const a = new AbortController();
        await startLong(s, a);
        const queued = s.client.chat.completions.create({ ...ok, max_tokens: 5 });
        await until(() => s.server.service.queue.waitingCount === 1);
        await expect(s.client.chat.completions.create(ok)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
        const raw = await postRaw(s.url, JSON.stringify(ok));
        expect(raw.status).toBe(429);
        expect(isOpenAiError(raw.json)).toBe(true);
        a.abort();
        const r = await queued;
        expect(r.usage?.completion_tokens).toBe(5);
      } finally {
        await s.close();
      }
    });

    it('a client that disconnects mid-stream cancels its generation and frees the engine', async () => {
      const s = await startServer(looping.engine);
      try {
        const a = new AbortController();
        await startLong(s, a);
        // A queued client that gives up leaves the line.
        const b = new AbortController();
        const queued = s.client.chat.completions.create(ok, { signal: b.signal });
        await until(() => s.server.service.queue.waitingCount === 1);
        b.abort();
        await expect(queued).rejects.toThrow();
        await until(() => s.server.service.queue.waitingCount === 0);
        const health = await (await fetch(`${s.url}/health`)).json();
        expect(health).toMatchObject({ status: 'ok', running: 1, queued: 0 });
        const t0 = performance.now();
        a.abort();
        await until(() => s.server.service.stats.cancelled === 1);
        const stopped = s.server.service.stats.lastCancelledTokens!;
        // Decoding stopped long before max_tokens (3000 would take seconds).
        expect(stopped).toBeLessThan(1000);
        // Over SGLang the server was told: the request in flight ended as aborted there.
        if (looping.wire) await until(() => looping.wire!.trace.some((e) => e.finish === 'abort'));
        const r = await s.client.chat.completions.create({ ...ok, max_tokens: 20 });
        expect(r.usage?.completion_tokens).toBe(20);
        expect(performance.now() - t0).toBeLessThan(5000);
        expect(s.server.service.queue.runningCount).toBe(0);
      } finally {
        await s.close();
      }
    });

    it('graceful shutdown: a running request finishes, later connections are refused', async () => {
      // The looping model with a few hundred tokens: long enough to be seen running (the cycle
      // model's reply could finish between two polls), short enough to finish within the grace.
      const s = await startServer(looping.engine);
      const pending = s.client.chat.completions.create({ ...ok, max_tokens: 300 });
      await until(() => s.server.service.queue.runningCount > 0);
      await s.server.close({ timeoutMs: 10_000 });
      const r = await pending;
      expect(r.choices[0].finish_reason).toBe('length');
      expect(r.usage?.completion_tokens).toBe(300);
      expect(s.server.service.stats.cancelled).toBe(0);
      await expect(fetch(`${s.url}/v1/models`)).rejects.toThrow();
    });

    it('graceful shutdown: a generation still running at the timeout is cancelled', async () => {
      const s = await startServer(looping.engine);
      const a = new AbortController();
      const it = await startLong(s, a);
      const t0 = performance.now();
      await s.server.close({ timeoutMs: 200 });
      expect(performance.now() - t0).toBeLessThan(3000);
      let finish: string | null = null;
      for (let c = await it.next(); !c.done; c = await it.next())
        finish = c.value.choices[0]?.finish_reason ?? finish;
      expect(finish).not.toBeNull();
      expect(s.server.service.stats.cancelled).toBe(1);
    });
  });
});
