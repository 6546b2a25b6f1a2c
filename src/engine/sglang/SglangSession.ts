/**
 * A session of the SGLang engine: the token sequence lives here, the KV cache on the server.
 * Appends and rollbacks are local (the next request simply sends a different prefix, and the
 * server's radix cache makes the shared part free), `generate` is one `/generate` request per
 * segment (more only when a stop hint was a false alarm), and `hidden` is a one-token request
 * whose prompt ends with the token asked about.
 */
import { UserError } from '../../errors.ts';
import { checkAppend, checkHiddenLayers } from '../checks.ts';
import { checkGenerateOptions } from '../generateBySteps.ts';
import { distributionFromTop, entropyOf } from '../sampler.ts';
import type {
  EngineInfo,
  GeneratedToken,
  GenerateOptions,
  GenerateResult,
  Mark,
  SampleOptions,
  Session,
  StepResult,
} from '../types.ts';

/** What a session needs from its engine. */
export interface SglangSessionHost {
  /** The engine's info: sizes and hidden layers, which decide what a call may ask for. */
  readonly info: EngineInfo;
  /** Top logprobs asked for per token when the entropy is wanted (entropy is then a lower bound). */
  readonly candidates: number;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
  /** One decode request; null when `signal` aborted it. */
  decode(request: DecodeRequest, signal?: AbortSignal): Promise<DecodeResponse | null>;
  /** The final-norm hidden state of the last token of `ids`. */
  lastHidden(ids: readonly number[]): Promise<Float32Array>;
  /** Counts tokens the server decoded past a stop the loop asked for (dropped). */
  overrun(tokens: number): void;
  release(): void;
}

/** A decode request in engine terms. */
export interface DecodeRequest {
  ids: readonly number[];
  maxTokens: number;
  sample: SampleOptions;
  stopTokens: readonly number[];
  stopStrings: readonly string[];
  topLogprobs: number;
}

/** What the server decoded. */
export interface DecodeResponse {
  tokens: number[];
  logprobs: number[];
  /** Alternatives per token (when asked for). */
  top?: Array<Array<[token: number, logprob: number]>>;
  /** True when the server ended the request itself (abort from elsewhere). */
  aborted: boolean;
}

class SglangMark implements Mark {
  constructor(
    readonly length: number,
    readonly owner: SglangSession,
    readonly hidden: Float32Array | null,
  ) {}
}

/** One sequence of the SGLang engine; see `Session`. */
export class SglangSession implements Session {
  private readonly ids: number[];
  /** Hidden state of the last token, when it was fetched since the sequence last changed. */
  private hiddenState: Float32Array | null = null;
  private closed = false;

  constructor(
    private readonly host: SglangSessionHost,
    prompt: readonly number[],
  ) {
    this.ids = [...prompt];
  }

  get length(): number {
    return this.ids.length;
  }

  tokens(): number[] {
    return [...this.ids];
  }

  async append(tokens: number[]): Promise<void> {
    this.ensureOpen();
    if (tokens.length === 0) return;
    checkAppend(this.ids.length, tokens, this.host.info);
    this.ids.push(...tokens);
    this.hiddenState = null;
  }

  async step(opts: SampleOptions): Promise<StepResult> {
    const { tokens } = await this.generate({ sample: opts, maxTokens: 1 });
    const token = tokens[0];
    if (!token) throw new Error('the SGLang server returned no token');
    return { token: token.token, piece: token.piece, logprob: token.logprob, isEog: token.isEog };
  }

  async generate(opts: GenerateOptions): Promise<GenerateResult> {
    checkGenerateOptions(opts);
    this.ensureOpen();
    const out: GeneratedToken[] = [];
    const hints = opts.stopHints?.();
    const stopTokens = hints ? [...hints.tokens] : [];
    const stopStrings = hints ? [...hints.strings] : [];
    const top = Math.max(opts.topLogprobs ?? 0, opts.entropy ? this.host.candidates : 0);
    while (out.length < opts.maxTokens) {
      if (opts.signal?.aborted) return { tokens: out, stoppedBy: 'aborted' };
      const room = this.host.info.contextSize - this.ids.length;
      if (room <= 0)
        throw new UserError(`the context is full: ${this.ids.length} tokens (raise --context-size)`);
      const response = await this.host.decode(
        {
          ids: this.ids,
          maxTokens: Math.min(opts.maxTokens - out.length, room),
          sample: opts.sample,
          stopTokens,
          stopStrings,
          topLogprobs: top,
        },
        opts.signal,
      );
      if (response === null) return { tokens: out, stoppedBy: 'aborted' };
      const n = response.tokens.length;
      for (let i = 0; i < n; i++) {
        const id = response.tokens[i];
        this.ids.push(id);
        this.hiddenState = null;
        const token: GeneratedToken = {
          token: id,
          piece: this.host.tokenPiece(id),
          logprob: response.logprobs[i],
          isEog: this.host.isEog(id),
        };
        const alternatives = response.top?.[i];
        if (alternatives) {
          if (opts.topLogprobs) token.top = alternatives.slice(0, opts.topLogprobs);
          if (opts.entropy) token.entropy = entropyOfTop(alternatives, this.host.info.vocabSize);
        }
        out.push(token);
        const stop = opts.onToken?.(token) ?? false;
        if (token.isEog || stop || out.length >= opts.maxTokens) {
          if (i < n - 1) this.host.overrun(n - 1 - i);
          return { tokens: out, stoppedBy: token.isEog ? 'eos' : stop ? 'stop' : 'length' };
        }
      }
      if (response.aborted) {
        if (opts.signal?.aborted) return { tokens: out, stoppedBy: 'aborted' };
        throw new UserError('the SGLang server aborted the request (see its log)');
      }
      if (n === 0) throw new Error('the SGLang server returned no tokens for a request that asked for some');
      // A stop hint fired where the loop does not stop (e.g. a `}` that closes no brace): go on.
    }
    return { tokens: out, stoppedBy: 'length' };
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    this.ensureOpen();
    checkHiddenLayers(this.host.info, layers);
    if (layers.length === 0) return [];
    this.hiddenState ??= await this.host.lastHidden(this.ids);
    const h = this.hiddenState;
    return layers.map(() => h.slice());
  }

  topLogprobs(): Array<[token: number, logprob: number]> {
    throw new Error(
      'the SGLang engine reports alternatives per generated token (generate({ topLogprobs })), not for the state after the last token',
    );
  }

  entropy(): number {
    throw new Error(
      'the SGLang engine reports entropy per generated token (generate({ entropy: true })), not for the state after the last token',
    );
  }

  mark(): Mark {
    return new SglangMark(this.ids.length, this, this.hiddenState);
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    if (!(mark instanceof SglangMark) || mark.owner !== this)
      throw new Error('rollback: mark is not from this session');
    if (mark.length > this.ids.length)
      throw new Error(`rollback: mark at ${mark.length} is beyond the sequence end ${this.ids.length}`);
    this.ids.length = mark.length;
    this.hiddenState = mark.hidden;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.host.release();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the session is closed');
  }
}

/** Entropy (nats) from the top alternatives a server reports: a lower bound (see `entropyOf`). */
function entropyOfTop(top: ReadonlyArray<readonly [number, number]>, vocabSize: number): number {
  const ids = top.map(([t]) => t);
  const logprobs = top.map(([, lp]) => lp);
  return entropyOf(distributionFromTop(ids, logprobs, 0, vocabSize));
}
