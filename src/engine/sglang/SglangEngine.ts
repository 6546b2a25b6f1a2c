/**
 * The SGLang engine: the engine contract over a running SGLang server (one GPU, a multi-node
 * tensor-parallel deployment, or a Model Gateway in front of replicas), through its native
 * `/generate` API with token ids in and out. The tokenizer is a local copy of the model's (a GGUF
 * of the same model; vocab-only is enough), checked against the server's at connect.
 *
 * Hidden states: SGLang returns the final-norm state (what feeds lm_head). The vector a decode
 * step sends is the state at the previous input token, and the last generated token gets none, so
 * the state of a cue token is read with a one-token request whose prompt ends with the cue: with
 * the radix cache only that token is computed, and its row is exactly llama.cpp's state of the
 * last evaluated token (what the probe was trained on).
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../../errors.ts';
import { checkParallel, checkPrompt } from '../checks.ts';
import { TokenizerBackedEngine } from '../TokenizerBackedEngine.ts';
import type { Engine, EngineInfo, ModelTokenizer, OpenOptions, Session } from '../types.ts';
import { SglangClient, type SglangClientOptions, SglangHttpError } from './client.ts';
import { type DecodeRequest, type DecodeResponse, SglangSession } from './SglangSession.ts';
import {
  hiddenVectorCount,
  lastInputState,
  type WireGenerateRequest,
  WireGenerateResponse,
  WireModelInfo,
  WireServerInfo,
} from './wire.ts';

/** Options of `SglangEngine.connect`. */
export interface SglangConnectOptions extends SglangClientOptions {
  /** The model's tokenizer (e.g. `LlamaCppEngine.loadTokenizer(gguf)`): ids are made and read here. */
  tokenizer: ModelTokenizer;
  /** `dispose()` (and a failed connect) also frees the tokenizer. Default false: the caller owns it. */
  ownsTokenizer?: boolean;
  /** Sessions in flight at once; the server batches their requests (default 64). */
  parallel?: number;
  /** Sampling seed of requests whose options name none (default 0), sent as `sampling_seed`. */
  seed?: number;
  /** Context size (default: the server's `context_length`, else the tokenizer file's). */
  contextSize?: number;
  /**
   * How hidden states are asked for: 'full' (`return_hidden_states: true`, any SGLang with the
   * feature) or 'last' (only the final vector; builds with PR #30177). Default 'full': the
   * one-token requests make both transfer one vector when the radix cache holds the prefix.
   */
  hiddenMode?: SglangHiddenMode;
  /** Alternatives asked for per token when a policy reads entropy (default 20; entropy is then a lower bound). */
  candidates?: number;
}

/** How hidden states are asked for: see `SglangConnectOptions.hiddenMode`. */
export type SglangHiddenMode = 'full' | 'last';
/** Every `SglangHiddenMode`, for option parsers and their messages. */
export const SGLANG_HIDDEN_MODES: readonly SglangHiddenMode[] = ['full', 'last'];
/** 'full': every SGLang build accepts it (the radix cache makes it one vector per read anyway). */
export const DEFAULT_SGLANG_HIDDEN_MODE: SglangHiddenMode = 'full';

/** Transfer counters, for benchmarks and the runbook's cost per cue. */
export interface SglangEngineStats {
  /** `/generate` requests that decoded a segment, a trial or an answer. */
  decodeRequests: number;
  /** One-token requests that read a hidden state. */
  hiddenRequests: number;
  /** Hidden-state vectors received. */
  hiddenVectors: number;
  /** Tokens the server decoded after a stop the loop asked for, dropped. */
  overrunTokens: number;
  /** Prompt tokens the server reported as served from its prefix cache, and all prompt tokens. */
  cachedTokens: number;
  promptTokens: number;
}

/** Text whose tokenization the server and the local tokenizer must agree on (cues, braces, digits, specials, unicode). */
const TOKENIZER_PROBE = 'Hmm, wait: 12 + 7 = 19. Alternatively, \\boxed{19}. </think> Ünïcödé ✓ «ok»';

/** SGLang's refusal when the server runs without --enable-return-hidden-states. */
const HIDDEN_OFF_MESSAGE = /not configured to return the hidden states|enable[-_]return[-_]hidden[-_]states/i;
/** Why an engine on a server without hidden states has no layers (see `EngineInfo.hiddenLayersHint`). */
export const SGLANG_HIDDEN_OFF_HINT =
  'the SGLang server returns no hidden states: relaunch it with --enable-return-hidden-states';
/** Any refusal that names the field (e.g. an older build's validation error for "last"). */
const HIDDEN_FIELD_MESSAGE = /return[_ ]hidden[_ ]states/i;

/** An SGLang server behind the engine contract; see the file comment. */
export class SglangEngine extends TokenizerBackedEngine implements Engine {
  readonly info: EngineInfo;
  readonly client: SglangClient;
  readonly stats: SglangEngineStats = {
    decodeRequests: 0,
    hiddenRequests: 0,
    hiddenVectors: 0,
    overrunTokens: 0,
    cachedTokens: 0,
    promptTokens: 0,
  };
  /** What the server said about itself at connect. */
  readonly server: { modelPath: string; version?: string; hiddenStates: boolean };
  private readonly seed: number;
  private readonly hiddenMode: SglangHiddenMode;
  private readonly ownsTokenizer: boolean;
  private readonly candidates: number;
  private readonly inFlight = new Set<AbortController>();
  private open_ = 0;
  private readonly waiting: Array<() => void> = [];
  private disposed = false;

  private constructor(
    client: SglangClient,
    opts: SglangConnectOptions,
    server: SglangEngine['server'],
    contextSize: number,
  ) {
    super(opts.tokenizer);
    this.client = client;
    this.server = server;
    this.seed = opts.seed ?? 0;
    this.hiddenMode = opts.hiddenMode ?? DEFAULT_SGLANG_HIDDEN_MODE;
    this.ownsTokenizer = opts.ownsTokenizer ?? false;
    this.candidates = opts.candidates ?? 20;
    const t = opts.tokenizer.info;
    this.info = {
      name: 'sglang',
      modelId: server.modelPath,
      architecture: t.architecture,
      layers: t.layers,
      hiddenSize: t.hiddenSize,
      vocabSize: t.vocabSize,
      contextSize,
      hiddenLayers: server.hiddenStates ? [-1] : [],
      ...(server.hiddenStates ? {} : { hiddenLayersHint: SGLANG_HIDDEN_OFF_HINT }),
      fullDistribution: false,
      maxSessions: opts.parallel ?? 64,
    };
  }

  /**
   * Connects to the server at `opts.url` and checks it: reachable, a generation model, speculative
   * decoding off, its tokenizer equal to the local one, and (with hidden states on) the same hidden
   * size. Every failure is a UserError that says what to change.
   */
  static async connect(opts: SglangConnectOptions): Promise<SglangEngine> {
    try {
      return await SglangEngine.connectWith(opts);
    } catch (err) {
      if (opts.ownsTokenizer) await opts.tokenizer.dispose?.();
      throw err;
    }
  }

  private static async connectWith(opts: SglangConnectOptions): Promise<SglangEngine> {
    checkParallel(opts.parallel ?? 64, 4096);
    if (opts.hiddenMode !== undefined && !SGLANG_HIDDEN_MODES.includes(opts.hiddenMode))
      throw new UserError(`hiddenMode must be 'full' or 'last', got ${JSON.stringify(opts.hiddenMode)}`);
    const client = new SglangClient(opts);
    const model = await client.get('/get_model_info', WireModelInfo);
    if (model.is_generation === false)
      throw new UserError(
        `the SGLang server at ${client.url} serves ${model.model_path}, which is not a generation model`,
      );
    let info: WireServerInfo = {};
    try {
      info = await client.get('/get_server_info', WireServerInfo);
    } catch (err) {
      if (!(err instanceof SglangHttpError && err.status === 404)) throw err;
    }
    if (info.speculative_algorithm)
      throw new UserError(
        `the SGLang server at ${client.url} runs speculative decoding (${info.speculative_algorithm}); its hidden states are then misattributed (SGLang issue #26163): launch it without --speculative-algorithm`,
      );
    const contextSize = opts.contextSize ?? info.context_length ?? opts.tokenizer.info.contextSize;
    const engine = new SglangEngine(
      client,
      opts,
      {
        modelPath: model.model_path,
        ...(info.version ? { version: info.version } : {}),
        hiddenStates: info.enable_return_hidden_states !== false,
      },
      contextSize,
    );
    await engine.checkTokenizer();
    return engine;
  }

  /** Sends the probe text as text: the server's token ids must be the local tokenizer's. */
  private async checkTokenizer(): Promise<void> {
    const local = this.tokenizer.promptTokens(TOKENIZER_PROBE);
    const body = {
      text: TOKENIZER_PROBE,
      sampling_params: { max_new_tokens: 1, temperature: 0 },
      return_logprob: true,
      logprob_start_len: 0,
      rid: `lynx-check-${randomUUID()}`,
      ...(this.server.hiddenStates ? { return_hidden_states: this.hiddenField() } : {}),
    };
    let response: WireGenerateResponse;
    try {
      response = await this.client.post('/generate', body, WireGenerateResponse);
    } catch (err) {
      if (!(err instanceof SglangHttpError && this.server.hiddenStates)) throw err;
      if (HIDDEN_OFF_MESSAGE.test(err.serverMessage)) {
        // Connect anyway (policies without hidden states work); reading one names the flag.
        (this.server as { hiddenStates: boolean }).hiddenStates = false;
        Object.assign(this.info, { hiddenLayers: [], hiddenLayersHint: SGLANG_HIDDEN_OFF_HINT });
        return this.checkTokenizer();
      }
      if (this.hiddenMode === 'last' && HIDDEN_FIELD_MESSAGE.test(err.serverMessage))
        throw new UserError(
          `the SGLang server at ${this.client.url} does not accept return_hidden_states "last" (${err.serverMessage}); ` +
            'that mode came with SGLang PR #30177: use --sglang-hidden full, or a newer SGLang',
        );
      throw err;
    }
    const input = response.meta_info.input_token_logprobs as Array<[unknown, number]> | undefined;
    if (Array.isArray(input)) {
      const remote = input.map((e) => e[1]);
      if (remote.length !== local.length || remote.some((t, i) => t !== local[i]))
        throw new UserError(
          `the SGLang server's model (${this.server.modelPath}) tokenizes differently from the local tokenizer ` +
            `(${this.tokenizer.info.modelId}): ${JSON.stringify(TOKENIZER_PROBE)} is [${remote.join(',')}] there and ` +
            `[${local.join(',')}] here; pass (--model) a GGUF of the model the server runs`,
        );
    }
    if (this.server.hiddenStates) {
      const h = lastInputState(response.meta_info.hidden_states);
      // Any row will do: only its length is checked.
      if (h && h.length !== this.info.hiddenSize)
        throw new UserError(
          `the SGLang server's model (${this.server.modelPath}) has hidden size ${h.length}, but the tokenizer file ` +
            `${this.tokenizer.info.modelId} describes a model with hidden size ${this.info.hiddenSize}: they are different models`,
        );
    }
  }

  /** Opens a session (nothing is sent until it decodes); waits while `parallel` sessions are open. */
  async open(prompt: number[] | string, _opts: OpenOptions = {}): Promise<Session> {
    if (this.disposed) throw new Error('the engine is disposed');
    const tokens = this.promptIds(prompt);
    checkPrompt(tokens, this.info);
    if (this.open_ >= this.info.maxSessions) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.open_++;
    return new SglangSession(
      {
        info: this.info,
        candidates: this.candidates,
        tokenPiece: (t) => this.tokenizer.tokenPiece(t),
        isEog: (t) => this.tokenizer.isEog(t),
        decode: (request, signal) => this.decode(request, signal),
        lastHidden: (ids) => this.lastHidden(ids),
        overrun: (n) => {
          this.stats.overrunTokens += n;
        },
        release: () => {
          this.open_--;
          this.waiting.shift()?.();
        },
      },
      tokens,
    );
  }

  /** Stops every request in flight (sessions fail afterwards); frees the tokenizer when it owns it. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const controller of this.inFlight) controller.abort();
    if (this.ownsTokenizer) await this.tokenizer.dispose?.();
  }

  // ------------------------------------------------------------------ requests

  private async decode(request: DecodeRequest, signal?: AbortSignal): Promise<DecodeResponse | null> {
    const { sample } = request;
    const body: WireGenerateRequest = {
      input_ids: [...request.ids],
      sampling_params: {
        max_new_tokens: request.maxTokens,
        temperature: sample.temperature,
        ...(sample.topP !== undefined ? { top_p: sample.topP } : {}),
        ...(sample.topK ? { top_k: sample.topK } : {}),
        ...(sample.temperature > 0 ? { sampling_seed: sample.seed ?? this.seed } : {}),
        ...(request.stopTokens.length > 0 ? { stop_token_ids: [...request.stopTokens] } : {}),
        ...(request.stopStrings.length > 0 ? { stop: [...request.stopStrings] } : {}),
        no_stop_trim: true,
        skip_special_tokens: false,
      },
      rid: `lynx-${randomUUID()}`,
      stream: false,
      return_logprob: true,
      ...(request.topLogprobs > 0 ? { top_logprobs_num: request.topLogprobs } : {}),
    };
    const response = await this.send(body, signal);
    if (response === null) return null;
    this.stats.decodeRequests++;
    const meta = response.meta_info;
    const tokens = [...response.output_ids];
    const logprobs = (meta.output_token_logprobs ?? []).map((e) => e[0] ?? Number.NaN);
    if (logprobs.length !== tokens.length)
      throw new UserError(
        `SGLang returned ${tokens.length} tokens but ${logprobs.length} logprobs; is return_logprob supported by this server?`,
      );
    const top = meta.output_top_logprobs?.map((entries) =>
      (entries ?? []).map((e) => [e[1], e[0] ?? Number.NEGATIVE_INFINITY] as [number, number]),
    );
    return { tokens, logprobs, ...(top ? { top } : {}), aborted: meta.finish_reason?.type === 'abort' };
  }

  /** The `return_hidden_states` value of the configured mode. */
  private hiddenField(): true | 'last' {
    return this.hiddenMode === 'last' ? 'last' : true;
  }

  private async lastHidden(ids: readonly number[]): Promise<Float32Array> {
    if (!this.server.hiddenStates)
      throw new UserError(
        `the SGLang server at ${this.client.url} does not return hidden states: launch it with --enable-return-hidden-states`,
      );
    const body: WireGenerateRequest = {
      input_ids: [...ids],
      sampling_params: { max_new_tokens: 1, temperature: 0 },
      rid: `lynx-h-${randomUUID()}`,
      stream: false,
      return_hidden_states: this.hiddenField(),
    };
    let response: WireGenerateResponse | null;
    try {
      response = await this.send(body);
    } catch (err) {
      if (err instanceof SglangHttpError && HIDDEN_FIELD_MESSAGE.test(err.serverMessage))
        throw new UserError(
          `the SGLang server at ${this.client.url} refused hidden states (${err.serverMessage}): launch it with --enable-return-hidden-states` +
            (this.hiddenMode === 'last'
              ? ", or use --sglang-hidden full on builds without the 'last' mode"
              : ''),
        );
      throw err;
    }
    if (response === null) throw new Error('aborted');
    this.stats.hiddenRequests++;
    const meta = response.meta_info;
    this.stats.hiddenVectors += hiddenVectorCount(meta.hidden_states);
    const computed =
      meta.prompt_tokens !== undefined && meta.cached_tokens !== undefined
        ? meta.prompt_tokens - meta.cached_tokens
        : undefined;
    const h = lastInputState(meta.hidden_states, computed);
    if (!h)
      throw new UserError(
        `the SGLang server at ${this.client.url} sent no hidden state; launch it with --enable-return-hidden-states`,
      );
    if (h.length !== this.info.hiddenSize)
      throw new UserError(
        `the SGLang server sent a hidden state of size ${h.length}; the model's hidden size is ${this.info.hiddenSize}`,
      );
    return Float32Array.from(h);
  }

  /** POSTs one /generate; on `signal` the server is told to abort it and null is returned. */
  private async send(body: WireGenerateRequest, signal?: AbortSignal): Promise<WireGenerateResponse | null> {
    if (this.disposed) throw new Error('the engine is disposed');
    if (signal?.aborted) return null;
    const controller = new AbortController();
    const onAbort = () => {
      controller.abort();
      void this.client.abort(body.rid);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.inFlight.add(controller);
    try {
      const response = await this.client.post('/generate', body, WireGenerateResponse, controller.signal);
      this.stats.promptTokens += response.meta_info.prompt_tokens ?? body.input_ids.length;
      this.stats.cachedTokens += response.meta_info.cached_tokens ?? 0;
      return response;
    } catch (err) {
      if (controller.signal.aborted) {
        if (signal?.aborted) return null;
        throw new Error('the engine was disposed while a request was in flight');
      }
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(controller);
    }
  }
}
