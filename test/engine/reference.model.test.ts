// The reference engine (the transformer of src/model behind the engine contract) on the shipped
// testbed GGUF, checked against independent references:
// - llama.cpp (the llama.cpp engine, same file): next-token log-probabilities, greedy tokens and the
//   final-norm hidden state, within the f16 rounding of llama.cpp's default KV cache;
// - a full-sequence forward of src/model (TrainGraph: batched attention, not the incremental KV-cache
//   path): the hidden state of every block at every position, within f32 summation-order noise;
// - itself without the branch: a rollback leaves the continuation bit for bit as if never branched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { ReferenceEngine } from '../../src/engine/reference/ReferenceEngine.ts';
import type { Session } from '../../src/engine/types.ts';
import { loadGgufModel } from '../../src/model/ggufModel.ts';
import { ModelParams } from '../../src/model/params.ts';
import { TrainGraph } from '../../src/model/trainGraph.ts';
import { engineFingerprint } from '../../src/pipeline/fingerprint.ts';
import { loadProblems } from '../../src/pipeline/problems.ts';

const MODEL = 'models/testbed.gguf';
const EXIT_TEXT = '</think> Final Answer: \\boxed{';
/**
 * llama.cpp's default context rounds K/V to f16 (and may use flash attention). Measured on this model:
 * log-probabilities within 1.3e-2 (tokens above e^-12), final-norm states within 1.4e-3 relative.
 */
const LLAMA_LOGPROB_TOL = 3e-2;
const LLAMA_HIDDEN_TOL = 5e-3;
/** Same arithmetic in another order (batched vs one token): f32 noise, measured ≤ 3e-6 relative. */
const GRAPH_TOL = 2e-5;

let reference: ReferenceEngine;
let llama: LlamaCppEngine;
let prompts: string[];
beforeAll(async () => {
  reference = await ReferenceEngine.load(MODEL, { contextSize: 1024 });
  llama = await LlamaCppEngine.load(MODEL, { threads: 1, contextSize: 1024 });
  prompts = loadProblems({ dataset: 'testbed', split: 'heldout', limit: 3, dataSeed: 5 }).map((p) =>
    reference.formatChat(p.messages),
  );
}, 60_000);
afterAll(async () => {
  await reference?.dispose();
  await llama?.dispose();
});

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, at = 0): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[at + i]));
  return m;
}

/** The whole next-token log-distribution of a session, indexed by token id. */
function logprobs(session: Session, vocab: number): Float64Array {
  const out = new Float64Array(vocab).fill(Number.NEGATIVE_INFINITY);
  for (const [t, lp] of session.topLogprobs(vocab)) out[t] = lp;
  return out;
}

describe('ReferenceEngine', () => {
  it('describes the model as llama.cpp does, with every layer exposed', () => {
    expect(reference.info).toMatchObject({
      name: 'reference',
      architecture: 'qwen2',
      layers: 4,
      hiddenSize: 128,
      vocabSize: 768,
      contextSize: 1024,
      hiddenLayers: 'all',
      fullDistribution: true,
    });
    // Same tokenizer and weights hash: events and bundles move between the two engines.
    expect(engineFingerprint(reference)).toEqual(engineFingerprint(llama));
    expect(reference.tokenize(prompts[0], { special: true })).toEqual(
      llama.tokenize(prompts[0], { special: true }),
    );
  });

  it('gives llama.cpp’s next-token distribution and final-norm hidden state along llama.cpp’s greedy decode', async () => {
    const V = reference.info.vocabSize;
    let worstLp = 0;
    let worstHidden = 0;
    let compared = 0;
    for (const prompt of prompts) {
      const theirs = await llama.open(prompt, { entropy: true, hidden: true });
      const ours = await reference.open(prompt);
      try {
        for (let i = 0; i < 160; i++) {
          const [a, b] = [logprobs(theirs, V), logprobs(ours, V)];
          // Only tokens that matter for sampling: far in the tail, f16 rounding is amplified.
          for (let t = 0; t < V; t++) if (a[t] > -12) worstLp = Math.max(worstLp, Math.abs(a[t] - b[t]));
          const [ha] = await theirs.hidden([-1]);
          const [hb] = await ours.hidden([-1]);
          worstHidden = Math.max(worstHidden, maxAbsDiff(hb, ha) / Math.max(1, maxAbs(ha)));
          compared++;
          const step = await theirs.step({ temperature: 0 }, { hidden: () => true });
          if (step.isEog) break;
          await ours.append([step.token]);
        }
      } finally {
        await theirs.close();
        await ours.close();
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(worstLp).toBeLessThan(LLAMA_LOGPROB_TOL);
    expect(worstHidden).toBeLessThan(LLAMA_HIDDEN_TOL);
  });

  it('decodes llama.cpp’s greedy tokens (a difference only where the top two are tied within tolerance)', async () => {
    for (const prompt of prompts) {
      const theirs = await llama.open(prompt, { entropy: true });
      const ours = await reference.open(prompt);
      try {
        const a = await theirs.generate({ sample: { temperature: 0 }, maxTokens: 300, topLogprobs: 2 });
        const b = await ours.generate({ sample: { temperature: 0 }, maxTokens: 300 });
        const at = a.tokens.findIndex((t, i) => t.token !== b.tokens[i]?.token);
        if (at >= 0) {
          const [[, first], [, second]] = a.tokens[at].top ?? [];
          expect(first - second, `greedy tokens differ at ${at}`).toBeLessThan(LLAMA_LOGPROB_TOL);
        } else expect(b.tokens.length).toBe(a.tokens.length);
        expect(at < 0 || at > 50).toBe(true);
      } finally {
        await theirs.close();
        await ours.close();
      }
    }
  });

  it('hidden(layer) at every position equals a full-sequence forward of src/model: blocks 0..3 and the final norm', async () => {
    const model = await loadGgufModel(MODEL);
    const tokens = reference.tokenize(prompts[1], { special: true });
    // The sequence: the prompt plus a sampled continuation, so attention spans a few hundred tokens.
    const s = await reference.open(tokens);
    await s.generate({ sample: { temperature: 0.8, seed: 4 }, maxTokens: 200 });
    const seq = s.tokens();
    await s.close();
    const T = seq.length;
    const graph = new TrainGraph(
      model.params,
      new ModelParams(model.config, model.runtime.heap),
      model.runtime.heap,
      model.runtime.gemm,
      1,
      T,
    );
    const full = graph.hiddenOf({ tokens: Int32Array.from([...seq, 0]), mask: new Uint8Array(T + 1) });
    const D = model.config.dim;
    const layers = [0, 1, 2, 3, -1];
    const worst = layers.map(() => 0);
    const inc = await reference.open(seq.slice(0, 1));
    for (let n = 0; n < T; n++) {
      if (n > 0) await inc.append([seq[n]]);
      const states = await inc.hidden(layers);
      layers.forEach((l, j) => {
        const want = l === -1 ? full.finalNorm : full.blocks[l];
        const scale = Math.max(1, maxAbs(want.subarray(n * D, n * D + D)));
        worst[j] = Math.max(worst[j], maxAbsDiff(states[j], want, n * D) / scale);
      });
    }
    await inc.close();
    for (const [j, w] of worst.entries()) expect(w, `layer ${layers[j]}`).toBeLessThan(GRAPH_TOL);
    // The layers are different vectors (the test would pass vacuously if they were one).
    const last = await reference.open(seq);
    const [h0, h3, hf] = await last.hidden([0, 3, -1]);
    await last.close();
    expect(maxAbsDiff(h0, h3)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(h3, hf)).toBeGreaterThan(0.1);
    await expect(last.hidden([0])).rejects.toThrow(/closed/);
  });

  it('a rolled-back forced exit leaves the sampled continuation identical, bit for bit, in a reused KV cache', async () => {
    const sample = { temperature: 0.9, topP: 0.95, seed: 7 };
    const straight = await reference.open(prompts[2]);
    const want = await straight.generate({ sample, maxTokens: 60 });
    await straight.close();
    expect(want.tokens.length).toBe(60);

    // The pooled KV cache now holds the straight run's keys: stale entries must not leak.
    const s = await reference.open(prompts[2]);
    const before = await s.generate({ sample, maxTokens: 25 });
    const mark = s.mark();
    const atMark = await s.hidden([0, 1, 2, 3, -1]);
    const top = s.topLogprobs(5);
    await s.append(reference.tokenize(EXIT_TEXT, { special: true }));
    const answer = await s.generate({ sample: { temperature: 0 }, maxTokens: 8 });
    expect(answer.tokens.length).toBeGreaterThan(0);
    expect((await s.hidden([-1]))[0]).not.toEqual(atMark[4]);
    await s.rollback(mark);
    expect(s.length).toBe(mark.length);
    expect(await s.hidden([0, 1, 2, 3, -1])).toEqual(atMark);
    expect(s.topLogprobs(5)).toEqual(top);
    const after = await s.generate({ sample, maxTokens: 35 });
    await s.close();
    const got = [...before.tokens, ...after.tokens];
    expect(got.map((t) => t.token)).toEqual(want.tokens.map((t) => t.token));
    expect(got.map((t) => t.logprob)).toEqual(want.tokens.map((t) => t.logprob));
  });

  it('refuses layers it does not have, marks of other sessions and a full context', async () => {
    const s = await reference.open(prompts[0]);
    const other = await ReferenceEngine.load(MODEL, { contextSize: 64 });
    try {
      await expect(s.hidden([4])).rejects.toThrow(/gives hidden-state layers -1 and 0\.\.3 for .*, not 4$/);
      await expect(s.hidden([-2])).rejects.toThrow(/not -2/);
      const o = await other.open(reference.tokenize('<think>', { special: true }));
      await expect(s.rollback(o.mark())).rejects.toThrow(/not from this session/);
      await expect(o.append(new Array(64).fill(5))).rejects.toThrow(/context is full/);
      // A failed append leaves the session as it was.
      expect(o.length).toBe(1);
      await expect(o.append([5, 99999])).rejects.toThrow(/outside the vocabulary/);
      expect(o.length).toBe(1);
    } finally {
      await s.close();
      await other.dispose();
    }
  });

  it('parallel sessions decode as they would alone; a further open waits for a close', async () => {
    const engine = await ReferenceEngine.load(MODEL, { parallel: 2 });
    try {
      const sample = { temperature: 0.7, seed: 3 };
      const alone = [];
      for (const p of prompts.slice(0, 2)) {
        const s = await engine.open(p);
        alone.push((await s.generate({ sample, maxTokens: 30 })).tokens.map((t) => t.token));
        await s.close();
      }
      const [a, b] = await Promise.all(prompts.slice(0, 2).map((p) => engine.open(p)));
      let third = false;
      const waiting = engine.open(prompts[2]).then((s) => {
        third = true;
        return s;
      });
      const both = await Promise.all([a, b].map((s) => s.generate({ sample, maxTokens: 30 })));
      expect(both.map((r) => r.tokens.map((t) => t.token))).toEqual(alone);
      expect(third).toBe(false);
      await a.close();
      await (await waiting).close();
      await b.close();
    } finally {
      await engine.dispose();
    }
  });
});
