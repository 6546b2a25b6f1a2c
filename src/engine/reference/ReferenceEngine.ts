/**
 * The reference engine: the engine contract over the small transformer in `src/model` (the
 * testbed's trainer), in TypeScript and WASM. It exists for what llama.cpp and SGLang cannot give:
 * the hidden state of every layer (`info.hiddenLayers: 'all'`), for layer ablations of the probe's
 * features, and as an independent check of the llama.cpp engine (same GGUF, same logits within
 * float tolerance). It runs llama / qwen2 / qwen3 GGUFs in F32, F16 or Q8_0 (dequantized to f32),
 * one token at a time on one thread: fast on the ~1M-parameter testbed, far too slow for real models.
 *
 * Layer indices: i in 0..layers−1 is the residual stream after block i (before any norm: HF's
 * `hidden_states[i + 1]`, llama.cpp's `l_out-i`), so the paper's intermediate layer k of HF's
 * numbering is index k − 1 here; −1 is the final RMSNorm's output, the one state llama.cpp and
 * SGLang expose (and HF's last `hidden_states` entry).
 *
 * Tokenization, chat format and the weights hash come from llama.cpp's reader of the same file
 * (vocab only, no weights), so token ids, pieces and the model fingerprint equal the llama.cpp
 * engine's, and bundles and events stores move between the two engines.
 */

import { basename } from 'node:path';
import { UserError } from '../../errors.ts';
import { type LoadedGgufModel, loadGgufModel } from '../../model/ggufModel.ts';
import { createInferState, type InferState } from '../../model/infer.ts';
import type { KernelKind } from '../../model/runtime.ts';
import type { ChatFormatOption } from '../chatFormats.ts';
import { checkContextSize, checkParallel, checkPrompt } from '../checks.ts';
import { LlamaCppEngine } from '../llamacpp/LlamaCppEngine.ts';
import { TokenizerBackedEngine } from '../TokenizerBackedEngine.ts';
import type { Engine, EngineInfo, OpenOptions, Session } from '../types.ts';
import { ReferenceSession } from './ReferenceSession.ts';

/** Options of `ReferenceEngine.load`. */
export interface ReferenceLoadOptions {
  /** Context size in tokens (default: min(4096, the model's training context)). */
  contextSize?: number;
  /** Sessions that can be open at once, each with its own KV cache (default 1). */
  parallel?: number;
  /** Default sampling seed of sessions (when `SampleOptions.seed` is absent). Default 0. */
  seed?: number;
  /** Chat format of `formatChat` (default 'auto': from the GGUF's template and special tokens). */
  chatFormat?: ChatFormatOption;
  /** Matmul kernels: 'wasm' (SIMD, default) or 'ts' (plain TypeScript). */
  kernels?: KernelKind;
}

/** A GGUF model run by the reference transformer; implements `Engine` with every layer's hidden state. */
export class ReferenceEngine extends TokenizerBackedEngine<LlamaCppEngine> implements Engine {
  readonly info: EngineInfo;
  /** KV caches of closed sessions, reused (the WASM heap never frees). */
  private readonly freeStates: InferState[] = [];
  private created = 0;
  private readonly waiting: Array<(state: InferState) => void> = [];
  private readonly openSessions = new Set<ReferenceSession>();
  private disposed = false;

  private constructor(
    private readonly model: LoadedGgufModel,
    tokenizer: LlamaCppEngine,
    private readonly seed: number,
    info: EngineInfo,
  ) {
    super(tokenizer);
    this.info = info;
  }

  /** Loads a GGUF's weights into the reference transformer and its tokenizer through llama.cpp (vocab only). */
  static async load(modelPath: string, options: ReferenceLoadOptions = {}): Promise<ReferenceEngine> {
    const parallel = options.parallel ?? 1;
    checkParallel(parallel);
    const tokenizer = await LlamaCppEngine.loadTokenizer(modelPath, { chatFormat: options.chatFormat });
    try {
      const model = await loadGgufModel(modelPath, { kernels: options.kernels });
      const cfg = model.config;
      if (tokenizer.info.vocabSize !== cfg.vocabSize)
        throw new UserError(
          `${modelPath}: the tokenizer has ${tokenizer.info.vocabSize} tokens but the embedding ${cfg.vocabSize} rows`,
        );
      const contextSize = options.contextSize ?? Math.min(4096, cfg.contextLength);
      checkContextSize(contextSize);
      return new ReferenceEngine(model, tokenizer, options.seed ?? 0, {
        name: 'reference',
        modelId: basename(modelPath),
        architecture: model.arch,
        layers: cfg.layers,
        hiddenSize: cfg.dim,
        vocabSize: cfg.vocabSize,
        contextSize,
        hiddenLayers: 'all',
        fullDistribution: true,
        maxSessions: parallel,
        weightsHash: tokenizer.info.weightsHash,
      });
    } catch (err) {
      await tokenizer.dispose();
      throw err;
    }
  }

  /** Opens a session; waits while `parallel` sessions are open (first come, first served). */
  async open(prompt: number[] | string, _opts: OpenOptions = {}): Promise<Session> {
    if (this.disposed) throw new Error('the engine is disposed');
    const tokens = this.promptIds(prompt);
    checkPrompt(tokens, this.info);
    const session = new ReferenceSession(
      {
        info: this.info,
        defaultSeed: this.seed,
        tokenPiece: (t) => this.tokenizer.tokenPiece(t),
        isEog: (t) => this.tokenizer.isEog(t),
        release: (state) => {
          this.openSessions.delete(session);
          this.releaseState(state);
        },
      },
      await this.acquireState(),
    );
    this.openSessions.add(session);
    try {
      await session.append(tokens);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /** A free KV cache: a pooled one, a new one below `parallel`, or the next one released. */
  private acquireState(): Promise<InferState> {
    const free = this.freeStates.pop();
    if (free) return Promise.resolve(free);
    if (this.created < this.info.maxSessions) {
      this.created++;
      return Promise.resolve(createInferState(this.model, this.info.contextSize));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseState(state: InferState): void {
    const next = this.waiting.shift();
    if (next) next(state);
    else this.freeStates.push(state);
  }

  /** Closes the open sessions (their KV caches go back to the pool) and frees the tokenizer. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const session of [...this.openSessions]) await session.close();
    await this.tokenizer.dispose();
  }
}
