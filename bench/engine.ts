// Engine benchmark (llama.cpp through node-llama-cpp): prefill and decode tokens/s, the cost of
// reading the final-norm hidden state every token, the cost of keeping hidden states at all
// (llama.cpp embeddings on vs off), and the cost of a forced-exit branch + rollback. Run on a tiny
// test model and on a random-weight model with DeepSeek-R1-Distill-Qwen-1.5B's shape (Q8_0,
// ~1.9 GB, written to a temp dir and deleted after; LYNX_BENCH_SKIP_LARGE=1 skips it).
// Speeds are compared as ratios within one run: the second core is sometimes busy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaCppEngine } from '../src/engine/llamacpp/LlamaCppEngine.ts';
import type { Session } from '../src/engine/types.ts';
import { buildBenchModel, buildTestModel } from '../src/testing/testModels.ts';

const EXIT_TEXT = '</think> Final Answer: \\boxed{';

interface Sizes {
  prompt: number;
  /** Rounds; each does one prefill per engine and one decode block per configuration. */
  rounds: number;
  block: number;
  branches: number;
  answer: number;
}

/** A prompt of `n` tokens cycling through ordinary words. */
function promptOf(engine: LlamaCppEngine, n: number): number[] {
  const words = engine.tokenize(' so the answer is four wait let me check again hmm but then', {
    special: true,
  });
  return Array.from({ length: n }, (_, i) => words[i % words.length]);
}

/** Seconds taken by `f`. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** Decodes `n` tokens (T=0.6 under a seed), optionally reading the hidden state after each. */
async function decodeBlock(s: Session, n: number, readHidden: boolean): Promise<void> {
  for (let i = 0; i < n; i++) {
    await s.step({ temperature: 0.6, topP: 0.95, seed: 1 });
    if (readHidden && Number.isNaN((await s.hidden([-1]))[0][0])) throw new Error('NaN hidden state');
  }
}

/** Forced-exit branches: mark, append the exit text, greedy-decode `answer` tokens, roll back. */
async function branches(engine: LlamaCppEngine, prompt: number[], sizes: Sizes) {
  const s = await engine.open(prompt);
  const exit = engine.tokenize(EXIT_TEXT, { special: true });
  let rollbackMs = 0;
  let branchMs = 0;
  for (let b = 0; b < sizes.branches; b++) {
    await s.step({ temperature: 0.6, seed: b });
    const t0 = performance.now();
    const mark = s.mark();
    await s.append(exit);
    for (let i = 0; i < sizes.answer; i++) await s.step({ temperature: 0 });
    const t1 = performance.now();
    await s.rollback(mark);
    const t2 = performance.now();
    rollbackMs += t2 - t1;
    branchMs += t2 - t0;
  }
  await s.close();
  return {
    exitTokens: exit.length,
    answerTokens: sizes.answer,
    rollbackMsMean: rollbackMs / sizes.branches,
    branchMsMean: branchMs / sizes.branches,
  };
}

/**
 * All measurements on one model file. The configurations are interleaved round by round (and
 * the two engines are loaded side by side), so a busy second core slows all of them alike.
 */
async function measure(label: string, path: string, sizes: Sizes) {
  const withHidden = await LlamaCppEngine.load(path, { contextSize: 1024 });
  const noHidden = await LlamaCppEngine.load(path, { contextSize: 1024, hiddenStates: false });
  const prompt = promptOf(withHidden, sizes.prompt);
  const t = { prefill: 0, prefillOff: 0, plain: 0, reading: 0, off: 0 };
  for (const e of [withHidden, noHidden]) await (await e.open(prompt.slice(0, 8))).close(); // warm-up
  for (let r = 0; r < sizes.rounds; r++) {
    let s: Session | undefined;
    t.prefill += await timed(async () => (s = await withHidden.open(prompt)));
    t.plain += await timed(() => decodeBlock(s!, sizes.block, false));
    t.reading += await timed(() => decodeBlock(s!, sizes.block, true));
    await s!.close();
    t.prefillOff += await timed(async () => (s = await noHidden.open(prompt)));
    t.off += await timed(() => decodeBlock(s!, sizes.block, false));
    await s!.close();
  }
  await noHidden.dispose();
  const branch = await branches(withHidden, prompt, sizes);
  const info = { ...withHidden.info, threads: withHidden.threads, parameters: withHidden.parameters };
  await withHidden.dispose();

  const prefillTokens = sizes.prompt * sizes.rounds;
  const decodeTokens = sizes.block * sizes.rounds;
  const r = {
    model: label,
    threads: info.threads,
    parameters: info.parameters,
    vocab: info.vocabSize,
    fullDistribution: info.fullDistribution,
    promptTokens: sizes.prompt,
    rounds: sizes.rounds,
    decodeTokensPerConfig: decodeTokens,
    prefillTokPerSec: prefillTokens / t.prefill,
    decodeTokPerSec: decodeTokens / t.plain,
    decodeWithHiddenReadsTokPerSec: decodeTokens / t.reading,
    hiddenReadSlowdown: t.reading / t.plain,
    prefillTokPerSecWithoutHiddenStates: prefillTokens / t.prefillOff,
    decodeTokPerSecWithoutHiddenStates: decodeTokens / t.off,
    prefillSpeedupWithoutHiddenStates: t.prefill / t.prefillOff,
    decodeSpeedupWithoutHiddenStates: t.plain / t.off,
    ...branch,
    rollbackMsPerDecodedToken: branch.rollbackMsMean / ((1000 * t.plain) / decodeTokens),
  };
  console.log(
    `${label} (${(info.parameters / 1e6).toFixed(1)}M params, ${info.threads} thread(s), vocab ${info.vocabSize}):\n` +
      `  prefill ${r.prefillTokPerSec.toFixed(1)} tok/s, decode ${r.decodeTokPerSec.toFixed(1)} tok/s\n` +
      `  reading the hidden state every token: ×${r.hiddenReadSlowdown.toFixed(3)} decode time\n` +
      `  hidden states off (no llama.cpp embeddings): prefill ×${r.prefillSpeedupWithoutHiddenStates.toFixed(2)} ` +
      `faster, decode ×${r.decodeSpeedupWithoutHiddenStates.toFixed(2)}\n` +
      `  rollback ${branch.rollbackMsMean.toFixed(3)} ms (= ${r.rollbackMsPerDecodedToken.toFixed(3)} decoded tokens); ` +
      `whole branch (${branch.exitTokens} exit + ${sizes.answer} answer tokens) ${branch.branchMsMean.toFixed(1)} ms`,
  );
  return r;
}

/** Runs the engine benchmark; see the file comment. */
export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown>[] = [];
  const tiny = await buildTestModel({ kind: 'random', arch: 'qwen2', tokenizer: 'bpe', seed: 3 });
  results.push(
    await measure('tiny random qwen2 (test model)', tiny.path, {
      prompt: 200,
      rounds: 10,
      block: 100,
      branches: 20,
      answer: 8,
    }),
  );
  if (process.env.LYNX_BENCH_SKIP_LARGE === '1') {
    console.log('skipping the 1.5B-shaped model (LYNX_BENCH_SKIP_LARGE=1)');
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'lynx-bench-engine-'));
    try {
      const t0 = performance.now();
      const big = await buildBenchModel('1.5b', { dir });
      console.log(`wrote the 1.5B-shaped Q8_0 model in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      results.push(
        await measure('random 1.5B-shaped qwen2 Q8_0', big.path, {
          prompt: 64,
          rounds: 2,
          block: 8,
          branches: 2,
          answer: 4,
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { results };
}
