/**
 * lynx-exit/sglang: the SGLang engine, the engine contract over a running SGLang server (or a Model
 * Gateway) through its native `/generate` API. `SglangEngine.connect({ url, tokenizer })` takes the
 * model's tokenizer from a GGUF of the same model (`LlamaCppEngine.loadTokenizer` in
 * `lynx-exit/llamacpp`); `SglangClient` is its HTTP client, for calls of your own.
 */

export {
  DEFAULT_SGLANG_TIMEOUT_MS,
  SglangClient,
  type SglangClientOptions,
  type SglangClientStats,
  SglangHttpError,
} from './engine/sglang/client.ts';
export {
  DEFAULT_SGLANG_HIDDEN_MODE,
  SGLANG_HIDDEN_MODES,
  type SglangConnectOptions,
  SglangEngine,
  type SglangEngineStats,
  type SglangHiddenMode,
} from './engine/sglang/SglangEngine.ts';
export type { ModelTokenizer } from './engine/types.ts';
export { RemoteEngineError } from './errors.ts';
