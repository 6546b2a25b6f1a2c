/**
 * EVERY use of node-llama-cpp internals lives in this file. They are checked against
 * node-llama-cpp 3.22.1 (package.json pins it exactly; llama.cpp release v0.5.0, commit de3ff81)
 * and may break on any other version — re-run test/engine after an upgrade.
 *
 * Why internals:
 * - node-llama-cpp has no public API for the hidden state of a token decoded in a generation
 *   context. The undocumented context option `_embeddings: true` sets llama.cpp's
 *   `context_params.embeddings`, which makes llama.cpp keep the final-norm output of every token
 *   of a batch next to the logits; the native `getEmbedding(n)` calls
 *   `llama_get_embeddings_ith(ctx, -1)`, the row of the LAST token of the most recent decode
 *   (pooling NONE, the default of llama/qwen2/qwen3 generative GGUFs; `n` is only checked > 0).
 * - To read each sequence's own row, the engine must know which token ends a batch, so it builds
 *   the batches itself with the native context's `initBatch` / `addToBatch` / `decodeBatch`
 *   (node-llama-cpp's own scheduler would pick the order) and samples each sequence right after
 *   the decode with `sampleToken`, before the next decode overwrites the logits.
 * See docs: /work/shared/docs/research/engine_llamacpp.md, sections A.1 and B.
 */
import type { LlamaContext, LlamaContextOptions, LlamaModel } from 'node-llama-cpp';

/** The version these internals were checked against. */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';

/** Options of a generation context. */
export interface ContextOptions {
  /** Tokens per sequence. */
  contextSize: number;
  threads: number;
  batchSize: number;
  /** Number of sequences (sessions that can be open at once). */
  sequences: number;
  /** Keep final-norm hidden states (llama.cpp `embeddings = true`). */
  hiddenStates: boolean;
}

/**
 * The filter argument of the native `sampleToken`: [tokens, includeMax, includeMin,
 * includeSelected, includeTop]. (includeMax is unusable in 3.22.1: it only duplicates the max
 * token when it is already in the list.)
 */
type LogitsFilter = [
  tokens: number[],
  includeMax: boolean,
  includeMin: boolean,
  includeSelected: boolean,
  top: number,
];

/** What the native `sampleToken` returns in array form. */
type SampleResult = [
  token: number,
  probabilities: number[] | undefined,
  confidence: number | undefined,
  /** Flat [token, logit, token, logit, ...]. */
  logits: number[] | undefined,
  /** Σ exp(logit − max logit) over the candidates the sampler chain left. */
  totalLogitWeight: number | undefined,
];

/** A native llama.cpp sampler chain (node-llama-cpp's AddonSampler). */
export interface NativeSampler {
  applyConfig(config: {
    temperature?: number;
    topK?: number;
    topP?: number;
    minP?: number;
    seed?: number;
  }): void;
  dispose(): void;
}

/** The native context (node-llama-cpp's AddonContext): batches, decode, sampling, KV edits. */
export interface NativeContext {
  initBatch(size: number): void;
  /** Adds `tokens` of `sequence` from position `first`; returns the batch logit index of each `logitIndexes` entry. */
  addToBatch(sequence: number, first: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(
    batchLogitIndex: number,
    sampler: NativeSampler,
    probabilities: boolean,
    confidence: boolean,
    logits: boolean | LogitsFilter,
    totalLogitWeight: boolean,
  ): Promise<SampleResult>;
  /** Final-norm state of the last token of the most recent decode. */
  getEmbedding(n: number): Float64Array;
  removeTokenCellsFromSequence(sequence: number, start: number, end: number): boolean;
  /** The last position held in `sequence`'s KV cache (−1 when empty). */
  getSequenceKvCacheMaxPosition(sequence: number): number;
  disposeSequence(sequence: number): void;
}

/** Creates a context whose sequences the engine batches itself; with `hiddenStates` it also keeps the final-norm output. */
export async function createGenerationContext(
  model: LlamaModel,
  opts: ContextOptions,
): Promise<{ context: LlamaContext; native: NativeContext }> {
  const options: LlamaContextOptions & { _embeddings?: boolean } = {
    contextSize: opts.contextSize,
    threads: opts.threads,
    batchSize: opts.batchSize,
    sequences: opts.sequences,
    _embeddings: opts.hiddenStates,
  };
  const context = await model.createContext(options);
  return { context, native: (context as unknown as { _ctx: NativeContext })._ctx };
}

/** A new native sampler chain for `model`. */
export function createNativeSampler(model: LlamaModel): NativeSampler {
  const m = model as unknown as {
    _llama: { _bindings: { AddonSampler: new (m: unknown) => NativeSampler } };
    _model: unknown;
  };
  return new m._llama._bindings.AddonSampler(m._model);
}

/** The final-norm hidden state of the last token of the context's most recent decode. */
export function readLastHiddenState(native: NativeContext): Float32Array {
  return Float32Array.from(native.getEmbedding(1));
}

/** Logits filter asking for the `k` largest logits (the addon sorts every candidate). */
export function topFilter(k: number): LogitsFilter {
  return [[], false, false, false, k];
}

/**
 * The absolute path a `LlamaModel` was loaded from. node-llama-cpp exposes only the file's base
 * name (`model.filename`); `fromModel` needs the path to read the GGUF header and sampled weights.
 */
export function modelPathOf(model: LlamaModel): string | undefined {
  const p = (model as unknown as { _modelPath?: unknown })._modelPath;
  return typeof p === 'string' ? p : undefined;
}
