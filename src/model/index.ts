// Public surface of the reference transformer: config, training, inference, GGUF load/export.

export { type Checkpoint, type CheckpointHeader, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
export {
  headDim,
  type ModelConfig,
  type ModelConfigInput,
  parameterCount,
  type RopeStyle,
  resolveConfig,
  testbedConfig,
} from './config.ts';
export { type Gemm, tsGemm } from './gemm.ts';
export { type ExportOptions, exportGguf, type LoadedGgufModel, loadGgufModel } from './ggufModel.ts';
export { type Heap, JsHeap, type Vec, WasmHeap } from './heap.ts';
export {
  createInferState,
  forwardToken,
  forwardTokens,
  type InferState,
  type LayerExtras,
  type ReferenceModel,
  type TokenOutput,
  truncate,
} from './infer.ts';
export { AdamW, clipGradNorm, type LrSchedule, lrAt } from './optim.ts';
export { initParams, ModelParams, tensorLayout } from './params.ts';
export { createRuntime, type KernelKind, type Runtime } from './runtime.ts';
export { type TrainLogEntry, type TrainOptions, type TrainResult, trainLoop } from './train.ts';
export { type TrainBatch, TrainGraph } from './trainGraph.ts';
export { WasmGemm } from './wasmGemm.ts';
