/**
 * Server load benchmark on loopback: concurrent clients post chat completions to an in-process
 * `lynx-exit` server on the tiny cycle test model, with LYNX exit on (a test bundle that exits at
 * the first cue) and off, in one run. Reports requests/s, p50/p99 latency and tokens per request,
 * and the on/off ratios. Bounded: at most REQUESTS requests and TIME_CAP_MS per mode.
 */
import OpenAI from 'openai';
import { exitHappyBundle, loadEngine, QUESTION, startServer } from '../test/server/helpers.ts';

const CLIENTS = 8;
const REQUESTS = 96;
const TIME_CAP_MS = 30_000;

interface ModeResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanCompletionTokens: number;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function load(client: OpenAI, lynx: false | undefined): Promise<ModeResult> {
  const latencies: number[] = [];
  let tokens = 0;
  let issued = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (issued < REQUESTS && performance.now() - t0 < TIME_CAP_MS) {
      issued++;
      const t = performance.now();
      const r = await client.chat.completions.create({ model: 'cycle', messages: QUESTION, lynx } as never);
      latencies.push(performance.now() - t);
      tokens += (r as OpenAI.Chat.ChatCompletion).usage?.completion_tokens ?? 0;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    meanCompletionTokens: tokens / latencies.length,
  };
}

/** Runs the benchmark; returns both modes and the on/off ratios. */
export async function run(): Promise<Record<string, unknown>> {
  const engine = await loadEngine();
  const s = await startServer(engine, {
    bundle: exitHappyBundle(engine),
    defaultLevel: { delta: 0.1 },
    maxQueue: CLIENTS,
  });
  try {
    const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'none', maxRetries: 0 });
    for (let i = 0; i < 4; i++) await client.chat.completions.create({ model: 'cycle', messages: QUESTION });
    const off = await load(client, false);
    const on = await load(client, undefined);
    const ratios = {
      requestsPerSecond: on.requestsPerSecond / off.requestsPerSecond,
      p50: on.p50Ms / off.p50Ms,
      p99: on.p99Ms / off.p99Ms,
      completionTokens: on.meanCompletionTokens / off.meanCompletionTokens,
    };
    const fmt = (m: ModeResult) =>
      `${m.requests} req in ${m.seconds.toFixed(2)} s: ${m.requestsPerSecond.toFixed(1)} req/s, p50 ${m.p50Ms.toFixed(0)} ms, p99 ${m.p99Ms.toFixed(0)} ms, ${m.meanCompletionTokens.toFixed(1)} completion tok/req`;
    console.log(
      `model: tiny cycle test model (qwen2, 2 layers, dim 64), llama.cpp CPU, 1 thread; ${CLIENTS} clients`,
    );
    console.log(`exit off: ${fmt(off)}`);
    console.log(`exit on:  ${fmt(on)}`);
    console.log(
      `on/off: req/s ×${ratios.requestsPerSecond.toFixed(2)}, p50 ×${ratios.p50.toFixed(2)}, p99 ×${ratios.p99.toFixed(2)}, tokens ×${ratios.completionTokens.toFixed(2)}`,
    );
    return { model: 'cycle test model (qwen2 2x64)', clients: CLIENTS, exitOff: off, exitOn: on, ratios };
  } finally {
    await s.close();
    await engine.dispose();
  }
}
