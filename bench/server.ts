/**
 * Server benchmark on loopback, in one run, configurations interleaved round by round:
 *
 * 1. The testbed model with its shipped bundle, held-out `arith` problems: an in-process
 *    `lynx-exit` server (8 slots) at concurrency 1, 4 and 8 with LYNX on (δ 0.2) and off, and plain
 *    node-llama-cpp decoding the same prompts with the same number of sequences in one context (no
 *    HTTP, vanilla). Completed requests/s, aggregate tok/s, p50/p95 latency and accuracy per cell.
 * 2. The random 1.5B-shaped model (LYNX off, fixed 12-token replies): the server at concurrency 1
 *    and 8, aggregate tok/s and p50 latency (LYNX_BENCH_SKIP_LARGE=1 skips it).
 * Each figure is the median over rounds, with min and max.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from 'node-llama-cpp';
import OpenAI from 'openai';
import { gradeAnswer } from '../src/answers/grade.ts';
import { loadBundle } from '../src/bundle/io.ts';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import { loadProblems, type WorkProblem } from '../src/pipeline/problems.ts';
import { ChatService } from '../src/server/ChatService.ts';
import { createServer } from '../src/server/server.ts';
import { buildBenchModel } from '../src/testing/testModels.ts';
import { type Block, block, type Cell, cell, chatJob, formatCell } from './lib/load.ts';
import { formatSpread } from './lib/stats.ts';

const SAMPLE = { temperature: 0.6, topP: 0.95 };

/** Plain node-llama-cpp: one context with `sequences` sequences, its own sampler, vanilla decoding. */
async function plainRunner(model: LlamaModel, engine: LlamaCppEngine, sequences: number, maxTokens: number) {
  const ctx = await model.createContext({ contextSize: 1024, threads: engine.threads, sequences });
  const free = Array.from({ length: sequences }, () => ctx.getSequence());
  return {
    async one(p: WorkProblem, seed: number) {
      const seq = free.pop();
      if (!seq) throw new Error('no free sequence');
      try {
        await seq.clearHistory();
        const prompt = engine.promptTokens(engine.formatChat(p.messages));
        const out: number[] = [];
        for await (const t of seq.evaluate(prompt as Token[], { ...SAMPLE, seed })) {
          if (engine.isEog(t)) break;
          out.push(t);
          if (out.length >= maxTokens) break;
        }
        return { tokens: out.length, correct: gradeAnswer(p.kind, engine.detokenize(out), p.gold) };
      } finally {
        free.push(seq);
      }
    },
    dispose: () => ctx.dispose(),
  };
}

async function testbedPart(rounds: number, perBlock: number) {
  const engine = await LlamaCppEngine.load('models/testbed.gguf', {
    contextSize: 1024,
    gpu: 'off',
    parallel: 8,
  });
  const bundle = await loadBundle('models/testbed.lynx.json');
  const service = new ChatService({
    engine,
    modelName: 'testbed',
    bundle,
    defaultLevel: { delta: 0.2 },
    maxQueue: 64,
  });
  const server = createServer({ service });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 600_000 });
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: 'models/testbed.gguf', gpuLayers: 0 });
  const problems = loadProblems({ dataset: 'testbed-arith', split: 'heldout', limit: rounds * perBlock });
  const maxTokens = 640;
  const viaServer = (lynx: boolean) =>
    chatJob(client, {
      model: 'testbed',
      maxTokens,
      sample: { temperature: SAMPLE.temperature, top_p: SAMPLE.topP },
      lynx,
    });
  const results: Record<string, Record<string, Cell>> = {};
  try {
    await viaServer(true)(problems[0], 0); // warm-up
    for (const c of [1, 4, 8]) {
      const plain = await plainRunner(model, engine, c, maxTokens);
      const blocks: Record<string, Block[]> = { lynxOn: [], lynxOff: [], plain: [] };
      for (let r = 0; r < rounds; r++) {
        // The same problems and seeds for every configuration of a round; their order rotates.
        const jobs = problems.slice(r * perBlock, (r + 1) * perBlock);
        const order = ['lynxOn', 'lynxOff', 'plain'];
        for (let k = 0; k < r % 3; k++) order.push(order.shift() as string);
        for (const which of order) {
          const one =
            which === 'plain'
              ? (p: WorkProblem, i: number) => plain.one(p, r * perBlock + i)
              : (p: WorkProblem, i: number) => viaServer(which === 'lynxOn')(p, r * perBlock + i);
          blocks[which].push(await block(jobs, c, one));
        }
      }
      await plain.dispose();
      results[`concurrency ${c}`] = {
        lynxOn: cell(blocks.lynxOn),
        lynxOff: cell(blocks.lynxOff),
        plain: cell(blocks.plain),
      };
      const x = results[`concurrency ${c}`];
      console.log(
        `  concurrency ${c}:\n${formatCell('lynx-exit, LYNX δ 0.2', x.lynxOn)}\n${formatCell('lynx-exit, LYNX off', x.lynxOff)}\n${formatCell('plain node-llama-cpp', x.plain)}\n` +
          `    req/s LYNX on ÷ off ${(x.lynxOn.requestsPerSecond.median / x.lynxOff.requestsPerSecond.median).toFixed(2)}, ` +
          `LYNX on ÷ plain ${(x.lynxOn.requestsPerSecond.median / x.plain.requestsPerSecond.median).toFixed(2)}`,
      );
    }
  } finally {
    await server.close({ timeoutMs: 1000 });
    await model.dispose();
    await engine.dispose();
  }
  return results;
}

async function largePart(rounds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lynx-bench-server-'));
  try {
    const big = await buildBenchModel('1.5b', { dir });
    const engine = await LlamaCppEngine.load(big.path, {
      contextSize: 512,
      gpu: 'off',
      parallel: 8,
      chatFormat: 'chatml-think',
    });
    const service = new ChatService({ engine, modelName: 'big', maxQueue: 64 });
    const server = createServer({ service });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 600_000 });
    const ask = async (_: number, i: number) => {
      const r = (await client.chat.completions.create({
        model: 'big',
        messages: [{ role: 'user', content: ' so the answer is four' }],
        max_tokens: 12,
        seed: i,
      } as never)) as OpenAI.Chat.ChatCompletion;
      return { tokens: r.usage?.completion_tokens ?? 0, correct: false };
    };
    try {
      await ask(0, 0);
      const blocks: Record<number, Block[]> = { 1: [], 8: [] };
      for (let r = 0; r < rounds; r++)
        for (const c of r % 2 === 0 ? [1, 8] : [8, 1])
          blocks[c].push(await block(Array(c === 1 ? 3 : 8).fill(0), c, ask));
      const one = cell(blocks[1]);
      const eight = cell(blocks[8]);
      console.log(
        `  concurrency 1: ${formatSpread(one.tokensPerSecond, 1)} tok/s, p50 ${formatSpread(one.p50Ms, 0)} ms\n` +
          `  concurrency 8: ${formatSpread(eight.tokensPerSecond, 1)} tok/s, p50 ${formatSpread(eight.p50Ms, 0)} ms\n` +
          `  aggregate tok/s 8 ÷ 1: ${(eight.tokensPerSecond.median / one.tokensPerSecond.median).toFixed(2)}, p50 latency 8 ÷ 1: ${(eight.p50Ms.median / one.p50Ms.median).toFixed(2)}`,
      );
      return { concurrency1: one, concurrency8: eight };
    } finally {
      await server.close({ timeoutMs: 1000 });
      await engine.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; see the file comment. */
export async function run(): Promise<Record<string, unknown>> {
  console.log('testbed model, shipped bundle, held-out arith (T 0.6, top-p 0.95, seeded per problem):');
  const testbed = await testbedPart(4, 16);
  let large: unknown = 'skipped (LYNX_BENCH_SKIP_LARGE=1)';
  if (process.env.LYNX_BENCH_SKIP_LARGE === '1') console.log('skipping the 1.5B-shaped model');
  else {
    console.log('random 1.5B-shaped qwen2 Q8_0, LYNX off, 12-token replies:');
    large = await largePart(3);
  }
  return { testbed, large };
}
