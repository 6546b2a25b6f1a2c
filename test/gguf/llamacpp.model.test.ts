// Files our writer produces must load and generate in llama.cpp (node-llama-cpp's prebuilt binary).
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestModel, CYCLE_THINKING, type TestModelOptions } from '../../src/testing/testModels.ts';

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
});

/** Greedy continuation of `prompt` (token ids), including the end-of-generation token. */
async function greedy(model: LlamaModel, prompt: number[], max: number): Promise<number[]> {
  const ctx = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const out: number[] = [];
    for await (const t of ctx
      .getSequence()
      .evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
      out.push(t);
      if (out.length >= max || model.isEogToken(t)) break;
    }
    return out;
  } finally {
    await ctx.dispose();
  }
}

const matrix: Array<Pick<TestModelOptions, 'arch' | 'tokenizer' | 'type'>> = [];
for (const arch of ['llama', 'qwen2', 'qwen3'] as const)
  for (const type of ['f32', 'q8_0'] as const) matrix.push({ arch, tokenizer: 'bpe', type });
matrix.push({ arch: 'llama', tokenizer: 'spm', type: 'f32' });
matrix.push({ arch: 'llama', tokenizer: 'spm', type: 'q8_0' });
matrix.push({ arch: 'qwen2', tokenizer: 'bpe', type: 'f16' });

describe('cycle models in llama.cpp', () => {
  for (const m of matrix) {
    it(`${m.arch}/${m.tokenizer}/${m.type}: loads, tokenizes words as one token, follows the cycle`, async () => {
      const tm = await buildTestModel({ kind: 'cycle', ...m });
      const model = await llama.loadModel({ modelPath: tm.path });
      try {
        expect(model.fileInfo.metadata.general.architecture).toBe(m.arch);
        for (const special of ['<think>', '</think>', '<|im_end|>', ' \\boxed{'])
          expect(model.tokenize(special, true), special).toEqual([tm.ids[special]]);
        for (const w of [' wait', ' hmm', ' Wait', ' Hmm', ' alternatively', ' so', ' the', ' answer'])
          expect(model.tokenize(w, false), w).toEqual([tm.ids[w]]);
        expect(model.tokens.eos).toBe(tm.eosId);
        // The exit cue from DESIGN.md tokenizes onto the cycle.
        const exitCue = model.tokenize('</think> Final Answer: \\boxed{', true);
        expect(exitCue).toEqual(['</think>', ' Final', ' Answer', ':', ' \\boxed{'].map((t) => tm.ids[t]));
        expect(model.detokenize(exitCue, true)).toBe('</think> Final Answer: \\boxed{');

        const out = await greedy(model, [tm.ids['<think>']], 60);
        expect(out).toEqual(tm.cycle.slice(1).map((s) => s.id));
        // User-defined tokens such as </think> are always rendered; control tokens only on request.
        expect(model.detokenize(out as Token[], false)).toBe(
          `\n${CYCLE_THINKING.join('')}</think> Final Answer: \\boxed{4}`,
        );
        expect(model.detokenize(out as Token[], true).endsWith('\\boxed{4}<|im_end|>')).toBe(true);
        // Mid-cycle, after a ChatML prompt: the continuation depends on the last token only.
        const prompt = model.tokenize(
          '<|im_start|>user\n What is two plus two?<|im_end|>\n<|im_start|>assistant\n',
          true,
        );
        const start = tm.ids[' wait'];
        const cont = await greedy(model, [...prompt, tm.ids['<think>'], tm.ids[' so'], start], 5);
        let t = start;
        const expected = cont.map(() => (t = tm.nextToken.get(t)!));
        expect(cont).toEqual(expected);
      } finally {
        await model.dispose();
      }
    });
  }

  it('loopThinking: the thought never closes by itself', async () => {
    const tm = await buildTestModel({ kind: 'cycle', loopThinking: true });
    const model = await llama.loadModel({ modelPath: tm.path });
    try {
      const out = await greedy(model, [tm.ids[' have']], 3);
      expect(out).toEqual([tm.ids[' so'], tm.ids[' the'], tm.ids[' answer']]);
    } finally {
      await model.dispose();
    }
  });
});

describe('random models in llama.cpp', () => {
  it('generate, and attention makes the continuation depend on earlier tokens', async () => {
    const tm = await buildTestModel({ kind: 'random', arch: 'qwen3', type: 'q8_0', seed: 3 });
    const model = await llama.loadModel({ modelPath: tm.path });
    try {
      const ids = tm.ids;
      const prompts = [
        [ids[' What'], ids[' is'], ids[' two'], ids[' plus'], ids[' two']],
        [ids[' the'], ids[' answer'], ids[' four'], ids[' hmm'], ids[' two']],
        [ids[' check'], ids[' again'], ids[' then'], ids[' two']],
      ];
      const outs = [];
      for (const p of prompts) outs.push(await greedy(model, p, 8));
      for (const o of outs) {
        expect(o.length).toBeGreaterThan(0);
        for (const t of o) expect(t).toBeLessThan(tm.vocabSize);
      }
      // Same last token, different history: a model where attention matters continues differently.
      expect(new Set(outs.map((o) => o.join(','))).size).toBeGreaterThan(1);
      // And greedy decoding is reproducible.
      expect(await greedy(model, prompts[0], 8)).toEqual(outs[0]);
    } finally {
      await model.dispose();
    }
  });
});
