/**
 * Shared setup of the server tests: tiny cycle models in llama.cpp (in-process, or behind the
 * SGLang-wire test server and the SGLang engine), a test bundle, a server on port 0.
 */
import OpenAI from 'openai';
import { Bundle } from '../../src/bundle/Bundle.ts';
import { DEFAULT_CUE_LEXICON } from '../../src/cues/lexicon.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { SglangEngine } from '../../src/engine/sglang/SglangEngine.ts';
import type { Engine } from '../../src/engine/types.ts';
import { engineFingerprint } from '../../src/pipeline/fingerprint.ts';
import { Probe } from '../../src/probe/Probe.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { LYNX_EXIT_CUE } from '../../src/reason/cueTexts.ts';
import { ChatService, type ChatServiceOptions } from '../../src/server/ChatService.ts';
import { createServer, type LynxServer } from '../../src/server/server.ts';
import { type SglangWireServer, startSglangWireServer } from '../../src/testing/SglangWireServer.ts';
import { buildTestModel, type TestModelOptions } from '../../src/testing/testModels.ts';

/** Loads a tiny test model (one thread: tests share two cores). */
export async function loadEngine(
  opts: Partial<TestModelOptions> = {},
  contextSize = 1024,
  engineOpts: { parallel?: number } = {},
): Promise<LlamaCppEngine> {
  return (await loadTestModel(opts, contextSize, engineOpts)).engine;
}

async function loadTestModel(
  opts: Partial<TestModelOptions>,
  contextSize: number,
  engineOpts: { parallel?: number },
): Promise<{ path: string; engine: LlamaCppEngine }> {
  const model = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe', ...opts });
  const engine = await LlamaCppEngine.load(model.path, {
    threads: 1,
    contextSize,
    gpu: 'off',
    ...engineOpts,
  });
  return { path: model.path, engine };
}

/** The engines the server suites run on: llama.cpp in-process, and SGLang (the wire test server over llama.cpp). */
export const SERVER_ENGINES = ['llama.cpp', 'sglang'] as const;
export type ServerEngineKind = (typeof SERVER_ENGINES)[number];

/** An engine to serve from; `backing` is the llama.cpp engine that decodes, `wire` the SGLang server between them. */
export interface ServedEngine {
  engine: Engine;
  backing: LlamaCppEngine;
  wire?: SglangWireServer;
  dispose(): Promise<void>;
}

/**
 * A tiny test model on `kind`: the llama.cpp engine itself, or the SGLang engine talking to a wire
 * server backed by it (with as many sessions, so the server batches the requests it gets).
 */
export async function loadServedEngine(
  kind: ServerEngineKind,
  opts: Partial<TestModelOptions> = {},
  contextSize = 1024,
  engineOpts: { parallel?: number } = {},
): Promise<ServedEngine> {
  const { path, engine } = await loadTestModel(opts, contextSize, engineOpts);
  return serveOn(kind, engine, path, 'cycle');
}

/** `backing` (loaded from `modelPath`) as `kind` serves it; the result owns `backing`. */
export async function serveOn(
  kind: ServerEngineKind,
  backing: LlamaCppEngine,
  modelPath: string,
  servedName: string,
): Promise<ServedEngine> {
  if (kind === 'llama.cpp') return { engine: backing, backing, dispose: () => backing.dispose() };
  const wire = await startSglangWireServer({ engine: backing, modelPath: servedName });
  const engine = await SglangEngine.connect({
    url: wire.url,
    tokenizer: await LlamaCppEngine.loadTokenizer(modelPath),
    ownsTokenizer: true,
    parallel: backing.info.maxSessions,
  });
  return {
    engine,
    backing,
    wire,
    async dispose() {
      await engine.dispose();
      await wire.close();
      await backing.dispose();
    },
  };
}

/**
 * A bundle for `engine` whose probe says "safe to exit" with p ≈ 0.9 whatever the features (a
 * logistic probe fitted on noise with 90% positive labels and strong regularization), and whose
 * thresholds make that an exit at δ = 0.1 and α = 0.2 but not at δ = 0.05 or α = 0.05.
 */
export function exitHappyBundle(engine: Engine): Bundle {
  const dim = engine.info.hiddenSize;
  const rng = new SeededRandom(7);
  const rows = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  const labels = rows.map((_, i) => (i % 10 === 0 ? 0 : 1));
  const probe = Probe.fit(rows, labels, { kind: 'logistic', C: 1e-4, sampleWeight: labels.map(() => 1) });
  return Bundle.create({
    model: { fingerprint: engineFingerprint(engine), id: engine.info.modelId },
    features: { layers: [-1], dim },
    cues: { lexicon: [...DEFAULT_CUE_LEXICON], mode: 'substring' },
    exitCue: LYNX_EXIT_CUE,
    probe: probe.toJSON(),
    conformal: {
      perClass: [
        { delta: 0.1, q1: 0.5, q0: 0.5, n1: 100, n0: 100 },
        { delta: 0.05, q1: 0.5, q0: 0.99, n1: 100, n0: 100 },
      ],
      trajectory: [
        { alpha: 0.2, epsilon: 0.1, lambda: 0.5, n: 100 },
        { alpha: 0.05, epsilon: 0.1, lambda: Number.POSITIVE_INFINITY, n: 100 },
      ],
    },
    provenance: { train: { note: 'server test bundle' }, calibration: {}, metrics: {} },
  });
}

/** A started server and an official client pointed at it. */
export interface TestServer {
  server: LynxServer;
  url: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1, port 0. */
export async function startServer(
  engine: Engine,
  opts: Partial<ChatServiceOptions> & {
    apiKey?: string;
    bodyLimit?: number;
    log?: (line: string) => void;
    requestTimeoutMs?: number;
  } = {},
): Promise<TestServer> {
  const { apiKey, bodyLimit, log, requestTimeoutMs, ...serviceOpts } = opts;
  const service = new ChatService({ engine, modelName: 'cycle', temperature: 0, ...serviceOpts });
  const server = createServer({ service, apiKey, bodyLimit, log, requestTimeoutMs });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({
    baseURL: `${url}/v1`,
    apiKey: apiKey ?? 'none',
    maxRetries: 0,
    timeout: 30_000,
  });
  return { server, url, client, close: () => server.close({ timeoutMs: 2000 }) };
}

/** A user message the test vocabularies tokenize into whole words. */
export const QUESTION = [{ role: 'user' as const, content: ' What two plus two?' }];

/** POSTs raw text to the chat endpoint (for malformed requests the client would not send). */
export async function postRaw(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}
