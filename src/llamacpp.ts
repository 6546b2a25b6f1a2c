/**
 * lynx-exit/llamacpp: the llama.cpp engine (node-llama-cpp). `LlamaCppEngine.load(path)` loads a
 * GGUF; `LlamaCppEngine.fromModel(model)` wraps a `LlamaModel` you loaded yourself.
 */
export {
  type GpuSetting,
  LlamaCppEngine,
  type LlamaCppLoadOptions,
  parseGpuSetting,
} from './engine/llamacpp/LlamaCppEngine.ts';
export { inspectModelFile, SUPPORTED_ARCHITECTURES } from './engine/llamacpp/modelFile.ts';
