// The testbed model is trained on our token ids and prompted through llama.cpp: both must tokenize
// every text identically. We write a tiny GGUF (random weights) carrying our tokenizer and compare.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchConfig, archMetadata, archTensors } from '../../src/gguf/arch.ts';
import { tokenizerMetadata } from '../../src/gguf/tokenizer.ts';
import { GgmlType } from '../../src/gguf/types.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { EXIT_CUE } from '../../src/testbed/chatFormat.ts';
import type { BpeTokenizer } from '../../src/testbed/tokenizer/BpeTokenizer.ts';
import { CUE_TOKENS } from '../../src/testbed/tokenizer/specials.ts';
import { trainBpe } from '../../src/testbed/tokenizer/trainBpe.ts';
import { buildCorpus } from '../../src/testbed/traces/corpus.ts';

/** Writes a 1-layer qwen2 model with small random weights and the given tokenizer. */
async function writeTinyModel(path: string, tok: BpeTokenizer): Promise<void> {
  const cfg: ArchConfig = {
    arch: 'qwen2',
    nLayers: 1,
    nEmbd: 32,
    nHead: 2,
    nHeadKv: 2,
    nFf: 64,
    contextLength: 512,
    ropeFreqBase: 10000,
    rmsEps: 1e-6,
  };
  const rng = new SeededRandom(3);
  const tensors = archTensors(cfg, tok.vocabSize).map((spec) => {
    const n = spec.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = spec.role === 'norm' ? 1 : 0.02 * rng.normal();
    return { name: spec.name, dims: spec.dims, type: GgmlType.F32, data };
  });
  await writeGguf(path, {
    version: 3,
    metadata: { ...archMetadata(cfg), ...tokenizerMetadata(tok.toGguf()) },
    tensors,
  });
}

let llama: Llama;
let model: LlamaModel;
let tok: BpeTokenizer;
let dir: string;
const train = buildCorpus({ seed: 11, n: 400, split: 'train' });
const heldout = buildCorpus({ seed: 11, n: 100, split: 'heldout' });

beforeAll(async () => {
  tok = trainBpe(
    train.map((it) => it.text),
    { vocabSize: 768 },
  );
  dir = mkdtempSync(join(tmpdir(), 'lynx-testbed-'));
  const path = join(dir, 'tiny.gguf');
  await writeTinyModel(path, tok);
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  model = await llama.loadModel({ modelPath: path });
});

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('llama.cpp tokenizes exactly like BpeTokenizer.encode', () => {
  it('on 200 corpus conversations (train and held-out), with specials parsed', () => {
    const texts = [...train.slice(0, 150), ...heldout.slice(0, 50)].map((it) => it.text);
    for (const text of texts) expect(model.tokenize(text, true), text).toEqual(tok.encode(text));
  });

  it('on prompts, the exit cue and cue words', () => {
    for (const it of heldout.slice(50))
      expect(model.tokenize(it.prompt, true)).toEqual(tok.encode(it.prompt));
    expect(model.tokenize(EXIT_CUE, true)).toEqual(tok.encode(EXIT_CUE));
    for (const w of CUE_TOKENS) {
      expect(model.tokenize(w, false), w).toEqual(tok.encode(w));
      expect(tok.encode(w)).toHaveLength(1);
    }
  });

  it('with specials not parsed: control tokens become text, <think> stays one token', () => {
    for (const it of train.slice(0, 30))
      expect(model.tokenize(it.text, false)).toEqual(tok.encode(it.text, { special: false }));
    expect(tok.encode('<|im_end|><think>', { special: false }).at(-1)).toBe(tok.tokenId('<think>'));
  });

  it('on arbitrary text (unicode, contractions, whitespace runs, digits)', () => {
    const alphabet = [
      ...'aZ09 \n\t\r.,!?\'"{}\\-_',
      "'s",
      "'LL",
      'é',
      'ß',
      'Ω',
      '中',
      '٣',
      '🙂',
      '\u00a0',
      '\u3000',
      ' Wait',
      'hmm',
      '<think>',
      '<|im_end|>',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(model.tokenize(text, true), JSON.stringify(text)).toEqual(tok.encode(text));
      }),
      { seed: 5, numRuns: 400 },
    );
  });

  it('detokenizes like decode, and llama.cpp sees our EOS and vocabulary size', () => {
    for (const it of train.slice(0, 20)) {
      const ids = tok.encode(it.text);
      expect(model.detokenize(ids as Token[], true)).toBe(tok.decode(ids));
      expect(tok.decode(ids)).toBe(it.text);
    }
    expect(model.tokens.eos).toBe(tok.eosId);
    expect(model.fileInfo.metadata.tokenizer.ggml.tokens.length).toBe(tok.vocabSize);
  });
});
