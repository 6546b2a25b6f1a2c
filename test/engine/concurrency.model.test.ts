// Several sessions on one llama.cpp engine decode in shared batches; each must get exactly what it
// gets alone: the same tokens, logprobs and hidden states of its own tokens, rollbacks included.
// Every way a session reads the distribution is covered: the top candidates of a small vocabulary,
// every logit (`entropy: true`), and the large-vocabulary path (forced on the small test model
// with fullDistributionMaxVocab: 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import type { OpenOptions, Session } from '../../src/engine/types.ts';
import { buildTestModel, type TestModel } from '../../src/testing/testModels.ts';

const EXIT_TEXT = '</think> Final Answer: \\boxed{';
const engines: LlamaCppEngine[] = [];
let model: TestModel;

async function load(opts: Parameters<typeof LlamaCppEngine.load>[1] = {}) {
  const engine = await LlamaCppEngine.load(model.path, { threads: 1, contextSize: 256, gpu: 'off', ...opts });
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  model = await buildTestModel({ kind: 'random', arch: 'qwen2', tokenizer: 'bpe', seed: 3 });
});
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

interface Script {
  prompt: string;
  seed: number;
  temperature: number;
}

interface Run {
  tokens: number[];
  logprobs: number[];
  hidden: number[][];
  branch: number[];
}

/**
 * One session's script: sample 12 tokens (reading the hidden state of every third), branch off a
 * forced exit (greedy), roll back, sample 12 more. Yields between steps so sessions interleave.
 */
async function script(engine: LlamaCppEngine, s: Script, open: OpenOptions = {}): Promise<Run> {
  const sample = { temperature: s.temperature, topP: 0.95, seed: s.seed };
  const session: Session = await engine.open(engine.tokenize(s.prompt, { special: true }), open);
  const run: Run = { tokens: [], logprobs: [], hidden: [], branch: [] };
  const steps = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await session.step(sample, { hidden: () => i % 3 === 0 });
      run.tokens.push(r.token);
      run.logprobs.push(r.logprob);
      if (i % 3 === 0) run.hidden.push(Array.from((await session.hidden([-1]))[0]));
    }
  };
  try {
    await steps(12);
    const mark = session.mark();
    await session.append(engine.tokenize(EXIT_TEXT, { special: true }));
    for (let i = 0; i < 5; i++) run.branch.push((await session.step({ temperature: 0 })).token);
    await session.rollback(mark);
    await steps(12);
    // A hidden state nobody asked to keep is still exact (the last token is re-evaluated).
    run.hidden.push(Array.from((await session.hidden([-1]))[0]));
  } finally {
    await session.close();
  }
  return run;
}

const SCRIPTS: Script[] = [
  { prompt: '<think>\n so the answer is four wait let me check', seed: 1, temperature: 0.9 },
  { prompt: '<think>\n hmm but then', seed: 2, temperature: 0.6 },
  { prompt: '<think>\n the answer is', seed: 3, temperature: 0 },
  { prompt: '<think>\n so the answer is four wait let me check', seed: 4, temperature: 1 },
];

for (const [mode, opts, open] of [
  ['top candidates', {}, {}],
  ['every logit', {}, { entropy: true }],
  ['large-vocabulary path', { fullDistributionMaxVocab: 0 }, { topLogprobs: 5 }],
] as const) {
  describe(`sessions decoded together equal each session alone (${mode})`, () => {
    let serial: Run[];
    beforeAll(async () => {
      const alone = await load(opts);
      serial = [];
      for (const s of SCRIPTS) serial.push(await script(alone, s, open));
    });

    it('4 sessions interleaved in shared batches: tokens, logprobs, hidden states and branches match exactly', async () => {
      const engine = await load({ ...opts, parallel: 4 });
      const together = await Promise.all(SCRIPTS.map((s) => script(engine, s, open)));
      for (let k = 0; k < SCRIPTS.length; k++) {
        expect(together[k].tokens).toEqual(serial[k].tokens);
        expect(together[k].branch).toEqual(serial[k].branch);
        expect(together[k].logprobs).toEqual(serial[k].logprobs);
        expect(together[k].hidden).toEqual(serial[k].hidden);
      }
      const stats = engine.schedulerStats;
      expect(stats?.sharedBatches).toBeGreaterThan(20);
      // Hidden states asked for by the step hint were kept: only the unannounced last read re-evaluated.
      expect(stats?.refreshes).toBe(SCRIPTS.length);
    });

    it('more sessions than sequences: opens wait their turn and every run still matches', async () => {
      const engine = await load({ ...opts, parallel: 2 });
      const together = await Promise.all(SCRIPTS.map((s) => script(engine, s, open)));
      for (let k = 0; k < SCRIPTS.length; k++) expect(together[k].tokens).toEqual(serial[k].tokens);
    });
  });
}

describe('the large-vocabulary path (top-k in llama.cpp, normalizer over the vocabulary)', () => {
  let small: LlamaCppEngine;
  let large: LlamaCppEngine;
  let full: LlamaCppEngine;
  beforeAll(async () => {
    small = await load({ candidates: 64 });
    large = await load({ fullDistributionMaxVocab: 0, candidates: 64 });
    full = await load();
  });

  it('draws the same tokens with the same logprobs as the small-vocabulary path', async () => {
    const prompt = small.tokenize(SCRIPTS[0].prompt, { special: true });
    const a = await small.open(prompt);
    const b = await large.open(prompt);
    for (let i = 0; i < 40; i++) {
      const sample = { temperature: 0.8, topP: 0.95, seed: 9 };
      const ra = await a.step(sample);
      const rb = await b.step(sample);
      expect(rb.token).toBe(ra.token);
      expect(rb.logprob).toBeCloseTo(ra.logprob, 5);
    }
    expect(b.topLogprobs(64).map(([t]) => t)).toEqual(a.topLogprobs(64).map(([t]) => t));
    await a.close();
    await b.close();
  });

  it("every logprob is the token's untempered log-probability under the whole distribution", async () => {
    const prompt = full.tokenize(SCRIPTS[0].prompt, { special: true });
    const b = await large.open(prompt);
    const drawn: number[] = [];
    const lps: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await b.step({ temperature: 0.7, topP: 0.95, seed: 11 });
      drawn.push(r.token);
      lps.push(r.logprob);
    }
    await b.close();
    const a = await full.open(prompt, { entropy: true });
    for (let i = 0; i < drawn.length; i++) {
      const all = new Map(a.topLogprobs(full.info.vocabSize));
      expect(lps[i]).toBeCloseTo(all.get(drawn[i]) as number, 4);
      await a.append([drawn[i]]);
    }
    await a.close();
  });

  it('the entropy is exact with { entropy: true } and a lower bound from the top candidates otherwise', async () => {
    const prompt = full.tokenize(SCRIPTS[1].prompt, { special: true });
    const exact = await full.open(prompt, { entropy: true });
    const top = await small.open(prompt);
    const all = exact.topLogprobs(full.info.vocabSize);
    expect(all).toHaveLength(full.info.vocabSize);
    const h = -all.reduce((acc, [, lp]) => acc + Math.exp(lp) * lp, 0);
    expect(exact.entropy()).toBeCloseTo(h, 6);
    expect(top.entropy()).toBeLessThanOrEqual(exact.entropy() + 1e-9);
    expect(top.topLogprobs(1000)).toHaveLength(64);
    await exact.close();
    await top.close();
  });
});
