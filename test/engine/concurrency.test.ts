// Several sessions on one llama.cpp engine decode in shared batches; each must get exactly what it
// gets alone: the same tokens, logprobs and hidden states of its own tokens, rollbacks included.
// Every distribution mode is covered: 'full' (small vocabularies), and 'native' / 'top' (forced on
// the small test model with fullDistributionMaxVocab: 0, as large vocabularies run).
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
  // As the reasoning loop does: the first step's sampling is announced at open.
  const session: Session = await engine.open(engine.tokenize(s.prompt, { special: true }), {
    sample,
    ...open,
  });
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
    await session.append(engine.tokenize(EXIT_TEXT, { special: true }), { next: { temperature: 0 } });
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
  ['full', {}, {}],
  ['native', { fullDistributionMaxVocab: 0 }, {}],
  ['top', { fullDistributionMaxVocab: 0 }, { topLogprobs: 5 }],
] as const) {
  describe(`sessions decoded together equal each session alone ('${mode}' distributions)`, () => {
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

describe('the native sampler path (large vocabularies)', () => {
  let full: LlamaCppEngine;
  let native: LlamaCppEngine;
  beforeAll(async () => {
    full = await load();
    native = await load({ fullDistributionMaxVocab: 0 });
  });

  it("greedy tokens and every logprob equal the full distribution's", async () => {
    const prompt = full.tokenize(SCRIPTS[0].prompt, { special: true });
    const a = await full.open(prompt);
    const b = await native.open(prompt);
    for (let i = 0; i < 30; i++) {
      const ra = await a.step({ temperature: 0 });
      const rb = await b.step({ temperature: 0 });
      expect(rb.token).toBe(ra.token);
      expect(rb.logprob).toBeCloseTo(ra.logprob, 4);
    }
    await a.close();
    await b.close();
  });

  it("a sampled token's logprob is its untempered log-probability under the full distribution", async () => {
    const prompt = full.tokenize(SCRIPTS[0].prompt, { special: true });
    const b = await native.open(prompt);
    const drawn: number[] = [];
    const lps: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await b.step({ temperature: 0.7, topP: 0.95, seed: 11 });
      drawn.push(r.token);
      lps.push(r.logprob);
    }
    await b.close();
    // Replay the drawn tokens on the full-distribution engine and read each token's logprob.
    const a = await full.open(prompt);
    for (let i = 0; i < drawn.length; i++) {
      const all = new Map(a.topLogprobs(full.info.vocabSize));
      expect(lps[i]).toBeCloseTo(all.get(drawn[i]) as number, 4);
      await a.append([drawn[i]]);
    }
    await a.close();
  });

  it('entropy and top logprobs need announcing at open, with a clear error otherwise', async () => {
    const s = await native.open(full.tokenize(SCRIPTS[1].prompt, { special: true }));
    expect(() => s.entropy()).toThrow(/open the session with/);
    await s.close();
    const t = await native.open(full.tokenize(SCRIPTS[1].prompt, { special: true }), { entropy: true });
    const f = await full.open(full.tokenize(SCRIPTS[1].prompt, { special: true }));
    expect(t.topLogprobs(3).map(([id]) => id)).toEqual(f.topLogprobs(3).map(([id]) => id));
    expect(t.entropy()).toBeLessThanOrEqual(f.entropy() + 1e-6);
    await t.close();
    await f.close();
  });

  it('a step with other sampling options than the kept draw re-evaluates once and is still exact', async () => {
    const prompt = full.tokenize(SCRIPTS[0].prompt, { special: true });
    const run = async (switchAt: number | null) => {
      const s = await native.open(prompt, { sample: { temperature: 0.8, seed: 5 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const seed = switchAt !== null && i >= switchAt ? 6 : 5;
        out.push((await s.step({ temperature: 0.8, seed })).token);
      }
      await s.close();
      return out;
    };
    const before = native.schedulerStats?.refreshes ?? 0;
    const switched = await run(10);
    expect((native.schedulerStats?.refreshes ?? 0) - before).toBe(1);
    // The same seeds at the same positions give the same tokens whether or not a refresh happened.
    const s = await native.open(prompt);
    const direct: number[] = [];
    for (let i = 0; i < 20; i++)
      direct.push((await s.step({ temperature: 0.8, seed: i >= 10 ? 6 : 5 })).token);
    await s.close();
    expect(switched).toEqual(direct);
  });
});
