/**
 * The llama.cpp engine over node-llama-cpp (CPU by default): loads llama / qwen2 / qwen3 GGUFs,
 * tokenizes, formats chats, and opens sessions with final-norm hidden states and exact rollback.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
} from 'node-llama-cpp';
import { UserError } from '../../errors.ts';
import { type ChatFormatName, type ChatFormatOption, detectChatFormat, formatChat } from '../chatFormats.ts';
import type { ChatMessage, Engine, EngineInfo, Session } from '../types.ts';
import { createGenerationContext } from './internals.ts';
import { LlamaCppSession, type SessionHost } from './LlamaCppSession.ts';
import { inspectModelFile } from './modelFile.ts';

/** Options of `LlamaCppEngine.load`. */
export interface LlamaCppLoadOptions {
  /** Context size in tokens (default: min(4096, the model's training context)). */
  contextSize?: number;
  /**
   * CPU threads (default: 1 below 100M parameters — more threads only spin against Node's main
   * thread on tiny models — else min(2, available cores)).
   */
  threads?: number;
  /** Offload to a GPU if node-llama-cpp finds one (default false: CPU). */
  gpu?: boolean;
  /** Default sampling seed of sessions (when `SampleOptions.seed` is absent). Default 0. */
  seed?: number;
  /** Chat format of `formatChat` (default 'auto': from the GGUF's template and special tokens). */
  chatFormat?: ChatFormatOption;
  /** Keep final-norm hidden states (default true; false skips llama.cpp's embedding output). */
  hiddenStates?: boolean;
  /** Vocabularies up to this size keep every logit; larger ones keep the top `candidates` (default 32768). */
  fullDistributionMaxVocab?: number;
  /** Candidates kept per step for large vocabularies (default 256). */
  candidates?: number;
  /** Decode batch size (default 64: with hidden states llama.cpp outputs logits for every batch token). */
  batchSize?: number;
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
      logLevel: LlamaLogLevel.warn,
      logger: (_level, message) => {
        recentLogs.push(message.trim());
        if (recentLogs.length > 8) recentLogs.shift();
      },
    });
    llamaInstances.set(gpu, p);
  }
  return p;
}

const MIN_CONTEXT = 16;

/** A GGUF model loaded in llama.cpp; implements `Engine`. One session at a time (see `open`). */
export class LlamaCppEngine implements Engine {
  readonly info: EngineInfo;
  /** The chat format `formatChat` uses (undefined: the model has none we recognise). */
  readonly chatFormat: ChatFormatName | undefined;
  private readonly pieces = new Map<number, string>();
  private context: LlamaContext | null = null;
  /** The context's one sequence, reused by every session (cleared on close). */
  private sequence: LlamaContextSequence | null = null;
  private openSession: LlamaCppSession | null = null;
  private disposed = false;

  private constructor(
    private readonly model: LlamaModel,
    private readonly settings: Required<Omit<LlamaCppLoadOptions, 'chatFormat' | 'gpu'>>,
    info: EngineInfo,
    chatFormat: ChatFormatName | undefined,
  ) {
    this.info = info;
    this.chatFormat = chatFormat;
  }

  /** Loads a GGUF; bad files (missing, corrupt, truncated, unsupported architecture) throw UserError. */
  static async load(modelPath: string, options: LlamaCppLoadOptions = {}): Promise<LlamaCppEngine> {
    const fileInfo = await inspectModelFile(modelPath);
    const llama = await llamaFor(options.gpu ?? false);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath, gpuLayers: options.gpu ? 'auto' : 0 });
    } catch (err) {
      const log = recentLogs.length > 0 ? ` (llama.cpp: ${recentLogs.join(' | ')})` : '';
      throw new UserError(`llama.cpp could not load ${modelPath}: ${(err as Error).message}${log}`);
    }
    const arch = String(fileInfo.metadata.general.architecture);
    const archMeta = fileInfo.architectureMetadata as { block_count?: number };
    const vocabSize = (fileInfo.metadata.tokenizer?.ggml?.tokens ?? []).length;
    const params = model.fileInsights.totalParameters;
    const trainContext = model.trainContextSize;
    const contextSize = options.contextSize ?? Math.min(4096, trainContext);
    if (!Number.isInteger(contextSize) || contextSize < MIN_CONTEXT) {
      await model.dispose();
      throw new UserError(`context size must be an integer >= ${MIN_CONTEXT}, got ${contextSize}`);
    }
    const threads =
      options.threads ?? (params < 100e6 ? 1 : Math.max(1, Math.min(2, availableParallelism())));
    if (!Number.isInteger(threads) || threads < 1) {
      await model.dispose();
      throw new UserError(`threads must be a positive integer, got ${threads}`);
    }
    const fullMax = options.fullDistributionMaxVocab ?? 32768;
    const settings = {
      contextSize,
      threads,
      seed: options.seed ?? 0,
      hiddenStates: options.hiddenStates ?? true,
      fullDistributionMaxVocab: fullMax,
      candidates: options.candidates ?? 256,
      batchSize: options.batchSize ?? 64,
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
        hiddenSize: model.embeddingVectorSize,
        vocabSize,
        contextSize,
        hiddenLayers: settings.hiddenStates ? [-1] : [],
        fullDistribution: vocabSize <= fullMax,
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

  /** Opens the (single) session: throws if one is already open — close it first. */
  async open(prompt: number[] | string): Promise<Session> {
    if (this.disposed) throw new Error('the engine is disposed');
    if (this.openSession)
      throw new Error('a session is already open on this engine; close it first (one at a time)');
    const tokens = typeof prompt === 'string' ? this.promptTokens(prompt) : [...prompt];
    if (tokens.length === 0) throw new UserError('the prompt is empty');
    if (tokens.length > this.info.contextSize)
      throw new UserError(
        `the prompt has ${tokens.length} tokens, more than the context size ${this.info.contextSize} ` +
          '(raise --context-size or shorten the prompt)',
      );
    for (const t of tokens)
      if (!Number.isInteger(t) || t < 0 || t >= this.info.vocabSize)
        throw new UserError(`prompt token ${t} is outside the vocabulary (size ${this.info.vocabSize})`);
    this.context ??= await createGenerationContext(this.model, {
      contextSize: this.settings.contextSize,
      threads: this.settings.threads,
      batchSize: this.settings.batchSize,
      hiddenStates: this.settings.hiddenStates,
    });
    this.sequence ??= this.context.getSequence();
    const session = new LlamaCppSession(this.host(), this.context, this.sequence);
    this.openSession = session;
    try {
      await session.append(tokens);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private host(): SessionHost {
    return {
      vocabSize: this.info.vocabSize,
      contextSize: this.info.contextSize,
      hiddenStates: this.settings.hiddenStates,
      fullDistribution: this.info.fullDistribution,
      candidates: this.settings.candidates,
      defaultSeed: this.settings.seed,
      tokenPiece: (t) => this.tokenPiece(t),
      isEog: (t) => this.isEog(t),
      release: () => {
        this.openSession = null;
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.openSession?.close();
    await this.context?.dispose();
    await this.model.dispose();
  }
}
