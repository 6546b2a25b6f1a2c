// Engine benchmark: lynx-exit's llama.cpp engine against plain node-llama-cpp on the same file,
// threads and context size, and against the memory-bandwidth bound (model bytes ÷ a measured read
// bandwidth). On the testbed model and on a random-weight model with DeepSeek-R1-Distill-Qwen-1.5B's
// shape (Q8_0, ~1.9 GB, written to a temp dir; LYNX_BENCH_SKIP_LARGE=1 skips it).
// Measured as many small blocks with the configurations interleaved (their order alternating per
// round), so a busy second core slows all of them alike; every figure is a median with min/max,
// and every ratio is the median of per-round ratios.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type LlamaContextSequence, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { loadBundle } from '../src/bundle/io.ts';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import type { SampleOptions } from '../src/engine/types.ts';
import { MlpProbe } from '../src/probe/MlpProbe.ts';
import { buildBenchModel } from '../src/testing/testModels.ts';
import { readBandwidth } from './lib/bandwidth.ts';
import { formatSpread, type Spread, spread } from './lib/stats.ts';

const SAMPLE: SampleOptions = { temperature: 0.6, topP: 0.95, seed: 1 };
const TESTBED = 'models/testbed.gguf';

interface Sizes {
  rounds: number;
  /** Tokens decoded per block and configuration. */
  block: number;
  prefill: number;
  /** Concurrency levels of the batched-decode comparison, and its rounds. */
  parallel: number[];
  parallelRounds: number;
}

/** A prompt of `n` ordinary tokens. */
function promptOf(engine: LlamaCppEngine, n: number): number[] {
  const words = engine.tokenize(' so the answer is four wait let me check again hmm but then', {
    special: true,
  });
  return Array.from({ length: n }, (_, i) => words[i % words.length]);
}

async function seconds(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** Plain node-llama-cpp: decodes `n` tokens with its own sampler after a prompt (untimed). */
async function plainDecode(seq: LlamaContextSequence, prompt: number[], n: number): Promise<number> {
  await seq.clearHistory();
  await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1) as Token[]);
  return seconds(async () => {
    let k = 0;
    for await (const _ of seq.evaluate([prompt[prompt.length - 1] as Token], SAMPLE)) if (++k >= n) break;
  });
}

async function measure(label: string, path: string, sizes: Sizes, probeCost: () => number) {
  const engine = await LlamaCppEngine.load(path, { contextSize: 1024, gpu: 'off' });
  const noHidden = await LlamaCppEngine.load(path, { contextSize: 1024, gpu: 'off', hiddenStates: false });
  const threads = engine.threads;
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const ctx = await model.createContext({ contextSize: 1024, threads, sequences: 1 });
  const seq = ctx.getSequence();
  const short = promptOf(engine, 8);
  const long = promptOf(engine, sizes.prefill);
  const lynxDecode = async (hiddenEveryToken: boolean) => {
    const s = await engine.open(short);
    const hint = { hidden: () => hiddenEveryToken };
    const t = await seconds(async () => {
      for (let i = 0; i < sizes.block; i++) await s.step(SAMPLE, hint);
    });
    await s.close();
    return t;
  };
  const times = { lynx: [] as number[], plain: [] as number[], hiddenEvery: [] as number[] };
  const prefill = { lynx: [] as number[], plain: [] as number[], off: [] as number[] };
  await lynxDecode(false); // warm-up of both paths
  await plainDecode(seq, short, 2);
  for (let r = 0; r < sizes.rounds; r++) {
    const order = r % 2 === 0 ? ['lynx', 'plain'] : ['plain', 'lynx'];
    for (const which of order) {
      if (which === 'lynx') {
        times.lynx.push(await lynxDecode(false));
        times.hiddenEvery.push(await lynxDecode(true));
        prefill.lynx.push(await seconds(async () => (await engine.open(long)).close()));
        prefill.off.push(await seconds(async () => (await noHidden.open(long)).close()));
      } else {
        times.plain.push(await plainDecode(seq, short, sizes.block));
        await seq.clearHistory();
        prefill.plain.push(await seconds(() => seq.evaluateWithoutGeneratingNewTokens(long as Token[])));
      }
    }
  }
  await ctx.dispose();
  await noHidden.dispose();

  // Batched decoding: N sessions (lynx-exit) against N sequences of one context (plain).
  const parallel: Record<string, { lynxTokPerSec: Spread; plainTokPerSec: Spread; ratio: Spread }> = {};
  for (const n of sizes.parallel) {
    const e = await LlamaCppEngine.load(path, { contextSize: 512, gpu: 'off', parallel: n });
    const pctx = await model.createContext({ contextSize: 512, threads, sequences: n });
    const seqs = Array.from({ length: n }, () => pctx.getSequence());
    const lynx: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < sizes.parallelRounds + 1; r++) {
      const l = await seconds(() =>
        Promise.all(
          Array.from({ length: n }, async (_, k) => {
            const s = await e.open(short);
            for (let i = 0; i < sizes.block; i++) await s.step({ ...SAMPLE, seed: k });
            await s.close();
          }),
        ),
      );
      const p = await seconds(() => Promise.all(seqs.map((s) => plainDecode(s, short, sizes.block))));
      if (r === 0) continue; // warm-up round
      lynx.push((n * sizes.block) / l);
      plain.push((n * sizes.block) / p);
    }
    await e.dispose();
    await pctx.dispose();
    parallel[n] = {
      lynxTokPerSec: spread(lynx),
      plainTokPerSec: spread(plain),
      ratio: spread(lynx.map((x, i) => x / plain[i])),
    };
  }
  await model.dispose();
  await engine.dispose();

  const bytes = statSync(path).size;
  const bandwidth = await readBandwidth(threads);
  const tps = (ts: number[], n: number) => spread(ts.map((t) => n / t));
  const ratio = (a: number[], b: number[]) => spread(a.map((x, i) => b[i] / x)); // speed a ÷ speed b
  const probeMs = probeCost();
  const r = {
    model: label,
    threads,
    bytes,
    decodeTokPerSec: { lynx: tps(times.lynx, sizes.block), plain: tps(times.plain, sizes.block) },
    decodeRatioLynxOverPlain: ratio(times.lynx, times.plain),
    prefillTokPerSec: {
      lynx: tps(prefill.lynx, sizes.prefill),
      plain: tps(prefill.plain, sizes.prefill),
      lynxHiddenStatesOff: tps(prefill.off, sizes.prefill),
    },
    prefillRatioLynxOverPlain: ratio(prefill.lynx, prefill.plain),
    prefillRatioHiddenOffOverPlain: ratio(prefill.off, prefill.plain),
    readBandwidthGBps: bandwidth / 1e9,
    bandwidthBoundTokPerSec: bandwidth / bytes,
    // Paired per round: keeping the hidden state of every token against keeping none.
    hiddenStateMsPerCue: spread(times.hiddenEvery.map((t, i) => ((t - times.lynx[i]) / sizes.block) * 1000)),
    probeMsPerCue: probeMs,
    parallel,
  };
  const f = formatSpread;
  console.log(
    `${label} (${(bytes / 1e6).toFixed(0)} MB, ${threads} thread(s), ${sizes.rounds} rounds):\n` +
      `  decode  lynx-exit ${f(r.decodeTokPerSec.lynx)} tok/s, plain node-llama-cpp ${f(r.decodeTokPerSec.plain)} → ratio ${f(r.decodeRatioLynxOverPlain, 3)}\n` +
      `  prefill lynx-exit ${f(r.prefillTokPerSec.lynx)} tok/s, plain ${f(r.prefillTokPerSec.plain)} → ratio ${f(r.prefillRatioLynxOverPlain, 3)} ` +
      `(hidden states off: ${f(r.prefillRatioHiddenOffOverPlain, 3)})\n` +
      `  bandwidth bound ${r.bandwidthBoundTokPerSec.toFixed(1)} tok/s (${r.readBandwidthGBps.toFixed(1)} GB/s read by ${threads} thread(s))\n` +
      `  per cue: hidden state ${f(r.hiddenStateMsPerCue, 3)} ms, probe ${probeMs.toFixed(3)} ms\n` +
      Object.entries(parallel)
        .map(
          ([n, p]) =>
            `  ${n} sequences: lynx-exit ${f(p.lynxTokPerSec)} tok/s, plain ${f(p.plainTokPerSec)} → ratio ${f(p.ratio, 3)}`,
        )
        .join('\n'),
  );
  return r;
}

/** Mean ms of `f` over enough calls to take ~200 ms. */
function msPerCall(f: () => unknown): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 200) {
    f();
    n++;
  }
  return (performance.now() - t0) / n;
}

/** Runs the engine benchmark; see the file comment. */
export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  const bundle = await loadBundle('models/testbed.lynx.json');
  const x = new Float32Array(bundle.data.features.dim).fill(0.1);
  results.push(
    await measure(
      'testbed (models/testbed.gguf, F32)',
      TESTBED,
      { rounds: 15, block: 64, prefill: 128, parallel: [1, 4, 8], parallelRounds: 5 },
      () => msPerCall(() => bundle.decide(x, { delta: 0.1 })),
    ),
  );
  if (process.env.LYNX_BENCH_SKIP_LARGE === '1') {
    console.log('skipping the 1.5B-shaped model (LYNX_BENCH_SKIP_LARGE=1)');
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'lynx-bench-engine-'));
    try {
      const big = await buildBenchModel('1.5b', { dir });
      // A (256, 64) MLP probe on the 1536-dim final-norm state, as LYNX's.
      const probe = new MlpProbe({ maxEpochs: 1, seed: 1 });
      const rows = Array.from({ length: 64 }, (_, i) =>
        new Float32Array(1536).map((_, j) => Math.sin(i * j)),
      );
      probe.fit(
        rows,
        rows.map((_, i) => i % 2),
      );
      results.push(
        await measure(
          'random 1.5B-shaped qwen2 Q8_0',
          big.path,
          { rounds: 16, block: 12, prefill: 64, parallel: [1, 4, 8], parallelRounds: 2 },
          () => msPerCall(() => probe.predictRow(rows[0])),
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { results };
}
