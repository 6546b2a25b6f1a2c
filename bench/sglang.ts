/**
 * `serve --engine sglang` as a LYNX proxy in front of an SGLang server, on loopback, against the
 * embedded server, in one run with configurations interleaved:
 *
 * The SGLang side is the SGLang-wire test server (src/testing/SglangWireServer.ts) backed by one
 * llama.cpp engine on the testbed model (1 thread, 8 sessions, so the server batches what it
 * gets), with the lynx-exit server (`startServe`, the `serve` command's own code) in front of it.
 * The embedded side is `serve` on the same GGUF in-process (1 thread, 8 sessions). Both serve
 * held-out `arith` problems with the shipped bundle, at 1, 4 and 8 concurrent requests, LYNX on
 * (δ 0.2) and off. Per cell: completed requests/s and completion tokens/s (medians over blocks with
 * min and max), p50 latency; ratios are within this run. The wire trace gives the HTTP cost per
 * request and per cue (round trips, bytes), which the README extrapolates to real hidden sizes.
 *
 * The wire server is a test instrument, not SGLang, but its prefix cache is real: it keeps backing
 * sessions between requests and evaluates only the prompt tokens they do not hold, as SGLang's radix
 * cache computes only what it does not hold (so a cue's hidden-state read costs one token).
 *
 * Run: `npm run bench -- sglang` (about 2 minutes; results in bench-results/sglang.json).
 */
import OpenAI from 'openai';
import { startServe } from '../src/cli/commands/serve.ts';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import { loadProblems } from '../src/pipeline/problems.ts';
import { startSglangWireServer, type WireTraceEntry } from '../src/testing/SglangWireServer.ts';
import { type Block, block, type Cell, cell, chatJob, formatCell } from './lib/load.ts';

const MODEL = 'models/testbed.gguf';
const BUNDLE = 'models/testbed.lynx.json';
const SAMPLE = { temperature: 0.6, top_p: 0.95 };
const MAX_TOKENS = 640;
const SESSIONS = 8;
const CONCURRENCY = [1, 4, 8] as const;

const serveOptions = {
  model: MODEL,
  bundle: BUNDLE,
  delta: 0.2,
  host: '127.0.0.1',
  port: 0,
  maxQueue: 64,
  parallel: SESSIONS,
  timeout: 600,
  temperature: SAMPLE.temperature,
  topP: SAMPLE.top_p,
  chatFormat: 'auto' as const,
  shutdownTimeout: 1,
  contextSize: 1024,
  modelName: 'testbed',
};

/** HTTP cost of the SGLang side per chat request and per cue, from the wire trace. */
interface WireCost {
  /** `/generate` requests per chat request with LYNX on and off, and hidden-state reads (one per cue LYNX reads). */
  requestsPerChatOn: number;
  requestsPerChatOff: number;
  cuesPerChat: number;
  /** Extra round trips per cue: (requests on − requests off) ÷ cues. */
  roundTripsPerCue: number;
  /** Mean bytes of a hidden-state read's response, and per float of its vector(s). */
  hiddenReadBytes: number;
  bytesPerHiddenFloat: number;
  /** Mean prompt tokens a hidden-state read sends, and request bytes per prompt token (the prefix goes as ids every time). */
  promptTokensPerRead: number;
  requestBytesPerPromptToken: number;
  /**
   * Prompt tokens per chat request with LYNX on: all of them (sent as ids) and those outside the
   * prefix cache (what the wire server evaluated, and what SGLang computes).
   */
  promptTokensPerChat: number;
  uncachedPromptTokensPerChat: number;
}

function wireCost(on: WireTraceEntry[], off: WireTraceEntry[], chats: number, hiddenSize: number): WireCost {
  const generate = (entries: WireTraceEntry[]) =>
    entries.filter((e) => e.path === '/generate' && e.status === 200);
  const reads = generate(on).filter((e) => e.rid?.startsWith('lynx-h-'));
  const n = Math.max(1, reads.length);
  const vectors = reads.reduce((s, e) => s + (e.hiddenVectors ?? 0), 0);
  const readBytes = reads.reduce((s, e) => s + e.responseBytes, 0);
  // A read's response less its vector(s): the same response with an empty vector.
  const fixed = JSON.stringify({
    text: ' x',
    output_ids: [0],
    meta_info: {
      id: reads[0]?.rid ?? '',
      finish_reason: { type: 'length', length: 1 },
      prompt_tokens: 100,
      completion_tokens: 1,
      cached_tokens: 99,
      e2e_latency: 0,
      hidden_states: [[[]]],
    },
  }).length;
  const all = generate(on);
  return {
    requestsPerChatOn: all.length / chats,
    requestsPerChatOff: generate(off).length / chats,
    cuesPerChat: reads.length / chats,
    roundTripsPerCue: (all.length - generate(off).length) / n,
    hiddenReadBytes: readBytes / n,
    bytesPerHiddenFloat: (readBytes - fixed * reads.length) / Math.max(1, vectors * hiddenSize),
    promptTokensPerRead: reads.reduce((s, e) => s + (e.inputTokens ?? 0), 0) / n,
    requestBytesPerPromptToken:
      all.reduce((s, e) => s + e.requestBytes, 0) / all.reduce((s, e) => s + (e.inputTokens ?? 0), 0),
    promptTokensPerChat: all.reduce((s, e) => s + (e.inputTokens ?? 0), 0) / chats,
    uncachedPromptTokensPerChat:
      all.reduce((s, e) => s + (e.inputTokens ?? 0) - (e.cachedTokens ?? 0), 0) / chats,
  };
}

/** Runs the benchmark; see the file comment. */
export async function run(): Promise<Record<string, unknown>> {
  const rounds = 5;
  const perBlock = 8;
  const backing = await LlamaCppEngine.load(MODEL, {
    threads: 1,
    contextSize: 1024,
    gpu: 'off',
    parallel: SESSIONS,
  });
  const wire = await startSglangWireServer({ engine: backing, modelPath: 'testbed' });
  const quiet = () => {};
  const embedded = await startServe({ ...serveOptions, threads: 1, gpu: 'off' }, quiet);
  const sglang = await startServe({ ...serveOptions, engine: 'sglang', url: wire.url }, quiet);
  const clients = {
    embedded: new OpenAI({ baseURL: `${embedded.url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 600_000 }),
    sglang: new OpenAI({ baseURL: `${sglang.url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 600_000 }),
  };
  type Side = keyof typeof clients;
  const ask = (side: Side, lynx: boolean) =>
    chatJob(clients[side], { model: 'testbed', maxTokens: MAX_TOKENS, sample: SAMPLE, lynx });
  const problems = loadProblems({ dataset: 'testbed-arith', split: 'heldout', limit: rounds * perBlock });
  const configs = (['embedded', 'sglang'] as const).flatMap((side) =>
    [true, false].map((lynx) => ({ side, lynx, name: `${side}, LYNX ${lynx ? 'δ 0.2' : 'off'}` })),
  );
  const results: Record<string, Record<string, Cell>> = {};
  // The SGLang side's wire traffic with LYNX on and off (the same problems and seeds).
  const traffic: Record<'on' | 'off', WireTraceEntry[]> = { on: [], off: [] };
  let chats = 0;
  try {
    for (const side of ['embedded', 'sglang'] as const) await ask(side, true)(problems[0], 0); // warm-up
    for (const c of CONCURRENCY) {
      const blocks: Block[][] = configs.map(() => []);
      for (let r = 0; r < rounds; r++) {
        // The same problems and seeds for every configuration of a round; their order rotates.
        const jobs = problems.slice(r * perBlock, (r + 1) * perBlock);
        const order = configs.map((_, i) => (i + r) % configs.length);
        for (const k of order) {
          const { side, lynx } = configs[k];
          const before = wire.trace.length;
          const one = ask(side, lynx);
          blocks[k].push(await block(jobs, c, (p, i) => one(p, r * perBlock + i)));
          if (side === 'sglang') traffic[lynx ? 'on' : 'off'].push(...wire.trace.slice(before));
          if (side === 'sglang' && lynx) chats += jobs.length;
        }
      }
      const row: Record<string, Cell> = {};
      configs.forEach((cfg, k) => {
        row[cfg.name] = cell(blocks[k]);
      });
      results[`concurrency ${c}`] = row;
      const rps = (name: string) => row[name].requestsPerSecond.median;
      console.log(
        `  concurrency ${c}:\n${configs.map((cfg) => formatCell(cfg.name, row[cfg.name])).join('\n')}\n` +
          `    req/s sglang ÷ embedded: LYNX on ${(rps('sglang, LYNX δ 0.2') / rps('embedded, LYNX δ 0.2')).toFixed(2)}, ` +
          `off ${(rps('sglang, LYNX off') / rps('embedded, LYNX off')).toFixed(2)}; ` +
          `LYNX on ÷ off: embedded ${(rps('embedded, LYNX δ 0.2') / rps('embedded, LYNX off')).toFixed(2)}, ` +
          `sglang ${(rps('sglang, LYNX δ 0.2') / rps('sglang, LYNX off')).toFixed(2)}`,
      );
    }
  } finally {
    await sglang.stop();
    await embedded.stop();
    await wire.close();
    await backing.dispose();
  }
  const cost = wireCost(traffic.on, traffic.off, chats, backing.info.hiddenSize);
  console.log(
    `  wire cost: /generate per chat request ${cost.requestsPerChatOn.toFixed(1)} with LYNX, ${cost.requestsPerChatOff.toFixed(1)} without; ` +
      `${cost.cuesPerChat.toFixed(1)} cues read per chat request, ${cost.roundTripsPerCue.toFixed(2)} extra round trips per cue; ` +
      `a hidden-state read: ${cost.promptTokensPerRead.toFixed(0)} prompt tokens sent, ${cost.hiddenReadBytes.toFixed(0)} B back ` +
      `(${cost.bytesPerHiddenFloat.toFixed(1)} B per float, hidden size ${backing.info.hiddenSize}); ${cost.requestBytesPerPromptToken.toFixed(2)} request B per prompt token; ` +
      `prompt tokens per chat request with LYNX ${cost.promptTokensPerChat.toFixed(0)}, of them outside the prefix cache ${cost.uncachedPromptTokensPerChat.toFixed(0)} ` +
      '(the only ones evaluated)',
  );
  return { rounds, perBlock, sessions: SESSIONS, results, wireCost: cost };
}
