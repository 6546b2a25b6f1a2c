/**
 * Load generation for the server benchmarks: blocks of requests sent by a fixed number of
 * concurrent workers, and the per-configuration summary of many blocks (medians with min/max).
 */
import type OpenAI from 'openai';
import { gradeAnswer } from '../../src/answers/grade.ts';
import type { WorkProblem } from '../../src/pipeline/problems.ts';
import { formatSpread, type Spread, spread } from './stats.ts';

/** One block of requests: totals and each request's latency (ms). */
export interface Block {
  requests: number;
  seconds: number;
  tokens: number;
  correct: number;
  latencies: number[];
}

/** One configuration measured over many blocks. */
export interface Cell {
  requestsPerSecond: Spread;
  tokensPerSecond: Spread;
  p50Ms: Spread;
  p95Ms: Spread;
  accuracy: number;
  meanCompletionTokens: number;
}

/** The q-quantile of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** `concurrency` workers take the jobs in order; returns the block's totals. */
export async function block<J>(
  jobs: readonly J[],
  concurrency: number,
  one: (job: J, i: number) => Promise<{ tokens: number; correct: boolean }>,
): Promise<Block> {
  let next = 0;
  const b: Block = { requests: 0, seconds: 0, tokens: 0, correct: 0, latencies: [] };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const i = next++;
        const t = performance.now();
        const r = await one(jobs[i], i);
        b.latencies.push(performance.now() - t);
        b.requests++;
        b.tokens += r.tokens;
        if (r.correct) b.correct++;
      }
    }),
  );
  b.seconds = (performance.now() - t0) / 1000;
  return b;
}

/** Summary of one configuration's blocks: rates and latencies as medians over blocks, totals over all. */
export function cell(blocks: Block[]): Cell {
  const requests = blocks.reduce((n, b) => n + b.requests, 0);
  return {
    requestsPerSecond: spread(blocks.map((b) => b.requests / b.seconds)),
    tokensPerSecond: spread(blocks.map((b) => b.tokens / b.seconds)),
    p50Ms: spread(blocks.map((b) => quantile(b.latencies, 0.5))),
    p95Ms: spread(blocks.map((b) => quantile(b.latencies, 0.95))),
    accuracy: blocks.reduce((n, b) => n + b.correct, 0) / requests,
    meanCompletionTokens: blocks.reduce((n, b) => n + b.tokens, 0) / requests,
  };
}

/** One line: req/s, tok/s, p50/p95 latency, accuracy and mean tokens per request of `name`. */
export function formatCell(name: string, m: Cell): string {
  return (
    `    ${name.padEnd(24)} ${formatSpread(m.requestsPerSecond, 2)} req/s, ${formatSpread(m.tokensPerSecond, 0)} tok/s, ` +
    `p50 ${formatSpread(m.p50Ms, 0)} ms, p95 ${formatSpread(m.p95Ms, 0)} ms, accuracy ${(100 * m.accuracy).toFixed(1)}%, ${m.meanCompletionTokens.toFixed(0)} tok/req`
  );
}

/** Sampling of the chat requests: OpenAI's field names. */
export interface ChatSample {
  temperature: number;
  top_p: number;
}

/**
 * A job for `block`: asks `client` one problem as a chat completion (LYNX off when `lynx` is
 * false, the server's default level otherwise) and grades the reply's content.
 */
export function chatJob(
  client: OpenAI,
  o: { model: string; maxTokens: number; sample: ChatSample; lynx: boolean },
): (p: WorkProblem, seed: number) => Promise<{ tokens: number; correct: boolean }> {
  return async (p, seed) => {
    const r = (await client.chat.completions.create({
      model: o.model,
      messages: p.messages,
      max_tokens: o.maxTokens,
      seed,
      ...o.sample,
      ...(o.lynx ? {} : { lynx: false }),
    } as never)) as OpenAI.Chat.ChatCompletion;
    const m = r.choices[0].message as { content: string | null };
    return { tokens: r.usage?.completion_tokens ?? 0, correct: gradeAnswer(p.kind, m.content ?? '', p.gold) };
  };
}
