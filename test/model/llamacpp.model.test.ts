// The reference transformer and llama.cpp (node-llama-cpp 3.22.1) must compute the same function on the
// same GGUF: next-token logits and final-norm hidden state at every position of a 20-token prompt.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/model/config.ts';
import { exportGguf, loadGgufModel } from '../../src/model/ggufModel.ts';
import type { Vec } from '../../src/model/heap.ts';
import { createInferState, forwardToken, type ReferenceModel } from '../../src/model/infer.ts';
import { initParams, ModelParams } from '../../src/model/params.ts';
import { createRuntime } from '../../src/model/runtime.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { buildTestModel, testVocab } from '../../src/testing/testModels.ts';

let llama: Llama;
const dir = mkdtempSync(join(tmpdir(), 'lynx-model-llama-'));
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Step {
  logits: Float32Array;
  hidden: Float32Array;
}

/** Per-position logits and final-norm hidden state from llama.cpp, one token per decode. */
async function llamaSteps(path: string, prompt: number[]): Promise<Step[]> {
  const model = await llama.loadModel({ modelPath: path });
  try {
    // Exact-f32 settings: with flash attention (default 'auto' = on) or the default F16 KV cache,
    // llama.cpp rounds Q/K/V to f16 and logits move by ~5e-3; with these they agree to ~5e-6.
    const ctx = await model.createContext({
      flashAttention: false,
      contextSize: 64,
      threads: 1,
      batchSize: 64,
      _embeddings: true,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    } as never);
    const seq = ctx.getSequence();
    const out: Step[] = [];
    for (const tok of prompt) {
      const [r] = await seq.controlledEvaluate([[tok as Token, { generateNext: { logits: true } }]]);
      const map = r!.next.logits!;
      const dense = new Float32Array(Math.max(...map.keys()) + 1);
      for (const [t, v] of map) dense[t] = v;
      const h = (ctx as unknown as { _ctx: { getEmbedding(n: number): Float64Array } })._ctx.getEmbedding(1);
      out.push({ logits: dense, hidden: Float32Array.from(h) });
    }
    await ctx.dispose();
    return out;
  } finally {
    await model.dispose();
  }
}

function oursSteps(model: ReferenceModel, prompt: number[]): Step[] {
  const state = createInferState(model, 64);
  return prompt.map((t) => {
    const o = forwardToken(state, t);
    return { logits: Float32Array.from(o.logits), hidden: Float32Array.from(o.finalHidden) };
  });
}

function maxAbsDiff(a: Vec, b: Vec): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: Vec): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function randomPrompt(vocab: number, seed: number): number[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: 20 }, () => rng.int(vocab));
}

describe('reference transformer vs llama.cpp', () => {
  it('an exported random qwen2 model: same logits and final hidden state over a 20-token prompt (f32, max abs diff < 1e-4)', async () => {
    const vocab = testVocab('bpe');
    const config = resolveConfig({
      vocabSize: vocab.tokenizer.tokens.length,
      dim: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      ffn: 96,
      contextLength: 64,
    });
    const runtime = createRuntime('wasm');
    const params = new ModelParams(config, runtime.heap);
    // Large weights so attention and every layer matter for the output.
    initParams(params, 5, 0.15);
    const path = join(dir, 'random-qwen2.gguf');
    await exportGguf(path, params, { tokenizer: vocab.tokenizer });
    const prompt = randomPrompt(config.vocabSize, 9);
    const ref = llamaSteps(path, prompt);
    const ours = oursSteps({ config, params, runtime }, prompt);
    const theirs = await ref;
    let worstLogit = 0;
    let worstHidden = 0;
    for (let i = 0; i < prompt.length; i++) {
      expect(theirs[i].logits.length).toBe(config.vocabSize);
      worstLogit = Math.max(worstLogit, maxAbsDiff(ours[i].logits, theirs[i].logits));
      worstHidden = Math.max(worstHidden, maxAbsDiff(ours[i].hidden, theirs[i].hidden));
    }
    // The test is meaningful only if logits vary across positions by far more than the tolerance.
    expect(maxAbsDiff(ours[3].logits, ours[15].logits)).toBeGreaterThan(0.1);
    expect(worstLogit).toBeLessThan(1e-4);
    expect(worstHidden).toBeLessThan(1e-4);

    // Loading the exported file back gives the same weights bit for bit.
    const loaded = await loadGgufModel(path);
    expect(loaded.arch).toBe('qwen2');
    // rmsEps travels as f32 metadata.
    expect(loaded.config).toEqual({ ...config, rmsEps: Math.fround(config.rmsEps) });
    expect(maxAbsDiff(loaded.params.flat, params.flat)).toBe(0);
  });

  // Models written by the gguf helper: llama (normal RoPE), qwen2 with q/k/v biases, qwen3 with q/k norms.
  const cases = [
    { arch: 'llama', type: 'f32', tol: 1e-5 },
    { arch: 'qwen2', type: 'f32', tol: 1e-5 },
    { arch: 'qwen3', type: 'f32', tol: 1e-5 },
    // llama.cpp rounds activations to f16 / q8_0 for these matmuls; we use exact f32 activations.
    { arch: 'qwen2', type: 'f16', tol: 2e-2 },
    { arch: 'qwen2', type: 'q8_0', tol: 5e-2 },
  ] as const;
  for (const c of cases) {
    it(`loads a random ${c.arch} ${c.type} GGUF and matches llama.cpp (relative max diff < ${c.tol})`, async () => {
      const tm = await buildTestModel({ kind: 'random', arch: c.arch, type: c.type, contextLength: 64, dir });
      const model = await loadGgufModel(tm.path);
      const prompt = randomPrompt(model.config.vocabSize, 4);
      const theirs = await llamaSteps(tm.path, prompt);
      const ours = oursSteps(model, prompt);
      for (let i = 0; i < prompt.length; i++) {
        const scale = Math.max(1, maxAbs(theirs[i].logits));
        expect(maxAbsDiff(ours[i].logits, theirs[i].logits) / scale, `logits at ${i}`).toBeLessThan(c.tol);
        expect(
          maxAbsDiff(ours[i].hidden, theirs[i].hidden) / Math.max(1, maxAbs(theirs[i].hidden)),
          `hidden at ${i}`,
        ).toBeLessThan(c.tol);
      }
    });
  }
});
