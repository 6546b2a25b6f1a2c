/**
 * lynx-exit/testing: for your own tests. A scripted fake engine (no model: you write what it thinks
 * and answers) and builders of tiny real GGUF models that llama.cpp loads.
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
