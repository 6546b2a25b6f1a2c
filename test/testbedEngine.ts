// The shipped testbed model in llama.cpp, loaded once per test file (threads 1: tiny model).
import { afterAll, beforeAll } from 'vitest';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';

/** Loads the testbed model before the file's tests and disposes it after; call the result for the engine. */
export function useTestbedEngine(contextSize = 1024): () => LlamaCppEngine {
  let engine: LlamaCppEngine | undefined;
  beforeAll(async () => {
    engine = await LlamaCppEngine.load('models/testbed.gguf', { threads: 1, contextSize });
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
  });
  return () => {
    if (!engine) throw new Error('the testbed engine is not loaded yet');
    return engine;
  };
}
