/**
 * Chat completions through the official `openai` client: replies, early exit, streaming, parallel
 * load; on llama.cpp in-process and on SGLang (`serve --engine sglang`), with the same expectations.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CYCLE_THINKING } from '../../src/testing/testModels.ts';
import {
  exitHappyBundle,
  loadServedEngine,
  QUESTION,
  SERVER_ENGINES,
  type ServedEngine,
  startServer,
  type TestServer,
} from './helpers.ts';

/** The cycle model's greedy thought and answer (see src/testing/testModels.ts). */
const FULL_REASONING = CYCLE_THINKING.join('');
const BEFORE_FIRST_CUE = CYCLE_THINKING.slice(0, CYCLE_THINKING.indexOf(' wait')).join('');
const ANSWER = 'Final Answer: \\boxed{4}';

type Message = { content: string; reasoning_content: string };
type Lynx = {
  exited: boolean;
  exit_reason: string;
  exit_position: number;
  exit_cue_word?: string;
  thinking_tokens: number;
  probe_tokens: number;
  answer_tokens: number;
  level: unknown;
};
type Reply = OpenAI.Chat.ChatCompletion & { lynx: Lynx };

let served: ServedEngine;
let s: TestServer;

async function complete(extra: Record<string, unknown> = {}): Promise<Reply> {
  return (await s.client.chat.completions.create({
    model: 'cycle',
    messages: QUESTION,
    ...extra,
  } as never)) as unknown as Reply;
}

/** Streams a request and returns the concatenated deltas and the chunks. */
async function streamed(extra: Record<string, unknown> = {}) {
  const stream = (await s.client.chat.completions.create({
    model: 'cycle',
    messages: QUESTION,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  } as never)) as unknown as AsyncIterable<OpenAI.Chat.ChatCompletionChunk & { lynx?: Lynx }>;
  let reasoning = '';
  let content = '';
  const chunks: Array<OpenAI.Chat.ChatCompletionChunk & { lynx?: Lynx }> = [];
  for await (const c of stream) {
    chunks.push(c);
    const d = c.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
    reasoning += d?.reasoning_content ?? '';
    content += d?.content ?? '';
  }
  return { reasoning, content, chunks };
}

describe.each(SERVER_ENGINES)('on %s', (kind) => {
  beforeAll(async () => {
    served = await loadServedEngine(kind);
    s = await startServer(served.engine, {
      bundle: exitHappyBundle(served.engine),
      defaultLevel: { delta: 0.1 },
    });
  });
  afterAll(async () => {
    await s?.close();
    await served?.dispose();
  });

  describe('models', () => {
    it('lists the served model and 404s an unknown one', async () => {
      const models = await s.client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(['cycle']);
      await expect(s.client.models.retrieve('gpt-4')).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('non-streaming', () => {
    it('with exit off: reasoning_content is the whole thought, content the answer, usage counts every token', async () => {
      const r = await complete({ lynx: false });
      const msg = r.choices[0].message as unknown as Message;
      expect(msg.reasoning_content).toBe(FULL_REASONING);
      expect(msg.content).toBe(ANSWER);
      expect(r.choices[0].finish_reason).toBe('stop');
      expect(r.lynx).toMatchObject({ exited: false, exit_reason: 'natural-end', level: null });
      // Thinking = the thought words + `</think>`; answer = " Final" " Answer" ":" " \boxed{" "4" "}" EOS.
      expect(r.lynx.thinking_tokens).toBe(CYCLE_THINKING.length + 1);
      expect(r.lynx.answer_tokens).toBe(7);
      expect(r.usage?.completion_tokens).toBe(CYCLE_THINKING.length + 1 + 7);
      expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(CYCLE_THINKING.length + 1);
      expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
      expect(r.usage?.prompt_tokens).toBeGreaterThan(5);
    });

    it('with the bundle at the default δ: exits at the first cue, and the reply says so', async () => {
      const off = await complete({ lynx: false });
      const r = await complete();
      const msg = r.choices[0].message as unknown as Message;
      expect(r.lynx).toMatchObject({
        exited: true,
        exit_reason: 'cue-exit',
        exit_position: CYCLE_THINKING.indexOf(' wait'),
        exit_cue_word: 'wait',
        level: { delta: 0.1 },
      });
      // The cue token was decoded and rolled back: it is counted but not shown.
      expect(msg.reasoning_content).toBe(BEFORE_FIRST_CUE);
      expect(msg.content).toBe(ANSWER);
      expect(r.lynx.thinking_tokens).toBe(r.lynx.exit_position + 1);
      expect(r.usage!.completion_tokens).toBeLessThan(off.usage!.completion_tokens);
      expect(r.usage!.completion_tokens).toBe(
        r.lynx.thinking_tokens + r.lynx.probe_tokens + r.lynx.answer_tokens,
      );
    });

    it('per-request levels: δ 0.05 and α 0.05 do not exit, α 0.2 does; an uncalibrated level is a 400', async () => {
      expect((await complete({ lynx: { delta: 0.05 } })).lynx).toMatchObject({
        exited: false,
        level: { delta: 0.05 },
      });
      expect((await complete({ lynx: { alpha: 0.05 } })).lynx.exited).toBe(false);
      expect((await complete({ lynx: true })).lynx).toMatchObject({ exited: true, level: { delta: 0.1 } });
      const a = await complete({ lynx: { alpha: 0.2 } });
      expect(a.lynx).toMatchObject({ exited: true, level: { alpha: 0.2 } });
      await expect(complete({ lynx: { delta: 0.3 } })).rejects.toMatchObject({
        status: 400,
        param: 'lynx.delta',
      });
    });

    it('max_tokens cuts the thought (finish_reason length); stop cuts the answer', async () => {
      const r = await complete({ lynx: false, max_tokens: 3 });
      expect(r.choices[0].finish_reason).toBe('length');
      expect((r.choices[0].message as unknown as Message).reasoning_content).toBe(
        CYCLE_THINKING.slice(0, 3).join(''),
      );
      expect(r.choices[0].message.content).toBe('');
      expect(r.usage!.completion_tokens).toBe(3);
      const st = await complete({ lynx: false, stop: ['}'] });
      expect(st.choices[0].message.content).toBe('Final Answer: \\boxed{4');
      expect(st.choices[0].finish_reason).toBe('stop');
      const mc = await complete({ lynx: false, max_completion_tokens: 4 });
      expect(mc.usage!.completion_tokens).toBe(4);
    });
  });

  describe('streaming', () => {
    for (const lynx of [false, undefined]) {
      it(`deltas add up to the non-streaming reply (exit ${lynx === false ? 'off' : 'on'})`, async () => {
        const whole = await complete({ lynx });
        const st = await streamed({ lynx });
        const msg = whole.choices[0].message as unknown as Message;
        expect(st.reasoning).toBe(msg.reasoning_content);
        expect(st.content).toBe(msg.content);
        expect(st.chunks[0].choices[0].delta.role).toBe('assistant');
        const finish = st.chunks.find((c) => c.choices[0]?.finish_reason);
        expect(finish?.choices[0].finish_reason).toBe('stop');
        expect(finish?.lynx).toEqual(whole.lynx);
        const usage = st.chunks.at(-1)!;
        expect(usage.choices).toEqual([]);
        expect(usage.usage).toEqual(whole.usage);
      });
    }

    it('speaks SSE: data lines, [DONE] at the end', async () => {
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cycle', messages: QUESTION, stream: true }),
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      const events = text.split('\n\n').filter(Boolean);
      expect(events.every((e) => e.startsWith('data: '))).toBe(true);
      expect(events.at(-1)).toBe('data: [DONE]');
      for (const e of events.slice(0, -1))
        expect(JSON.parse(e.slice(6)).object).toBe('chat.completion.chunk');
    });
  });

  describe('load', () => {
    it('16 parallel requests (mixed streaming, exit on and off) are queued and all answered correctly', async () => {
      const jobs = Array.from({ length: 16 }, async (_, i) => {
        const lynx = i % 2 === 0 ? false : undefined;
        const expected = lynx === false ? FULL_REASONING : BEFORE_FIRST_CUE;
        if (i % 4 < 2) {
          const r = await complete({ lynx });
          return [
            (r.choices[0].message as unknown as Message).reasoning_content,
            r.choices[0].message.content,
            expected,
          ];
        }
        const st = await streamed({ lynx });
        return [st.reasoning, st.content, expected];
      });
      const results = await Promise.all(jobs);
      for (const [reasoning, content, expected] of results) {
        expect(reasoning).toBe(expected);
        expect(content).toBe(ANSWER);
      }
      expect(s.server.service.queue.waitingCount).toBe(0);
      expect(s.server.service.queue.runningCount).toBe(0);
    });
  });
});
