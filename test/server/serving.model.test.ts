/**
 * The serving features: several requests decoding at once (--parallel) with the same replies as
 * one at a time, 429 with Retry-After beyond the queue, /metrics, one log line per request, 405,
 * the request timeout, logprobs, and OpenAI parameters that are refused rather than ignored; on
 * llama.cpp in-process and on SGLang (`serve --engine sglang`).
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exitHappyBundle,
  loadServedEngine,
  postRaw,
  QUESTION,
  SERVER_ENGINES,
  type ServedEngine,
  startServer,
  type TestServer,
} from './helpers.ts';

let served: ServedEngine;
let looping: ServedEngine;
let s: TestServer;
const lines: string[] = [];

type Reply = OpenAI.Chat.ChatCompletion & { lynx: { exit_reason: string } };

const ask = (server: TestServer, extra: Record<string, unknown> = {}) =>
  server.client.chat.completions.create({
    model: 'cycle',
    messages: QUESTION,
    ...extra,
  } as never) as Promise<unknown> as Promise<Reply>;

describe.each(SERVER_ENGINES)('on %s', (kind) => {
  beforeAll(async () => {
    served = await loadServedEngine(kind, {}, 1024, { parallel: 4 });
    looping = await loadServedEngine(kind, { loopThinking: true, seed: 2 }, 4096, { parallel: 2 });
    s = await startServer(served.engine, {
      bundle: exitHappyBundle(served.engine),
      defaultLevel: { delta: 0.1 },
      log: (l) => lines.push(l),
    });
  });
  afterAll(async () => {
    await s?.close();
    await served?.dispose();
    await looping?.dispose();
  });

  describe('continuous batching', () => {
    it('8 requests at once on 4 slots give the replies each gives alone (seeded sampling, LYNX on and off)', async () => {
      const settings = Array.from({ length: 8 }, (_, i) => ({
        seed: 100 + i,
        temperature: 0.8,
        ...(i % 2 === 0 ? { lynx: false } : {}),
      }));
      const alone: Reply[] = [];
      for (const x of settings) alone.push(await ask(s, x));
      const before = served.backing.schedulerStats?.sharedBatches ?? 0;
      const together = await Promise.all(settings.map((x) => ask(s, x)));
      for (let i = 0; i < settings.length; i++) {
        expect(together[i].choices[0].message).toEqual(alone[i].choices[0].message);
        expect(together[i].usage).toEqual(alone[i].usage);
        expect(together[i].lynx).toEqual(alone[i].lynx);
      }
      // They really were decoded together.
      expect((served.backing.schedulerStats?.sharedBatches ?? 0) - before).toBeGreaterThan(10);
    });

    it('/health reports the running requests and the slots', async () => {
      const pending = Promise.all([ask(s), ask(s), ask(s)]);
      let most = 0;
      while (most < 2) {
        const h = (await (await fetch(`${s.url}/health`)).json()) as { running: number; slots: number };
        expect(h.slots).toBe(4);
        most = Math.max(most, h.running);
        if (h.running === 0 && most > 0) break;
      }
      await pending;
      expect(most).toBeGreaterThanOrEqual(2);
    });

    it('beyond the slots and the queue: 429 with Retry-After', async () => {
      const t = await startServer(looping.engine, { maxQueue: 0 });
      try {
        const long = () => ask(t, { max_tokens: 3000 }).catch((e) => e);
        const running = [long(), long()];
        while (t.server.service.queue.runningCount < 2) await new Promise((r) => setTimeout(r, 5));
        const res = await fetch(`${t.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'cycle', messages: QUESTION }),
        });
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(((await res.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
        await t.close();
        await Promise.all(running);
      } finally {
        await t.close();
      }
    });
  });

  describe('observability', () => {
    it('one log line per request: id, status, tokens, exit reason and cue, ms', async () => {
      lines.length = 0;
      const r = await ask(s);
      const line = lines.find((l) => l.includes(r.id));
      expect(line).toMatch(
        new RegExp(
          `^\\[serve\\] ${r.id} 200 prompt=\\d+ completion=${r.usage?.completion_tokens} thinking=\\d+ exit=cue-exit cue="wait" p=0\\.\\d+ \\d+ms$`,
        ),
      );
      await postRaw(s.url, '{"model": "cycle"}');
      expect(lines.at(-1)).toMatch(/^\[serve\] chatcmpl-\w+ 400 \d+ms$/);
    });

    it('/metrics is Prometheus text with requests, tokens, exits, queue depth and a latency histogram', async () => {
      await ask(s);
      const res = await fetch(`${s.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(value('lynx_requests_total{status="200"}')).toBeGreaterThan(0);
      expect(value('lynx_completion_tokens_total')).toBeGreaterThan(0);
      expect(value('lynx_exits_total{reason="cue-exit"}')).toBeGreaterThan(0);
      expect(value('lynx_queue_depth')).toBe(0);
      expect(value('lynx_slots')).toBe(4);
      expect(value('lynx_request_duration_seconds_count')).toBe(
        value('lynx_requests_total{status="200"}') + value('lynx_requests_total{status="400"}'),
      );
      expect(text).toMatch(/^lynx_request_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    });

    it('a wrong method on a known route is 405 with Allow', async () => {
      const res = await fetch(`${s.url}/v1/chat/completions`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
      const models = await fetch(`${s.url}/v1/models`, { method: 'DELETE' });
      expect(models.status).toBe(405);
      expect((await fetch(`${s.url}/v2/nothing`)).status).toBe(404);
    });

    it('a request running past the timeout is cancelled with a 504', async () => {
      const t = await startServer(looping.engine, { requestTimeoutMs: 200 });
      try {
        const started = Date.now();
        const err = (await ask(t, { max_tokens: 3000 }).catch((e) => e)) as { status: number; code: string };
        expect(err.status).toBe(504);
        expect(err.code).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(5000);
        expect(t.server.service.stats.cancelled).toBe(1);
      } finally {
        await t.close();
      }
    });
  });

  describe('OpenAI parameters', () => {
    it('logprobs: the answer tokens with their top alternatives; streaming carries the same entries', async () => {
      const r = await ask(s, { logprobs: true, top_logprobs: 3 });
      const entries = r.choices[0].logprobs?.content ?? [];
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.map((e) => e.token).join('')).toBe(
        r.choices[0].message.content?.replace('Final Answer: \\boxed{', ''),
      );
      for (const e of entries) {
        expect(e.logprob).toBeLessThanOrEqual(0);
        expect(e.top_logprobs).toHaveLength(3);
        // Greedy: the chosen token is the most likely one.
        expect(e.top_logprobs[0].logprob).toBeCloseTo(e.logprob, 6);
        expect(e.bytes).toEqual([...Buffer.from(e.token)]);
      }
      const stream = (await s.client.chat.completions.create({
        model: 'cycle',
        messages: QUESTION,
        stream: true,
        logprobs: true,
        top_logprobs: 3,
      })) as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>;
      const streamed: unknown[] = [];
      for await (const c of stream) streamed.push(...(c.choices[0]?.logprobs?.content ?? []));
      expect(streamed).toEqual(entries);
      expect((await ask(s)).choices[0].logprobs).toBeNull();
    });

    it('parameters that would change the output are refused with a 400 naming them, never ignored', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
        [{ tool_choice: 'required' }, 'tool_choice'],
        [{ response_format: { type: 'json_object' } }, 'response_format'],
        [{ frequency_penalty: 0.5 }, 'frequency_penalty'],
        [{ presence_penalty: -1 }, 'presence_penalty'],
        [{ logit_bias: { '5': 10 } }, 'logit_bias'],
        [{ top_logprobs: 2 }, 'top_logprobs'],
        [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
      ];
      for (const [extra, param] of cases) {
        const { status, json } = await postRaw(
          s.url,
          JSON.stringify({ model: 'cycle', messages: QUESTION, ...extra }),
        );
        expect(status, JSON.stringify(extra)).toBe(400);
        expect((json as { error: { param: string } }).error.param).toBe(param);
      }
      // Their neutral values are fine.
      const ok = await ask(s, {
        frequency_penalty: 0,
        presence_penalty: 0,
        response_format: { type: 'text' },
        tools: [],
        logit_bias: {},
        user: 'someone',
      });
      expect(ok.choices[0].message.content).toContain('4');
    });
  });
});
