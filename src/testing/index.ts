/**
 * lynx-exit/testing: for your own tests. A scripted fake engine (no model: you write what it thinks
 * and answers), builders of tiny real GGUF models that llama.cpp loads, and a server that speaks
 * SGLang's native API in front of any in-process engine (with a real prefix cache).
 */
export { createScriptedEngine, ScriptedEngine, type ScriptedEngineOptions } from './ScriptedEngine.ts';
export {
  type SglangWireServer,
  type SglangWireServerOptions,
  startSglangWireServer,
  type WireTraceEntry,
} from './SglangWireServer.ts';
export {
  buildBenchModel,
  buildTestModel,
  CYCLE,
  type TestModel,
  type TestModelOptions,
} from './testModels.ts';
export type { WireSessionPool } from './WireSessionPool.ts';
