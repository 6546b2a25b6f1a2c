/**
 * EVERY use of node-llama-cpp internals lives in this file. They are checked against
 * node-llama-cpp 3.22.1 (package.json pins it exactly; llama.cpp release v0.5.0, commit de3ff81)
 * and may break on any other version — re-run test/engine after an upgrade.
 *
 * Why internals: node-llama-cpp has no public API for the hidden state of a token decoded in a
 * generation context. The undocumented context option `_embeddings: true` sets llama.cpp's
 * `context_params.embeddings`, which makes llama.cpp keep the final-norm output of every token
 * of a batch next to the logits; `context._ctx.getEmbedding(n)` (the native AddonContext) calls
 * `llama_get_embeddings_ith(ctx, -1)`, i.e. the row of the LAST token of the most recent decode
 * (pooling NONE, the default of llama/qwen2/qwen3 generative GGUFs; `n` is only checked > 0).
 * That row is only meaningful when one sequence is decoded at a time — the engine allows one.
 * See docs: /work/shared/docs/research/engine_llamacpp.md, section A.1.
 */
import type { LlamaContext, LlamaContextOptions, LlamaModel } from 'node-llama-cpp';

/** The version these internals were checked against. */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';

/** Options of a generation context. */
export interface ContextOptions {
  contextSize: number;
  threads: number;
  batchSize: number;
  /** Keep final-norm hidden states (llama.cpp `embeddings = true`). */
  hiddenStates: boolean;
}

/** Creates a one-sequence context; with `hiddenStates` it also keeps the final-norm output. */
export async function createGenerationContext(
  model: LlamaModel,
  opts: ContextOptions,
): Promise<LlamaContext> {
  const options: LlamaContextOptions & { _embeddings?: boolean } = {
    contextSize: opts.contextSize,
    threads: opts.threads,
    batchSize: opts.batchSize,
    sequences: 1,
    _embeddings: opts.hiddenStates,
  };
  return model.createContext(options);
}

/** The final-norm hidden state of the last token of the context's most recent decode. */
export function readLastHiddenState(context: LlamaContext): Float32Array {
  const native = (context as unknown as { _ctx: { getEmbedding(n: number): Float64Array } })._ctx;
  return Float32Array.from(native.getEmbedding(1));
}
