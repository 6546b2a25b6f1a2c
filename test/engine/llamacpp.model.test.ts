import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import type { Session } from '../../src/engine/types.ts';
import { UserError } from '../../src/errors.ts';
import { dequantize, readGguf } from '../../src/gguf/reader.ts';
import { GgmlType, str, u32 } from '../../src/gguf/types.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { buildTestModel, type TestModel } from '../../src/testing/testModels.ts';

const EXIT_TEXT = '</think> Final Answer: \\boxed{';
/** Sessions that keep every logit: these tests check the distribution itself. */
const WHOLE = { entropy: true };
const dir = mkdtempSync(join(tmpdir(), 'lynx-engine-test-'));
const engines: LlamaCppEngine[] = [];

/** Loads with threads: 1 (tiny models) and remembers the engine for disposal. */
async function load(path: string, opts: Parameters<typeof LlamaCppEngine.load>[1] = {}) {
  const engine = await LlamaCppEngine.load(path, { threads: 1, contextSize: 256, ...opts });
  engines.push(engine);
  return engine;
}

/** Samples `n` tokens (stops early only at end of generation). */
async function sample(session: Session, n: number, temperature: number, seed: number) {
  const tokens: number[] = [];
  const logprobs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await session.step({ temperature, topP: 0.95, seed });
    tokens.push(r.token);
    logprobs.push(r.logprob);
    if (r.isEog) break;
  }
  return { tokens, logprobs };
}

afterAll(async () => {
  for (const e of engines) await e.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('LlamaCppEngine on the random model (attention matters)', () => {
  let model: TestModel;
  let engine: LlamaCppEngine;
  let prompt: number[];
  beforeAll(async () => {
    model = await buildTestModel({ kind: 'random', arch: 'qwen2', tokenizer: 'bpe', seed: 3 });
    engine = await load(model.path);
    prompt = engine.tokenize('<think>\n so the answer is four wait let me check', { special: true });
  });

  it('(a) a forced-exit branch rolled back leaves the sampled continuation identical, token for token', async () => {
    const ref = await engine.open(prompt, WHOLE);
    const reference = await sample(ref, 40, 0.9, 7);
    await ref.close();
    expect(reference.tokens.length).toBe(40); // (no EOS hit, or the comparison would be short)

    const s = await engine.open(prompt, WHOLE);
    const before = await sample(s, 15, 0.9, 7);
    const mark = s.mark();
    const [hiddenAtMark] = await s.hidden([-1]);
    // llama.cpp gives the final-norm state only; a block's is refused with what it gives.
    await expect(s.hidden([0])).rejects.toThrow(
      /llama\.cpp engine gives hidden-state layers -1 for .*, not 0$/,
    );
    const top = s.topLogprobs(5);
    await s.append(engine.tokenize(EXIT_TEXT, { special: true }));
    const answer = await sample(s, 6, 0.9, 7);
    expect(answer.tokens.length).toBeGreaterThan(0);
    expect((await s.hidden([-1]))[0]).not.toEqual(hiddenAtMark);
    await s.rollback(mark);
    expect(s.length).toBe(mark.length);
    expect((await s.hidden([-1]))[0]).toEqual(hiddenAtMark);
    expect(s.topLogprobs(5)).toEqual(top);
    const after = await sample(s, 25, 0.9, 7);
    await s.close();
    expect([...before.tokens, ...after.tokens]).toEqual(reference.tokens);
    // The KV cache is the same, not just the draws: every logprob matches the reference run.
    const lps = [...before.logprobs, ...after.logprobs];
    for (let i = 0; i < lps.length; i++) expect(lps[i]).toBeCloseTo(reference.logprobs[i], 4);
  });

  it('(a, control) without the rollback the continuation differs', async () => {
    const ref = await engine.open(prompt, WHOLE);
    const reference = await sample(ref, 40, 0.9, 7);
    await ref.close();
    const s = await engine.open(prompt, WHOLE);
    await sample(s, 15, 0.9, 7);
    await s.append(engine.tokenize(EXIT_TEXT, { special: true }));
    const after = await sample(s, 25, 0.9, 7);
    await s.close();
    expect(after.tokens).not.toEqual(reference.tokens.slice(15));
  });

  it('(b) the hidden state is the final-norm state: logprobs = log-softmax(W_out · h)', async () => {
    const file = await readGguf(model.path, { tensors: (n) => n === 'output.weight' });
    const out = file.tensors.find((t) => t.name === 'output.weight')!;
    const [nEmbd, nVocab] = out.dims;
    const w = dequantize(out);
    const s = await engine.open(prompt, WHOLE);
    for (let k = 0; k < 3; k++) {
      const [h] = await s.hidden([-1]);
      expect(h.length).toBe(nEmbd);
      const z = new Float64Array(nVocab);
      for (let v = 0; v < nVocab; v++) {
        let acc = 0;
        for (let i = 0; i < nEmbd; i++) acc += w[v * nEmbd + i] * h[i];
        z[v] = acc;
      }
      const max = Math.max(...z);
      const logZ = max + Math.log(z.reduce((a, x) => a + Math.exp(x - max), 0));
      const got = new Map(s.topLogprobs(nVocab));
      expect(got.size).toBe(nVocab);
      let worst = 0;
      for (let v = 0; v < nVocab; v++) worst = Math.max(worst, Math.abs(got.get(v)! - (z[v] - logZ)));
      expect(worst).toBeLessThan(1e-4);
      await s.step({ temperature: 1, seed: k });
    }
    await s.close();
  });

  it('(d) the same seed gives the same tokens, a different seed different ones (temperature 1)', async () => {
    const run = async (seed: number) => {
      const s = await engine.open(prompt, WHOLE);
      const r = await sample(s, 30, 1, seed);
      await s.close();
      return r.tokens;
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it('reports entropy and top logprobs of a proper distribution', async () => {
    const s = await engine.open(prompt, WHOLE);
    const all = s.topLogprobs(engine.info.vocabSize);
    const mass = all.reduce((a, [, lp]) => a + Math.exp(lp), 0);
    expect(mass).toBeCloseTo(1, 6);
    const h = -all.reduce((a, [, lp]) => a + Math.exp(lp) * lp, 0);
    expect(s.entropy()).toBeCloseTo(h, 6);
    expect(s.entropy()).toBeGreaterThan(0.1);
    await s.close();
  });

  it('with parallel 1 a second open waits for the first session to close; a prompt longer than the context is a UserError', async () => {
    const s = await engine.open(prompt);
    let opened = false;
    const second = engine.open(prompt).then((t) => {
      opened = true;
      return t;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(opened).toBe(false);
    await s.close();
    await (await second).close();
    expect(opened).toBe(true);
    const long = Array.from({ length: 300 }, (_, i) => prompt[i % prompt.length]);
    await expect(engine.open(long)).rejects.toThrow(UserError);
    await expect(engine.open(long)).rejects.toThrow(/300 tokens, more than the context size 256/);
    const again = await engine.open(prompt);
    await again.close();
  });
});

describe('(e) greedy decoding on the cycle model follows the predicted cycle', () => {
  for (const [arch, tokenizer] of [
    ['qwen2', 'bpe'],
    ['qwen3', 'bpe'],
    ['llama', 'spm'],
  ] as const) {
    it(`${arch} / ${tokenizer}`, async () => {
      const model = await buildTestModel({ kind: 'cycle', arch, tokenizer });
      const engine = await load(model.path);
      expect(engine.info).toMatchObject({
        architecture: arch,
        hiddenSize: model.config.nEmbd,
        vocabSize: model.vocabSize,
      });
      const prompt = engine.formatChat([{ role: 'user', content: 'what is two plus two' }]);
      expect(prompt.endsWith('<think>\n')).toBe(true);
      const s = await engine.open(prompt);
      let prev = s.tokens().at(-1)!;
      let text = '';
      for (let i = 0; i < 60; i++) {
        const r = await s.step({ temperature: 0 });
        expect(r.token).toBe(model.nextToken.get(prev));
        expect(r.logprob).toBeLessThanOrEqual(0);
        prev = r.token;
        if (r.isEog) {
          expect(r.token).toBe(model.eosId);
          break;
        }
        text += r.piece;
      }
      await s.close();
      expect(engine.isEog(prev)).toBe(true);
      expect(text).toContain(' wait');
      expect(text).toContain('</think> Final Answer: \\boxed{4}');
      expect(engine.detokenize(engine.tokenize(text, { special: true }))).toBe(text);
    });
  }
});

describe('(c) bad model files are UserErrors that name the file', () => {
  it('missing file', async () => {
    await expect(LlamaCppEngine.load(join(dir, 'nope.gguf'))).rejects.toThrow(
      /model file not found: .*nope\.gguf/,
    );
  });

  it('random bytes', async () => {
    const path = join(dir, 'noise.gguf');
    writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(UserError);
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(/noise\.gguf is not a GGUF file/);
  });

  it('a GGUF header followed by garbage', async () => {
    const path = join(dir, 'garbage.gguf');
    const bytes = Buffer.alloc(256, 0xab);
    bytes.write('GGUF', 0, 'latin1');
    writeFileSync(path, bytes);
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(UserError);
  });

  it('truncated file', async () => {
    const model = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
    const bytes = readFileSync(model.path);
    const path = join(dir, 'truncated.gguf');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(/truncated\.gguf is truncated/);
    writeFileSync(path, bytes.subarray(0, 2000)); // cut inside the metadata
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(UserError);
  });

  it('unsupported architecture', async () => {
    const path = join(dir, 'gptx.gguf');
    await writeGguf(path, {
      version: 3,
      metadata: { 'general.architecture': str('gptx'), 'gptx.block_count': u32(1) },
      tensors: [{ name: 'token_embd.weight', dims: [8, 4], type: GgmlType.F32, data: new Float32Array(32) }],
    });
    await expect(LlamaCppEngine.load(path)).rejects.toThrow(/architecture "gptx" is not supported/);
  });
});
