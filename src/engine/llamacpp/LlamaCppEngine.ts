/**
 * The llama.cpp engine over node-llama-cpp: loads llama / qwen2 / qwen3 GGUFs (on a GPU when one
 * is found), tokenizes, formats chats, and opens up to `parallel` sessions at once, each one
 * sequence of a shared context, whose evaluations are decoded together in shared batches; each
 * session has its own final-norm hidden states and exact rollback.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import {
  type GgufFileInfo,
  getLlama,
  type Llama,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
} from 'node-llama-cpp';
import { UserError } from '../../errors.ts';
import { type ChatFormatName, type ChatFormatOption, detectChatFormat, formatChat } from '../chatFormats.ts';
import { checkContextSize, checkParallel, checkPrompt } from '../checks.ts';
import type { ChatMessage, Engine, EngineInfo, OpenOptions, Session } from '../types.ts';
import { DecodeScheduler, SCRATCH_SEQUENCE } from './DecodeScheduler.ts';
import {
  createGenerationContext,
  createNativeSampler,
  modelPathOf,
  type NativeContext,
} from './internals.ts';
import { type DistributionMode, LlamaCppSession, type SessionHost } from './LlamaCppSession.ts';
import { inspectModelFile, weightsHash } from './modelFile.ts';

/** Options of `LlamaCppEngine.load`. */
export interface LlamaCppLoadOptions {
  /** Context size in tokens (default: min(4096, the model's training context)). */
  contextSize?: number;
  /**
   * CPU threads (default: 1 below 100M parameters — more threads only spin against Node's main
   * thread on tiny models — else min(2, available cores)).
   */
  threads?: number;
  /**
   * GPU offload: 'auto' (default, as node-llama-cpp: every layer that fits on a GPU it finds, else
   * CPU), 'off', or the number of layers to offload.
   */
  gpu?: GpuSetting;
  /** Sessions that can be open at once; their evaluations share batches (default 1). */
  parallel?: number;
  /** Default sampling seed of sessions (when `SampleOptions.seed` is absent). Default 0. */
  seed?: number;
  /** Chat format of `formatChat` (default 'auto': from the GGUF's template and special tokens). */
  chatFormat?: ChatFormatOption;
  /** Keep final-norm hidden states (default true; false skips llama.cpp's embedding output). */
  hiddenStates?: boolean;
  /**
   * Vocabularies up to this size (default 32768) are sorted whole by llama.cpp, and sessions opened
   * with `{ entropy: true }` keep every logit (exact entropy).
   */
  fullDistributionMaxVocab?: number;
  /**
   * Most likely tokens kept per step, which sampling (top-p, top-k) draws from (default 64 for
   * vocabularies up to `fullDistributionMaxVocab`, else 256).
   */
  candidates?: number;
  /** Decode batch size (default 64: with hidden states llama.cpp outputs logits for every batch token). */
  batchSize?: number;
}

/** Where the model's layers run: see `LlamaCppLoadOptions.gpu`. */
export type GpuSetting = 'auto' | 'off' | number;

/** Parses a `--gpu` value: auto, off, or a layer count. */
export function parseGpuSetting(value: string): GpuSetting {
  if (value === 'auto' || value === 'off') return value;
  if (/^\d+$/.test(value)) return Number(value);
  throw new UserError(`--gpu must be auto, off or a number of layers, got ${JSON.stringify(value)}`);
}

const llamaInstances = new Map<boolean, Promise<Llama>>();
/** The last llama.cpp log lines, to explain load failures. */
const recentLogs: string[] = [];

/** One shared node-llama-cpp binding per GPU setting (loading it costs ~350 ms). */
function llamaFor(gpu: boolean): Promise<Llama> {
  let p = llamaInstances.get(gpu);
  if (!p) {
    p = getLlama({
      gpu: gpu ? 'auto' : false,
      build: 'never',
      logLevel: process.env.LYNX_LLAMA_DEBUG ? LlamaLogLevel.debug : LlamaLogLevel.warn,
      logger: (_level, message) => {
        if (process.env.LYNX_LLAMA_DEBUG) console.error(message.trim());
        recentLogs.push(message.trim());
        if (recentLogs.length > 8) recentLogs.shift();
      },
    });
    llamaInstances.set(gpu, p);
  }
  return p;
}

/** ggml types whose CPU matmul rounds differently for one token than for several. */
const FLOAT_TYPES = new Set([0, 1, 30]); // F32, F16, BF16

/** True when some matrix the model multiplies by is stored as floats (see DecodeScheduler). */
function hasFloatMatmulWeights(info: GgufFileInfo): boolean {
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  return tensors.some(
    (t) =>
      t.dimensions.length >= 2 &&
      FLOAT_TYPES.has(Number(t.ggmlType)) &&
      // token_embd is only looked up, unless the output projection is tied to it.
      (t.name !== 'token_embd.weight' || !hasOutput),
  );
}

/** A GGUF model loaded in llama.cpp; implements `Engine`. Up to `parallel` sessions at once, decoded in shared batches. */
export class LlamaCppEngine implements Engine {
  readonly info: EngineInfo;
  /** The chat format `formatChat` uses (undefined: the model has none we recognise). */
  readonly chatFormat: ChatFormatName | undefined;
  private readonly pieces = new Map<number, string>();
  private context: { context: LlamaContext; native: NativeContext; scheduler: DecodeScheduler } | null = null;
  private contextPromise: Promise<NonNullable<LlamaCppEngine['context']>> | null = null;
  /** Sequence ids not in use, and the opens waiting for one. */
  private readonly freeSequences: number[];
  private readonly waiting: Array<(sequence: number) => void> = [];
  private readonly openSessions = new Set<LlamaCppSession>();
  private disposed = false;
  /** Loaded by `loadTokenizer`: no weights, no sessions. */
  private vocabOnly = false;

  private constructor(
    private readonly model: LlamaModel,
    private readonly settings: Required<Omit<LlamaCppLoadOptions, 'chatFormat' | 'gpu'>> & {
      padSingleTokens: boolean;
      ownsModel: boolean;
    },
    info: EngineInfo,
    chatFormat: ChatFormatName | undefined,
  ) {
    this.info = info;
    this.chatFormat = chatFormat;
    this.freeSequences = Array.from({ length: settings.parallel }, (_, i) => SCRATCH_SEQUENCE + 1 + i);
  }

  /** Loads a GGUF; bad files (missing, corrupt, truncated, unsupported architecture) throw UserError. */
  static async load(modelPath: string, options: LlamaCppLoadOptions = {}): Promise<LlamaCppEngine> {
    const fileInfo = await inspectModelFile(modelPath);
    const gpu = options.gpu ?? 'auto';
    if (gpu !== 'auto' && gpu !== 'off' && !(Number.isInteger(gpu) && gpu >= 0))
      throw new UserError(`gpu must be 'auto', 'off' or a number of layers, got ${String(gpu)}`);
    checkParallel(options.parallel ?? 1);
    const llama = await llamaFor(gpu !== 'off' && gpu !== 0);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath, gpuLayers: gpu === 'off' ? 0 : gpu });
    } catch (err) {
      const log = recentLogs.length > 0 ? ` (llama.cpp: ${recentLogs.join(' | ')})` : '';
      throw new UserError(`llama.cpp could not load ${modelPath}: ${(err as Error).message}${log}`);
    }
    try {
      return LlamaCppEngine.create(model, modelPath, fileInfo, options, true);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /**
   * Loads only a GGUF's vocabulary and metadata (no weights; a vocab-only GGUF is enough): the
   * tokenizer of a model served elsewhere, e.g. by the SGLang engine. Sessions cannot be opened.
   */
  static async loadTokenizer(
    modelPath: string,
    options: Pick<LlamaCppLoadOptions, 'chatFormat' | 'contextSize'> = {},
  ): Promise<LlamaCppEngine> {
    const fileInfo = await inspectModelFile(modelPath);
    const llama = await llamaFor(false);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath, vocabOnly: true });
    } catch (err) {
      const log = recentLogs.length > 0 ? ` (llama.cpp: ${recentLogs.join(' | ')})` : '';
      throw new UserError(
        `llama.cpp could not read the tokenizer of ${modelPath}: ${(err as Error).message}${log}`,
      );
    }
    const engine = LlamaCppEngine.create(model, modelPath, fileInfo, options, true);
    engine.vocabOnly = true;
    return engine;
  }

  /**
   * Wraps a node-llama-cpp `LlamaModel` the caller loaded (its own `getLlama()`, GPU settings, ...).
   * The engine creates its own context on it (with embeddings, and one sequence per session);
   * `dispose()` frees that context but leaves the model to its owner.
   */
  static async fromModel(
    model: LlamaModel,
    options: Omit<LlamaCppLoadOptions, 'gpu'> = {},
  ): Promise<LlamaCppEngine> {
    checkParallel(options.parallel ?? 1);
    const file = modelPathOf(model);
    if (!file) throw new UserError('fromModel needs a model loaded from a GGUF file (its path is unknown)');
    const fileInfo = await inspectModelFile(file);
    return LlamaCppEngine.create(model, file, fileInfo, options, false);
  }

  private static create(
    model: LlamaModel,
    modelPath: string,
    fileInfo: GgufFileInfo,
    options: LlamaCppLoadOptions,
    ownsModel: boolean,
  ): LlamaCppEngine {
    const parallel = options.parallel ?? 1;
    const arch = String(fileInfo.metadata.general.architecture);
    const archMeta = fileInfo.architectureMetadata as {
      block_count?: number;
      context_length?: number;
      embedding_length?: number;
    };
    const vocabSize = (fileInfo.metadata.tokenizer?.ggml?.tokens ?? []).length;
    const params = model.fileInsights.totalParameters;
    // A vocab-only load reports no sizes: take them from the file's metadata.
    const trainContext = model.trainContextSize || (archMeta.context_length ?? 0);
    const contextSize = options.contextSize ?? Math.min(4096, trainContext);
    checkContextSize(contextSize);
    const threads =
      options.threads ?? (params < 100e6 ? 1 : Math.max(1, Math.min(2, availableParallelism())));
    if (!Number.isInteger(threads) || threads < 1)
      throw new UserError(`threads must be a positive integer, got ${threads}`);
    const fullMax = options.fullDistributionMaxVocab ?? 32768;
    const settings = {
      contextSize,
      threads,
      seed: options.seed ?? 0,
      hiddenStates: options.hiddenStates ?? true,
      fullDistributionMaxVocab: fullMax,
      candidates: options.candidates ?? (vocabSize <= fullMax ? 64 : 256),
      batchSize: Math.max(options.batchSize ?? 64, parallel + 1),
      parallel,
      padSingleTokens: hasFloatMatmulWeights(fileInfo),
      ownsModel,
    };
    const template = fileInfo.metadata.tokenizer?.chat_template;
    const engine = new LlamaCppEngine(
      model,
      settings,
      {
        name: 'llama.cpp',
        modelId: basename(modelPath),
        architecture: arch,
        layers: archMeta.block_count ?? 0,
        hiddenSize: model.embeddingVectorSize || (archMeta.embedding_length ?? 0),
        vocabSize,
        contextSize,
        hiddenLayers: settings.hiddenStates ? [-1] : [],
        ...(settings.hiddenStates ? {} : { hiddenLayersHint: 'load the engine with hiddenStates: true' }),
        fullDistribution: vocabSize <= fullMax,
        maxSessions: parallel,
        weightsHash: weightsHash(modelPath, fileInfo),
      },
      undefined,
    );
    const format =
      options.chatFormat && options.chatFormat !== 'auto'
        ? options.chatFormat
        : detectChatFormat(typeof template === 'string' ? template : undefined, (t) =>
            engine.isSingleToken(t),
          );
    (engine as { chatFormat: ChatFormatName | undefined }).chatFormat = format;
    return engine;
  }

  /** Model size in parameters (from the GGUF's tensor shapes). */
  get parameters(): number {
    return this.model.fileInsights.totalParameters;
  }

  /** Threads the context uses. */
  get threads(): number {
    return this.settings.threads;
  }

  /** Where the model runs: 'cpu', or the GPU backend node-llama-cpp picked ('cuda', 'vulkan', 'metal'). */
  get device(): string {
    const gpu = this.model.llama.gpu;
    return gpu === false || this.model.gpuLayers === 0 ? 'cpu' : `${gpu} (${this.model.gpuLayers} layers)`;
  }

  /** Decode counters (batches, tokens, batches shared by several sessions) since load. */
  get schedulerStats(): DecodeScheduler['stats'] | undefined {
    return this.context?.scheduler.stats;
  }

  tokenize(text: string, opts: { special?: boolean } = {}): number[] {
    return [...this.model.tokenize(text, opts.special ?? false)];
  }

  /** Decodes tokens; special tokens (`</think>`, `<|im_end|>`) are rendered as their text. */
  detokenize(tokens: number[]): string {
    return this.model.detokenize(tokens as never, true);
  }

  tokenPiece(token: number): string {
    let piece = this.pieces.get(token);
    if (piece === undefined) {
      piece = this.model.detokenize([token] as never, true);
      this.pieces.set(token, piece);
    }
    return piece;
  }

  isEog(token: number): boolean {
    return this.model.isEogToken(token as never);
  }

  /** True when `text` (special tokens parsed) is a single token, e.g. `<|im_start|>` in ChatML vocabularies. */
  isSingleToken(text: string): boolean {
    return this.model.tokenize(text, true).length === 1;
  }

  formatChat(messages: ChatMessage[]): string {
    if (this.chatFormat === undefined)
      throw new UserError(
        `${this.info.modelId} has no chat template this engine recognises; pass a chat format ` +
          '(chatml-think, deepseek-r1, qwen3-thinking) or use a raw prompt',
      );
    return formatChat(this.chatFormat, messages);
  }

  /** Tokens of a text prompt: special tokens parsed, BOS prepended when the model wants it. */
  promptTokens(text: string): number[] {
    const tokens = this.tokenize(text, { special: true });
    const bos = this.model.tokens.bos;
    if (this.model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /** Opens a session; waits while `parallel` sessions are open (first come, first served). */
  async open(prompt: number[] | string, opts: OpenOptions = {}): Promise<Session> {
    if (this.disposed) throw new Error('the engine is disposed');
    if (this.vocabOnly)
      throw new UserError(
        `${this.info.modelId} was loaded as a tokenizer only (loadTokenizer): it cannot decode`,
      );
    const tokens = typeof prompt === 'string' ? this.promptTokens(prompt) : [...prompt];
    checkPrompt(tokens, this.info);
    const top = opts.topLogprobs ?? 0;
    if (!Number.isInteger(top) || top < 0)
      throw new UserError(`topLogprobs must be a non-negative integer, got ${top}`);
    const { native, scheduler } = await this.ensureContext();
    const sequence = await this.acquireSequence();
    // The exact entropy needs every logit; top logprobs need at least k candidates.
    const mode: DistributionMode =
      this.info.fullDistribution && (opts.entropy || top > this.settings.candidates) ? 'full' : 'top';
    const session = new LlamaCppSession(
      this.host(native, scheduler, Math.max(this.settings.candidates, top), () => {
        this.openSessions.delete(session);
        this.releaseSequence(sequence);
      }),
      sequence,
      mode,
      createNativeSampler(this.model),
      createNativeSampler(this.model),
    );
    this.openSessions.add(session);
    try {
      await session.append(tokens, { hidden: opts.hidden ?? false });
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private ensureContext(): Promise<NonNullable<LlamaCppEngine['context']>> {
    this.contextPromise ??= createGenerationContext(this.model, {
      contextSize: this.settings.contextSize,
      threads: this.settings.threads,
      batchSize: this.settings.batchSize,
      // Sequence 0 is the scheduler's scratch sequence; sessions use 1..parallel.
      sequences: this.settings.parallel + 1,
      hiddenStates: this.settings.hiddenStates,
    }).then(({ context, native }) => {
      const scheduler = new DecodeScheduler(native, this.settings.batchSize, this.settings.padSingleTokens);
      this.context = { context, native, scheduler };
      return this.context;
    });
    return this.contextPromise;
  }

  /** The lowest free sequence id, so the ids in use stay consecutive (see DecodeScheduler). */
  private acquireSequence(): Promise<number> {
    this.freeSequences.sort((a, b) => a - b);
    const free = this.freeSequences.shift();
    if (free !== undefined) return Promise.resolve(free);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSequence(sequence: number): void {
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.freeSequences.push(sequence);
  }

  private host(
    native: NativeContext,
    scheduler: DecodeScheduler,
    candidates: number,
    release: () => void,
  ): SessionHost {
    return {
      info: this.info,
      hiddenStates: this.settings.hiddenStates,
      candidates: Math.min(candidates, this.info.vocabSize),
      smallVocab: this.info.fullDistribution,
      defaultSeed: this.settings.seed,
      native,
      scheduler,
      tokenPiece: (t) => this.tokenPiece(t),
      isEog: (t) => this.isEog(t),
      release,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const session of [...this.openSessions]) await session.close();
    await this.contextPromise?.catch(() => undefined);
    await this.context?.context.dispose();
    if (this.settings.ownsModel) await this.model.dispose();
  }
}
