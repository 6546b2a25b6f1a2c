/**
 * Trains the testbed reasoning model: a BPE vocabulary on the synthetic corpus, then the reference
 * transformer on R1-style conversations (loss on the assistant turn only), then a GGUF export that
 * llama.cpp runs. Deterministic under a seed; resumable from its checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { type ModelConfig, resolveConfig } from '../model/config.ts';
import { exportGguf, loadGgufModel } from '../model/ggufModel.ts';
import { ModelParams } from '../model/params.ts';
import { createRuntime } from '../model/runtime.ts';
import { type TrainLogEntry, trainLoop } from '../model/train.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { TESTBED_CHAT_TEMPLATE } from './chatFormat.ts';
import { type CompletionSegment, exitExample, noThinkingExample } from './exitExamples.ts';
import { BpeTokenizer, trainBpe } from './tokenizer/index.ts';
import { buildCorpus, type CorpusItem } from './traces/index.ts';
import { DEFAULT_TRACE_OPTIONS, FAMILIES, type Family } from './traces/types.ts';

/** Everything that determines a testbed model. */
export interface TestbedTrainOptions {
  seed: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmup: number;
  vocabSize: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  /** Conversations used to learn the BPE merges. */
  tokenizerCorpus: number;
  /** Output GGUF path; the tokenizer JSON and training log are written beside it. */
  out: string;
  checkpoint: string;
  checkpointEvery: number;
  logEvery: number;
  /**
   * Loss weight of the tokens that carry a result (digits after " = ", the boxed answer, the option
   * letter in "Jo C"); every other assistant token weighs 1. They are under 5% of the targets.
   */
  resultWeight: number;
  /** Families of the training conversations, used round-robin (repeat one to give it a larger share). */
  families: string;
  /** Probability that a solution step slips (the data's error rate; see TraceOptions). */
  slipRate: number;
  /** Per-family slip rates that override `slipRate` ("order=0.4"; '' = none). */
  familySlipRates: string;
  /** Share of training rows that are exit examples: thinking cut, a method's exit text, the belief at the cut. */
  exitExampleRate: number;
  /** Share of training rows that are NoThinking examples (prefilled thought, then an answer). */
  nothinkingRate: number;
  /** Continue from the weights of this checkpoint or testbed GGUF with a fresh schedule ('' = random init). */
  initFrom: string;
}

/** The defaults of `npm run testbed:train` (the committed model). */
export const TESTBED_DEFAULTS: TestbedTrainOptions = {
  seed: 1,
  steps: 1500,
  batchSize: 8,
  seqLen: 384,
  lr: 3e-3,
  warmup: 100,
  vocabSize: 768,
  dim: 128,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  ffn: 384,
  tokenizerCorpus: 3000,
  out: 'models/testbed.gguf',
  checkpoint: '.cache/testbed/train.ckpt',
  checkpointEvery: 100,
  logEvery: 20,
  initFrom: '',
  resultWeight: 4,
  families: FAMILIES.join(','),
  slipRate: DEFAULT_TRACE_OPTIONS.slipRate,
  familySlipRates: '',
  exitExampleRate: 0.3,
  nothinkingRate: 0.03,
};

/** A training row: the tokens of one conversation and a mask over the assistant turn. */
export interface EncodedConversation {
  ids: number[];
  /** Index of the first assistant-turn token (everything from here on is a target, unless `noLoss`). */
  completionStart: number;
  /** Completion tokens that are not targets (text an exit method appends). */
  noLoss?: boolean[];
}

/**
 * Tokenizes a corpus item; the prompt is encoded separately so the mask boundary is exact. With
 * `segments` (an exit or NoThinking example) the completion is those, each tokenized on its own as
 * the reasoning loop appends an exit text to the tokens decoded so far.
 */
export function encodeConversation(
  tok: BpeTokenizer,
  item: CorpusItem,
  segments?: readonly CompletionSegment[],
): EncodedConversation {
  const prompt = tok.encode(item.prompt, { special: true });
  if (!segments) {
    const completion = tok.encode(item.text.slice(item.prompt.length), { special: true });
    return { ids: [...prompt, ...completion], completionStart: prompt.length };
  }
  const ids = [...prompt];
  const noLoss = prompt.map(() => true);
  for (const s of segments) {
    const part = s.text === '' ? [] : tok.encode(s.text, { special: true });
    ids.push(...part);
    for (const _ of part) noLoss.push(!s.loss);
  }
  return { ids, completionStart: prompt.length, noLoss };
}

/** The completion segments of a training row: a NoThinking or exit example, or the whole trace (undefined). */
function rowSegments(
  item: CorpusItem,
  rng: SeededRandom,
  rates: { exitExampleRate: number; nothinkingRate: number },
): CompletionSegment[] | undefined {
  const r = rng.next();
  if (r < rates.nothinkingRate) return noThinkingExample(item.problem, rng);
  if (r < rates.nothinkingRate + rates.exitExampleRate) return exitExample(item.problem, item.trace, rng);
  return undefined;
}

const piecesByTokenizer = new WeakMap<BpeTokenizer, string[]>();

/** Every token's text, decoded once per tokenizer (the training batches look them up every step). */
function pieceTexts(tok: BpeTokenizer): string[] {
  let pieces = piecesByTokenizer.get(tok);
  if (!pieces) {
    pieces = Array.from({ length: tok.vocabSize }, (_, id) => tok.decode([id]));
    piecesByTokenizer.set(tok, pieces);
  }
  return pieces;
}

/**
 * Marks the result-bearing tokens of a conversation: the digits of a number right after " = ", the
 * digits or letter right after "{", and an option letter right after "(" or a name ("Jo C").
 */
export function resultTokenFlags(tok: BpeTokenizer, ids: readonly number[]): boolean[] {
  const pieces = pieceTexts(tok);
  const text = ids.map((id) => pieces[id]);
  const isDigit = (s: string) => /^\d+$/.test(s);
  const isLetter = (s: string) => /^ ?[A-E]$/.test(s);
  // A capitalized word piece: the names of the order family ("the youngest is Jo C").
  const isName = (s: string) => /^ [A-Z][a-z]+$/.test(s);
  const flags = ids.map(() => false);
  for (let i = 1; i < ids.length; i++) {
    const prev = text[i - 1];
    const afterEquals = prev === ' ' && i >= 2 && text[i - 2].endsWith('=');
    if (isDigit(text[i]) && (afterEquals || prev.endsWith('{') || (flags[i - 1] && isDigit(prev))))
      flags[i] = true;
    else if (isLetter(text[i]) && (prev.endsWith('{') || prev.endsWith('(') || isName(prev))) flags[i] = true;
  }
  return flags;
}

/** Builds the batch for one step: fresh training-split conversations, padded, with loss weights. */
export function makeBatch(
  tok: BpeTokenizer,
  step: number,
  opts: Pick<TestbedTrainOptions, 'seed' | 'batchSize' | 'seqLen'> &
    Partial<
      Pick<
        TestbedTrainOptions,
        'resultWeight' | 'families' | 'slipRate' | 'familySlipRates' | 'exitExampleRate' | 'nothinkingRate'
      >
    >,
): { tokens: Int32Array; mask: Float32Array } {
  const { batchSize: B, seqLen: T } = opts;
  const resultWeight = opts.resultWeight ?? 1;
  const tokens = new Int32Array(B * (T + 1)).fill(tok.padId);
  const mask = new Float32Array(B * (T + 1));
  // Over-generate a little so rows longer than the window can be skipped without changing B.
  const items = buildCorpus({
    seed: opts.seed * 1_000_003 + step,
    n: B * 2,
    split: 'train',
    families: opts.families === undefined ? undefined : parseFamilies(opts.families),
    traceOptions: opts.slipRate === undefined ? undefined : { slipRate: opts.slipRate },
    familyTraceOptions: Object.fromEntries(
      Object.entries(parseFamilySlipRates(opts.familySlipRates ?? '')).map(([f, slipRate]) => [
        f,
        { slipRate },
      ]),
    ),
  });
  const rates = { exitExampleRate: opts.exitExampleRate ?? 0, nothinkingRate: opts.nothinkingRate ?? 0 };
  const rowRng = new SeededRandom(opts.seed * 1_000_003 + step + 0x51ed);
  let row = 0;
  for (const item of items) {
    if (row === B) break;
    const enc = encodeConversation(tok, item, rowSegments(item, rowRng, rates));
    if (enc.ids.length > T + 1) continue;
    const base = row * (T + 1);
    const results = resultWeight === 1 ? null : resultTokenFlags(tok, enc.ids);
    for (let i = 0; i < enc.ids.length; i++) {
      tokens[base + i] = enc.ids[i];
      mask[base + i] = i < enc.completionStart || enc.noLoss?.[i] ? 0 : results?.[i] ? resultWeight : 1;
    }
    row++;
  }
  if (row < B) throw new Error(`step ${step}: only ${row} of ${B} conversations fit in ${T + 1} tokens`);
  return { tokens, mask };
}

/** Rejects data options that would silently train on something else (NaN, out of range, unknown family). */
export function validateDataOptions(
  opts: Pick<TestbedTrainOptions, 'resultWeight' | 'families' | 'slipRate'> &
    Partial<Pick<TestbedTrainOptions, 'familySlipRates' | 'exitExampleRate' | 'nothinkingRate'>>,
) {
  const exits = opts.exitExampleRate ?? 0;
  const noThinking = opts.nothinkingRate ?? 0;
  if (!(exits >= 0 && noThinking >= 0 && exits + noThinking <= 1))
    throw new UserError(
      `--exit-example-rate and --nothinking-rate must be >= 0 with a sum <= 1, got ${exits} and ${noThinking}`,
    );
  if (!(Number.isFinite(opts.resultWeight) && opts.resultWeight > 0))
    throw new UserError(`--result-weight must be a positive number, got ${opts.resultWeight}`);
  if (!(opts.slipRate >= 0 && opts.slipRate <= 1))
    throw new UserError(`--slip-rate must be in [0, 1], got ${opts.slipRate}`);
  parseFamilies(opts.families);
  parseFamilySlipRates(opts.familySlipRates ?? '');
}

/** Parses per-family slip rates ("order=0.4,word=0.15"; '' = none). */
export function parseFamilySlipRates(list: string): Partial<Record<Family, number>> {
  const out: Partial<Record<Family, number>> = {};
  if (!list.trim()) return out;
  for (const part of list.split(',')) {
    const m = /^\s*(\w+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw new UserError(`--family-slip-rates: expected FAMILY=RATE, got "${part}" in "${list}"`);
    const [family] = parseFamilies(m[1]);
    const rate = Number(m[2]);
    if (!(rate >= 0 && rate <= 1))
      throw new UserError(`--family-slip-rates: the rate of ${family} must be in [0, 1], got "${m[2]}"`);
    if (family in out) throw new UserError(`--family-slip-rates: ${family} is given twice in "${list}"`);
    out[family] = rate;
  }
  return out;
}

/** Parses a comma-separated family list ("arith,word,order,order"). */
export function parseFamilies(list: string): Family[] {
  const names = list.split(',').map((f) => f.trim());
  for (const f of names)
    if (!(FAMILIES as readonly string[]).includes(f))
      throw new UserError(`unknown testbed family "${f}" in "${list}"; families are ${FAMILIES.join(', ')}`);
  return names as Family[];
}

/** The tokenizer JSON written beside a testbed GGUF (or a training checkpoint). */
export function tokenizerPathOf(path: string): string {
  return path.endsWith('.gguf') ? path.replace(/\.gguf$/, '.tokenizer.json') : `${path}.tokenizer.json`;
}

/** Weights to continue from: a training checkpoint, or an exported testbed GGUF (f32). */
async function initialWeights(path: string): Promise<Float32Array> {
  if (!path.endsWith('.gguf')) return loadCheckpoint(path).params;
  return Float32Array.from((await loadGgufModel(path, { kernels: 'ts' })).params.flat);
}

/** Learns the testbed vocabulary from a training-split corpus. */
export function trainTestbedTokenizer(
  opts: Pick<TestbedTrainOptions, 'seed' | 'tokenizerCorpus' | 'vocabSize'>,
) {
  const corpus = buildCorpus({ seed: opts.seed, n: opts.tokenizerCorpus, split: 'train' });
  return trainBpe(
    corpus.map((c) => c.text),
    { vocabSize: opts.vocabSize },
  );
}

/** Trains, exports and returns the log; `onLog` receives progress records. */
export async function trainTestbed(
  opts: TestbedTrainOptions,
  onLog: (e: TrainLogEntry) => void,
): Promise<{ config: ModelConfig; log: TrainLogEntry[]; seconds: number; tokenizer: BpeTokenizer }> {
  validateDataOptions(opts);
  // Continuing from a GGUF keeps its vocabulary: re-learning merges on a changed corpus would renumber tokens.
  const tokenizer =
    opts.initFrom.endsWith('.gguf') && existsSync(tokenizerPathOf(opts.initFrom))
      ? BpeTokenizer.fromJSON(JSON.parse(readFileSync(tokenizerPathOf(opts.initFrom), 'utf8')))
      : trainTestbedTokenizer(opts);
  const config = resolveConfig({
    vocabSize: tokenizer.vocabSize,
    dim: opts.dim,
    layers: opts.layers,
    heads: opts.heads,
    kvHeads: opts.kvHeads,
    ffn: opts.ffn,
    contextLength: 1024,
  });
  const log: TrainLogEntry[] = [];
  mkdirSync(dirname(opts.checkpoint), { recursive: true });
  writeFileSync(tokenizerPathOf(opts.checkpoint), `${JSON.stringify(tokenizer.toJSON())}\n`);
  const result = await trainLoop({
    config,
    batchSize: opts.batchSize,
    seqLen: opts.seqLen,
    batches: (step) => makeBatch(tokenizer, step, opts),
    steps: opts.steps,
    lr: opts.lr,
    warmup: opts.warmup,
    weightDecay: 0.1,
    seed: new SeededRandom(opts.seed).nextUint32(),
    logEvery: opts.logEvery,
    onLog: (e) => {
      log.push(e);
      onLog(e);
    },
    checkpoint: { path: opts.checkpoint, every: opts.checkpointEvery },
    initFrom: opts.initFrom ? await initialWeights(opts.initFrom) : undefined,
    // Output paths and logging cadence may change on resume; everything that shapes the weights may not.
    meta: {
      testbed: {
        ...opts,
        out: undefined,
        checkpoint: undefined,
        checkpointEvery: undefined,
        logEvery: undefined,
      },
    },
  });
  await writeTestbedModel(opts.out, result.params, tokenizer, 'lynx-exit testbed');
  return { config, log, seconds: result.seconds, tokenizer };
}

/** Writes a testbed GGUF (f32) and its tokenizer JSON beside it. */
async function writeTestbedModel(out: string, params: ModelParams, tokenizer: BpeTokenizer, name: string) {
  mkdirSync(dirname(out), { recursive: true });
  await exportGguf(out, params, {
    tokenizer: tokenizer.toGguf({ chatTemplate: TESTBED_CHAT_TEMPLATE }),
    name,
    type: 'f32',
  });
  writeFileSync(tokenizerPathOf(out), `${JSON.stringify(tokenizer.toJSON())}\n`);
}

/** Exports a training checkpoint as a testbed GGUF (to inspect a model before training ends). */
export async function exportTestbedCheckpoint(
  checkpointPath: string,
  out: string,
  opts: Pick<TestbedTrainOptions, 'seed' | 'tokenizerCorpus' | 'vocabSize'>,
): Promise<number> {
  const ck = loadCheckpoint(checkpointPath);
  // The vocabulary the run trained with (saved beside the checkpoint); re-learning it would renumber
  // tokens whenever the data generator or --init-from changed it.
  const saved = tokenizerPathOf(checkpointPath);
  const tokenizer = existsSync(saved)
    ? BpeTokenizer.fromJSON(JSON.parse(readFileSync(saved, 'utf8')))
    : trainTestbedTokenizer(opts);
  const params = new ModelParams(resolveConfig(ck.header.config), createRuntime('ts').heap);
  params.flat.set(ck.params);
  await writeTestbedModel(out, params, tokenizer, `lynx-exit testbed (checkpoint step ${ck.header.step})`);
  return ck.header.step;
}
