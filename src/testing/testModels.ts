/**
 * Tiny GGUF models for tests and benchmarks, written on demand and cached by their parameters.
 *
 * - "cycle": embeddings N(0,1), attention/FFN weights ~N(0, 0.01²), and the output row of
 *   next(t) equal to E[t], so greedy decoding follows a fixed token chain (`CYCLE`) whatever came
 *   before: `<think>` "\n" " so" " the" … " wait" … " hmm" … `</think>` " Final" " Answer" ":"
 *   " \boxed{" "4" "}" `<|im_end|>`.
 * - "random": every weight ~N(0, 0.2²), so attention matters (for KV rollback tests).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchConfig, type ArchName, archMetadata, archTensors, type TensorSpec } from '../gguf/arch.ts';
import { f32ToF16Bits } from '../gguf/quant.ts';
import {
  type BuiltVocab,
  buildBpeVocab,
  buildSpmVocab,
  CHATML_SPECIALS,
  type GgufTokenizer,
  tokenizerMetadata,
} from '../gguf/tokenizer.ts';
import { GgmlType, type GgufTensor, Q8_0_BLOCK, Q8_0_BLOCK_BYTES } from '../gguf/types.ts';
import { writeGguf } from '../gguf/writer.ts';
import { SeededRandom } from '../random/SeededRandom.ts';

/** Bumped whenever the construction changes, so stale cached files are not reused. */
const BUILDER_VERSION = 1;

/** User-defined token the cycle uses to open the boxed answer (one token in both tokenizers). */
export const BOXED_OPEN = ' \\boxed{';

/** Thinking words of the cycle, in greedy order; they include every cue spelling. */
export const CYCLE_THINKING = [
  ' so',
  ' the',
  ' answer',
  ' is',
  ' four',
  ' wait',
  ' let',
  ' me',
  ' check',
  ' again',
  ' hmm',
  ' Wait',
  ' Hmm',
  ' but',
  ' then',
  ' alternatively',
  ' Alternatively',
  ' therefore',
  ' we',
  ' have',
] as const;

/** The greedy chain of the cycle model, as token texts (specials included). */
export const CYCLE: readonly string[] = [
  CHATML_SPECIALS.think,
  '\n',
  ...CYCLE_THINKING,
  CHATML_SPECIALS.endThink,
  ' Final',
  ' Answer',
  ':',
  BOXED_OPEN,
  '4',
  '}',
  CHATML_SPECIALS.imEnd,
];

/** Extra single-token words so prompts can be written naturally. */
export const EXTRA_WORDS = [
  ' What',
  ' two',
  ' plus',
  ' equals',
  '?',
  ' question',
  'user',
  'assistant',
  'system',
];

/** Every word (non-special token text) the test vocabularies make a single token. */
export const TEST_WORDS: readonly string[] = [
  ...CYCLE.filter((t) => !Object.values(CHATML_SPECIALS).includes(t as never) && t !== BOXED_OPEN),
  ...EXTRA_WORDS,
];

/** Options of `buildTestModel`. */
export interface TestModelOptions {
  kind: 'cycle' | 'random';
  arch?: ArchName;
  tokenizer?: 'bpe' | 'spm';
  type?: 'f32' | 'f16' | 'q8_0';
  seed?: number;
  dim?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  ff?: number;
  contextLength?: number;
  /** Cycle only: " have" leads back to " so" instead of `</think>`, so thinking never ends by itself. */
  loopThinking?: boolean;
  /** Cache folder (default: `$TMPDIR/lynx-exit-models`). */
  dir?: string;
}

/** One step of the greedy chain. */
export interface CycleStep {
  id: number;
  text: string;
}

/** A written test model and what tests need to know about it. */
export interface TestModel {
  path: string;
  /** Words that are single tokens (see `TEST_WORDS`). */
  words: string[];
  config: ArchConfig;
  tokenizer: GgufTokenizer;
  /** Token id of every word, special and user-defined token, by text. */
  ids: Record<string, number>;
  /** Cycle model only: the greedy chain in order, and next id for each id on it. */
  cycle: CycleStep[];
  nextToken: Map<number, number>;
  eosId: number;
  vocabSize: number;
}

const TYPE_IDS = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 } as const;

/** Fills in defaults, so equal models get equal cache keys. */
function normalize(o: TestModelOptions): Required<Omit<TestModelOptions, 'dir'>> {
  return {
    kind: o.kind,
    arch: o.arch ?? 'qwen2',
    tokenizer: o.tokenizer ?? 'bpe',
    type: o.type ?? 'f32',
    seed: o.seed ?? 1,
    dim: o.dim ?? 64,
    layers: o.layers ?? 2,
    heads: o.heads ?? 4,
    kvHeads: o.kvHeads ?? 2,
    ff: o.ff ?? 128,
    contextLength: o.contextLength ?? 4096,
    loopThinking: o.loopThinking ?? false,
  };
}

/** Builds the vocabulary shared by all test models of a tokenizer kind. */
export function testVocab(tokenizer: 'bpe' | 'spm', padTo?: number): BuiltVocab {
  const opts = { words: TEST_WORDS, userDefined: [BOXED_OPEN], padTo };
  return tokenizer === 'bpe' ? buildBpeVocab(opts) : buildSpmVocab(opts);
}

/** The cycle chain for a vocabulary, and next(t) for every t on it. */
function cycleOf(
  vocab: BuiltVocab,
  loopThinking: boolean,
): { steps: CycleStep[]; next: Map<number, number> } {
  const steps = CYCLE.map((text) => {
    const id = vocab.ids.get(text);
    if (id === undefined)
      throw new Error(`cycle token ${JSON.stringify(text)} is missing from the vocabulary`);
    return { id, text };
  });
  const next = new Map<number, number>();
  for (let i = 0; i + 1 < steps.length; i++) {
    if (loopThinking && steps[i].text === CYCLE_THINKING.at(-1)) {
      next.set(steps[i].id, vocab.ids.get(CYCLE_THINKING[0])!);
    } else next.set(steps[i].id, steps[i + 1].id);
  }
  return { steps, next };
}

function normalArray(rng: SeededRandom, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/** Values for one tensor of a tiny model. */
function tensorValues(
  spec: TensorSpec,
  kind: 'cycle' | 'random',
  rng: SeededRandom,
  embedding: Float32Array,
  next: Map<number, number>,
): Float32Array {
  const n = spec.dims.reduce((a, b) => a * b, 1);
  switch (spec.role) {
    case 'embedding':
      return embedding;
    case 'norm':
      return new Float32Array(n).fill(1);
    case 'bias':
      return kind === 'cycle' ? new Float32Array(n) : normalArray(rng, n, 0.2);
    case 'matrix':
      return normalArray(rng, n, kind === 'cycle' ? 0.01 : 0.2);
    case 'output': {
      if (kind === 'random') return normalArray(rng, n, 0.2);
      const e = spec.dims[0];
      const out = normalArray(rng, n, 0.1);
      for (const [t, u] of next) out.set(embedding.subarray(t * e, (t + 1) * e), u * e);
      return out;
    }
  }
}

/** Writes (or reuses) a tiny GGUF test model; see the module comment for the two kinds. */
export async function buildTestModel(options: TestModelOptions): Promise<TestModel> {
  const o = normalize(options);
  const config: ArchConfig = {
    arch: o.arch,
    nLayers: o.layers,
    nEmbd: o.dim,
    nHead: o.heads,
    nHeadKv: o.kvHeads,
    nFf: o.ff,
    contextLength: o.contextLength,
    ropeFreqBase: 10000,
    rmsEps: 1e-6,
  };
  const vocab = testVocab(o.tokenizer);
  const { steps, next } = cycleOf(vocab, o.loopThinking);
  const nVocab = vocab.tokenizer.tokens.length;
  const key = createHash('sha256')
    .update(JSON.stringify({ v: BUILDER_VERSION, ...o }))
    .digest('hex')
    .slice(0, 16);
  const dir = options.dir ?? join(tmpdir(), 'lynx-exit-models');
  const path = join(dir, `${o.kind}-${o.arch}-${o.tokenizer}-${o.type}-${key}.gguf`);
  const result: TestModel = {
    path,
    words: [...TEST_WORDS],
    config,
    tokenizer: vocab.tokenizer,
    ids: Object.fromEntries(vocab.ids),
    cycle: o.kind === 'cycle' ? steps : [],
    nextToken: o.kind === 'cycle' ? next : new Map(),
    eosId: vocab.tokenizer.eosId!,
    vocabSize: nVocab,
  };
  if (existsSync(path)) return result;

  mkdirSync(dir, { recursive: true });
  const rng = new SeededRandom(o.seed);
  const embedding = normalArray(rng.fork(), nVocab * o.dim, 1);
  const matrixType = TYPE_IDS[o.type];
  const tensors: GgufTensor[] = archTensors(config, nVocab).map((spec) => ({
    name: spec.name,
    dims: spec.dims,
    // Norms and biases stay f32, as in llama.cpp's own conversions.
    type: spec.role === 'norm' || spec.role === 'bias' ? GgmlType.F32 : matrixType,
    data: tensorValues(spec, o.kind, rng.fork(), embedding, next),
  }));
  await writeGguf(path, {
    version: 3,
    metadata: {
      ...archMetadata(config, { name: `lynx-exit-test-${o.kind}`, fileType: matrixType }),
      ...tokenizerMetadata(vocab.tokenizer),
    },
    tensors,
  });
  return result;
}

/** Benchmark model shapes. */
export type BenchShape = '1.5b';

const BENCH_SHAPES: Record<BenchShape, { config: ArchConfig; vocab: number }> = {
  // DeepSeek-R1-Distill-Qwen-1.5B (Qwen2.5-Math-1.5B) shape.
  '1.5b': {
    config: {
      arch: 'qwen2',
      nLayers: 28,
      nEmbd: 1536,
      nHead: 12,
      nHeadKv: 2,
      nFf: 8960,
      contextLength: 131072,
      ropeFreqBase: 10000,
      rmsEps: 1e-6,
    },
    vocab: 151936,
  },
};

/** xorshift128 fill of a byte buffer, seeded (fast enough for GBs of random weights). */
class FastBytes {
  private x: number;
  private y = 362436069;
  private z = 521288629;
  private w = 88675123;
  constructor(seed: number) {
    this.x = seed >>> 0 || 123456789;
  }
  fill(buf: Uint8Array): void {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
    let { x, y, z, w } = this;
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      words[i] = w;
    }
    Object.assign(this, { x, y, z, w });
  }
}

/** Random Q8_0 bytes for `n` weights (std ≈ 0.02), produced in chunks. */
function randomQ8Chunks(n: number, bytes: FastBytes): () => Iterable<Uint8Array> {
  const BLOCKS_PER_CHUNK = 1 << 15;
  const dBits = f32ToF16Bits(0.02 / 73); // uniform int8 has std ≈ 73.9
  return function* () {
    const buf = new Uint8Array(BLOCKS_PER_CHUNK * Q8_0_BLOCK_BYTES);
    let left = n / Q8_0_BLOCK;
    while (left > 0) {
      const blocks = Math.min(left, BLOCKS_PER_CHUNK);
      const chunk = buf.subarray(0, blocks * Q8_0_BLOCK_BYTES);
      bytes.fill(chunk);
      for (let b = 0; b < blocks; b++) {
        chunk[b * Q8_0_BLOCK_BYTES] = dBits & 0xff;
        chunk[b * Q8_0_BLOCK_BYTES + 1] = dBits >>> 8;
      }
      left -= blocks;
      yield chunk;
    }
  };
}

/**
 * Writes (or reuses) a random-weight Q8_0 model with a real model's shape, for speed benchmarks
 * (1.5b: ~1.9 GB; never commit it). Tensor data is streamed, never held whole in memory.
 */
export async function buildBenchModel(
  shape: BenchShape,
  opts: { dir?: string; seed?: number } = {},
): Promise<{ path: string; config: ArchConfig; vocabSize: number }> {
  const { config, vocab: vocabSize } = BENCH_SHAPES[shape];
  const seed = opts.seed ?? 1;
  const dir = opts.dir ?? join(tmpdir(), 'lynx-exit-models');
  const path = join(dir, `bench-${shape}-q8_0-s${seed}-v${BUILDER_VERSION}.gguf`);
  if (existsSync(path)) return { path, config, vocabSize };
  mkdirSync(dir, { recursive: true });
  const vocab = testVocab('bpe', vocabSize);
  const bytes = new FastBytes(seed);
  const tensors: GgufTensor[] = archTensors(config, vocabSize).map((spec) => {
    const n = spec.dims.reduce((a, b) => a * b, 1);
    if (spec.role === 'norm') return { ...spec, type: GgmlType.F32, data: new Float32Array(n).fill(1) };
    if (spec.role === 'bias') return { ...spec, type: GgmlType.F32, data: new Float32Array(n) };
    return { ...spec, type: GgmlType.Q8_0, data: randomQ8Chunks(n, bytes) };
  });
  await writeGguf(path, {
    version: 3,
    metadata: {
      ...archMetadata(config, { name: `lynx-exit-bench-${shape}`, fileType: GgmlType.Q8_0 }),
      ...tokenizerMetadata(vocab.tokenizer),
    },
    tensors,
  });
  return { path, config, vocabSize };
}
