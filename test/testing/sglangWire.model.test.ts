// The SGLang-wire test server's prefix cache (src/testing/WireSessionPool.ts): backing sessions kept
// between requests and rolled back to the longest shared prefix. A warm request must evaluate only
// what the cache did not hold, and `cached_tokens` must say how much that was. Nothing a client sees
// may change: tokens, exits and answers equal those of a server that keeps no session
// (`cacheSessions: 0`). Numbers are compared with a stated tolerance there, because such a server
// re-evaluates earlier output in one batch where it was first decoded token by token, which rounds
// differently (~1e-3 in a hidden state, ~1e-5 in a probability, on the testbed model); with reuse the
// KV cache is the one decoding built, as on SGLang, and runs equal the in-process engine's bit for bit.
// Each server and the in-process engine have their own llama.cpp engine of the testbed model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/bundle/io.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { SglangEngine } from '../../src/engine/sglang/SglangEngine.ts';
import type { Engine } from '../../src/engine/types.ts';
import { loadProblems } from '../../src/pipeline/problems.ts';
import { deerPolicy } from '../../src/reason/policies/deer.ts';
import { lynxPolicy } from '../../src/reason/policies/lynx.ts';
import { vanillaPolicy } from '../../src/reason/policies/simple.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import type { ExitPolicy, ReasoningTrace } from '../../src/reason/types.ts';
import { type SglangWireServer, startSglangWireServer } from '../../src/testing/SglangWireServer.ts';

const TESTBED = 'models/testbed.gguf';
/** Between a server that reuses sessions and one that re-evaluates (see the file comment). */
const HIDDEN_TOLERANCE = 1e-3;
const PROBABILITY_TOLERANCE = 1e-4;

interface Side {
  backing: LlamaCppEngine;
  wire: SglangWireServer;
}
let warm: Side;
let cold: Side;
let tokenizer: LlamaCppEngine;
let local: LlamaCppEngine;

async function side(parallel: number, cacheSessions?: number): Promise<Side> {
  const backing = await LlamaCppEngine.load(TESTBED, { threads: 1, contextSize: 1024, parallel });
  // Idle sessions kept for the whole file, so which requests hit the cache does not depend on timing.
  const wire = await startSglangWireServer({ engine: backing, cacheSessions, cacheIdleMs: 600_000 });
  return { backing, wire };
}

beforeAll(async () => {
  tokenizer = await LlamaCppEngine.loadTokenizer(TESTBED);
  local = await LlamaCppEngine.load(TESTBED, { threads: 1, contextSize: 1024 });
  warm = await side(2);
  cold = await side(2, 0);
}, 60_000);
afterAll(async () => {
  for (const s of [warm, cold]) {
    await s?.wire.close();
    await s?.backing.dispose();
  }
  await tokenizer?.dispose();
  await local?.dispose();
});

/** Largest absolute difference between two equally long lists of numbers (nested arrays flattened). */
function maxDiff(a: unknown, b: unknown): number {
  const x = [a].flat(Number.POSITIVE_INFINITY) as number[];
  const y = [b].flat(Number.POSITIVE_INFINITY) as number[];
  expect(x.length).toBe(y.length);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

interface WireResponse {
  output_ids: number[];
  meta_info: {
    cached_tokens: number;
    prompt_tokens: number;
    output_token_logprobs?: Array<[number, number, null]>;
    hidden_states?: [number[][], ...number[][]];
  };
}

async function generate(s: Side, body: Record<string, unknown>): Promise<WireResponse> {
  const r = await fetch(`${s.wire.url}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as WireResponse;
}

/** Tokens the backing engine evaluated while `run` ran (its scheduler's count, not the server's). */
async function evaluated<T>(s: Side, run: () => Promise<T>): Promise<{ result: T; tokens: number }> {
  const before = s.backing.schedulerStats?.tokens ?? 0;
  const result = await run();
  return { result, tokens: (s.backing.schedulerStats?.tokens ?? 0) - before };
}

const problems = loadProblems({ dataset: 'testbed-arith', split: 'heldout', slice: 'test', limit: 8 });
const promptOf = (i: number) => tokenizer.promptTokens(tokenizer.formatChat(problems[i].messages));

describe('prefix reuse', () => {
  it('a warm request evaluates only what the cache lacks, and cached_tokens says how much it reused', async () => {
    const prompt = promptOf(0);
    const exitCue = tokenizer.tokenize('</think>\n\\boxed{', { special: true });
    const greedy = { temperature: 0 };
    // A decode segment, the hidden-state read of its last token, then a forced exit from there:
    // what the SGLang engine sends at a LYNX cue.
    const requests = (out: number[]) => [
      { input_ids: prompt, sampling_params: { ...greedy, max_new_tokens: 12 }, return_logprob: true },
      {
        input_ids: [...prompt, ...out],
        sampling_params: { ...greedy, max_new_tokens: 1 },
        return_hidden_states: true,
      },
      {
        input_ids: [...prompt, ...out, ...exitCue],
        sampling_params: { ...greedy, max_new_tokens: 6 },
        return_logprob: true,
        return_hidden_states: true,
      },
    ];
    const run = async (s: Side) => {
      const first = await evaluated(s, () => generate(s, requests([])[0]));
      const out = first.result.output_ids;
      const rest = [];
      for (const body of requests(out).slice(1)) rest.push(await evaluated(s, () => generate(s, body)));
      return [first, ...rest];
    };
    const w = await run(warm);
    const c = await run(cold);
    const out = w[0].result.output_ids;
    expect(out).toHaveLength(12);

    // Without sessions kept, nothing is reused: every prompt token is evaluated.
    expect(c.map((r) => r.result.meta_info.cached_tokens)).toEqual([0, 0, 0]);
    // Warm: the read reuses all but the token asked about; the forced exit all before the exit cue.
    const seq = prompt.length + out.length;
    expect(w.map((r) => r.result.meta_info.cached_tokens)).toEqual([0, seq - 1, seq]);
    // The backing engine evaluated exactly the uncached prompt tokens plus one per decoded token.
    for (const sideRuns of [w, c])
      for (const r of sideRuns) {
        const m = r.result.meta_info;
        expect(r.tokens).toBe(m.prompt_tokens - m.cached_tokens + r.result.output_ids.length);
      }
    expect(w[1].tokens).toBe(2);
    // The trace says the same.
    const trace = warm.wire.trace.filter((e) => e.path === '/generate').slice(-3);
    expect(trace.map((e) => e.evaluatedTokens)).toEqual(w.map((r) => r.tokens));
    expect(trace.map((e) => e.cachedTokens)).toEqual([0, seq - 1, seq]);

    // One prompt row per computed prompt token; decode vectors one per step after the first (the
    // last generated token has none).
    const [, wRead, wExit] = w.map((r) => r.result);
    const [, cRead, cExit] = c.map((r) => r.result);
    const rows = (r: WireResponse) => r.meta_info.hidden_states?.[0] ?? [];
    expect(rows(wRead)).toHaveLength(1);
    expect(rows(cRead)).toHaveLength(seq);
    expect(rows(wExit)).toHaveLength(exitCue.length);
    expect(rows(cExit)).toHaveLength(seq + exitCue.length);
    expect(wExit.meta_info.hidden_states).toHaveLength(1 + wExit.output_ids.length - 1);
    // The same tokens as without reuse, the same numbers within the tolerance.
    for (let i = 0; i < 3; i++) {
      expect(w[i].result.output_ids).toEqual(c[i].result.output_ids);
      const lp = (r: WireResponse) => (r.meta_info.output_token_logprobs ?? []).map((e) => e[0]);
      expect(maxDiff(lp(w[i].result), lp(c[i].result))).toBeLessThan(PROBABILITY_TOLERANCE);
    }
    expect(maxDiff(rows(wRead), rows(cRead).slice(-1))).toBeLessThan(HIDDEN_TOLERANCE);
    expect(maxDiff(rows(wExit), rows(cExit).slice(seq))).toBeLessThan(HIDDEN_TOLERANCE);
    expect(
      maxDiff(wExit.meta_info.hidden_states?.slice(1), cExit.meta_info.hidden_states?.slice(1)),
    ).toBeLessThan(HIDDEN_TOLERANCE);
    // With reuse, the read is the state the in-process engine gives after the same decode, exactly.
    const session = await local.open(prompt);
    try {
      await session.generate({ sample: greedy, maxTokens: 12 });
      expect(session.tokens()).toEqual([...prompt, ...out]);
      expect(rows(wRead)[0]).toEqual(Array.from((await session.hidden([-1]))[0]));
    } finally {
      await session.close();
    }
  });

  it('keeps another sequence cached while a slot is free, and evicts the least recently used when none is', async () => {
    // Two sessions (the engine's maxSessions): problems 1 and 2 fill them, problem 3 takes 1's.
    const sample = { temperature: 0, max_new_tokens: 4 };
    const outs: number[][] = [];
    for (const i of [1, 2, 3])
      outs.push((await generate(warm, { input_ids: promptOf(i), sampling_params: sample })).output_ids);
    expect(warm.wire.cache.idleSessions).toBe(2);
    const cached = async (i: number, out: number[]) =>
      (await generate(warm, { input_ids: [...promptOf(i), ...out, 11], sampling_params: sample })).meta_info
        .cached_tokens;
    expect(await cached(3, outs[2])).toBe(promptOf(3).length + 4);
    expect(await cached(2, outs[1])).toBe(promptOf(2).length + 4);
    expect(await cached(1, outs[0])).toBe(0);
  });

  it('lends a session to one request at a time: concurrent requests beyond the sessions wait, with unchanged results', async () => {
    const body = (i: number) => ({
      input_ids: promptOf(4 + (i % 2)),
      sampling_params: { temperature: 0.6, sampling_seed: 7 + i, max_new_tokens: 24 },
      return_logprob: true,
      return_hidden_states: true,
    });
    const [w, c] = await Promise.all(
      [warm, cold].map((s) => Promise.all(Array.from({ length: 6 }, (_, i) => generate(s, body(i))))),
    );
    for (let i = 0; i < 6; i++) {
      expect(w[i].output_ids).toEqual(c[i].output_ids);
      const lp = (r: WireResponse) => (r.meta_info.output_token_logprobs ?? []).map((e) => e[0]);
      expect(maxDiff(lp(w[i]), lp(c[i]))).toBeLessThan(PROBABILITY_TOLERANCE);
      expect(
        maxDiff(w[i].meta_info.hidden_states?.slice(1), c[i].meta_info.hidden_states?.slice(1)),
      ).toBeLessThan(HIDDEN_TOLERANCE);
    }
    expect(warm.wire.cache.idleSessions).toBeLessThanOrEqual(2);
  });
});

describe('the SGLang engine gives the same runs with and without reuse', () => {
  const runs = async (
    engine: Engine,
    policy: () => ExitPolicy,
    sample: { temperature: number; seed?: number },
  ) => {
    const traces: ReasoningTrace[] = [];
    for (const p of problems.slice(0, 3))
      traces.push(await runReasoning(engine, p.messages, policy(), { sample, maxTokens: 400 }));
    return traces;
  };
  const onWire = async (
    s: Side,
    policy: () => ExitPolicy,
    sample: { temperature: number; seed?: number },
  ) => {
    const engine = await SglangEngine.connect({ url: s.wire.url, tokenizer, parallel: 1 });
    const before = s.wire.trace.length;
    try {
      return { traces: await runs(engine, policy, sample), requests: s.wire.trace.slice(before) };
    } finally {
      await engine.dispose();
    }
  };
  /** What a client sees, and the numbers behind the decisions (probe p, DEER confidence). */
  const seen = (t: ReasoningTrace) => ({
    text: t.text,
    exit: t.exit,
    counts: t.counts,
    cues: t.cueEvents.map((e) => [e.position, e.cue, e.exit, e.set]),
    trials: t.trials.map((r) => [r.position, r.text]),
  });
  const numbers = (t: ReasoningTrace) =>
    t.cueEvents.map((e) => [e.p ?? 0, Number(e.details?.confidence ?? 0)]);

  for (const [name, sample] of [
    ['greedy', { temperature: 0 }],
    ['seeded T 0.6', { temperature: 0.6, seed: 5 }],
  ] as const)
    it(`LYNX, DEER and vanilla, ${name}`, async () => {
      const bundle = await loadBundle('models/testbed.lynx.json');
      const policies: Array<[string, () => ExitPolicy]> = [
        ['lynx', () => lynxPolicy({ bundle, delta: 0.2 })],
        ['deer', () => deerPolicy()],
        ['vanilla', () => vanillaPolicy()],
      ];
      let lynxExits = 0;
      for (const [policy, make] of policies) {
        const inProcess = await runs(local, make, sample);
        const w = await onWire(warm, make, sample);
        const c = await onWire(cold, make, sample);
        expect(w.traces.map(seen), policy).toEqual(c.traces.map(seen));
        expect(maxDiff(w.traces.map(numbers), c.traces.map(numbers)), policy).toBeLessThan(
          PROBABILITY_TOLERANCE,
        );
        expect(
          w.traces.map((t) => [seen(t), numbers(t)]),
          policy,
        ).toEqual(inProcess.map((t) => [seen(t), numbers(t)]));
        const work = (rs: typeof w.requests) => rs.reduce((n, e) => n + (e.evaluatedTokens ?? 0), 0);
        expect(work(w.requests), policy).toBeLessThan(work(c.requests));
        // Every hidden-state read computes one prompt token: the cue, after the segment that sampled it.
        for (const read of w.requests.filter((e) => e.rid?.startsWith('lynx-h-')))
          expect(read.cachedTokens).toBe((read.inputTokens ?? 0) - 1);
        if (policy === 'lynx') lynxExits = w.traces.filter((t) => t.exit.reason === 'cue-exit').length;
      }
      // Some runs exit early, so forced exits from a cached prefix are covered too.
      if (name === 'greedy') expect(lynxExits).toBeGreaterThan(0);
    }, 120_000);
});
