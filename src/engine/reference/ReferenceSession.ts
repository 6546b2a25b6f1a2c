/**
 * A session of the reference engine: one `InferState` (KV cache) of the reference transformer in
 * `src/model`, decoded one token at a time. After each evaluation it keeps the next-token
 * distribution and the hidden state of every layer of the last token (a few hundred floats on the
 * models this engine is for), so `hidden` never re-evaluates and a mark restores both exactly.
 *
 * Layer indices of `hidden` (see `ReferenceEngine` for why): i in 0..layers−1 is the residual
 * stream after block i, before any norm (HF `hidden_states[i + 1]`, llama.cpp's `l_out-i`); −1 is
 * the output of the final RMSNorm (what feeds the output projection: llama.cpp's and SGLang's
 * hidden state).
 */
import { UserError } from '../../errors.ts';
import { forwardToken, type InferState, type TokenOutput, truncate } from '../../model/infer.ts';
import { generateBySteps } from '../generateBySteps.ts';
import {
  distributionFromLogits,
  entropyOf,
  logprobOf,
  type NextTokenDistribution,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from '../sampler.ts';
import type { GenerateOptions, GenerateResult, Mark, SampleOptions, Session, StepResult } from '../types.ts';

/** What a session needs from its engine. */
export interface ReferenceSessionHost {
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly defaultSeed: number;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
  /** Called once when the session closes: the state goes back to the engine's pool. */
  release(state: InferState): void;
}

/** The state after the last token. Never mutated once made. */
interface NextState {
  readonly dist: NextTokenDistribution;
  /** Blocks 0..layers−1, then the final norm: `(layers + 1) · dim` floats. */
  readonly hidden: Float32Array;
}

/** A position plus the state after it, so `rollback` restores distribution and hidden state too. */
class ReferenceMark implements Mark {
  constructor(
    readonly length: number,
    readonly owner: ReferenceSession,
    readonly next: NextState,
  ) {}
}

/** One growing sequence of the reference transformer; see `Session`. */
export class ReferenceSession implements Session {
  private readonly ids: number[] = [];
  private next: NextState | null = null;
  private closed = false;

  constructor(
    private readonly host: ReferenceSessionHost,
    private readonly state: InferState,
  ) {
    truncate(state, 0);
  }

  get length(): number {
    return this.ids.length;
  }

  tokens(): number[] {
    return [...this.ids];
  }

  /** Evaluates tokens one at a time (there is no batched prefill: the models are tiny). */
  async append(tokens: number[]): Promise<void> {
    this.ensureOpen();
    if (tokens.length === 0) return;
    if (tokens.length > this.host.contextSize - this.length)
      throw new UserError(
        `the context is full: ${this.length} + ${tokens.length} tokens exceed the context size ` +
          `${this.host.contextSize} (raise --context-size)`,
      );
    for (const t of tokens)
      if (!Number.isInteger(t) || t < 0 || t >= this.host.vocabSize)
        throw new UserError(`token ${t} is outside the vocabulary (size ${this.host.vocabSize})`);
    this.evaluate(tokens);
  }

  generate(opts: GenerateOptions): Promise<GenerateResult> {
    return generateBySteps(this, opts);
  }

  async step(opts: SampleOptions): Promise<StepResult> {
    const { dist } = this.current();
    const position = this.length;
    const token = sampleToken(dist, opts, uniformAt(opts.seed ?? this.host.defaultSeed, position));
    if (position >= this.host.contextSize)
      throw new UserError(`the context is full: ${position} tokens (raise --context-size)`);
    this.evaluate([token]);
    return {
      token,
      piece: this.host.tokenPiece(token),
      logprob: logprobOf(dist, token),
      isEog: this.host.isEog(token),
    };
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    const { hidden } = this.current();
    const cfg = this.state.model.config;
    return layers.map((layer) => {
      if (!(Number.isInteger(layer) && layer >= -1 && layer < cfg.layers))
        throw new UserError(
          `the reference engine has layers -1 (final norm) and 0..${cfg.layers - 1}, not ${layer}`,
        );
      const at = (layer === -1 ? cfg.layers : layer) * cfg.dim;
      return hidden.slice(at, at + cfg.dim);
    });
  }

  topLogprobs(k: number): Array<[token: number, logprob: number]> {
    return topLogprobsOf(this.current().dist, k);
  }

  entropy(): number {
    return entropyOf(this.current().dist);
  }

  mark(): Mark {
    return new ReferenceMark(this.length, this, this.current());
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    if (!(mark instanceof ReferenceMark) || mark.owner !== this)
      throw new Error('rollback: mark is not from this session');
    if (mark.length > this.length)
      throw new Error(
        `rollback: mark at ${mark.length} is beyond the sequence end ${this.length} (rolled back past it?)`,
      );
    // Cached keys and values past the mark are overwritten by whatever comes next.
    truncate(this.state, mark.length);
    this.ids.length = mark.length;
    this.next = mark.next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.next = null;
    this.host.release(this.state);
  }

  /** Runs the transformer over `tokens` and keeps the state after the last one. */
  private evaluate(tokens: readonly number[]): void {
    const start = this.ids.length;
    let out: TokenOutput | undefined;
    try {
      for (const t of tokens) {
        out = forwardToken(this.state, t);
        this.ids.push(t);
      }
    } catch (err) {
      // All or nothing: the session stays at the state after `start`.
      this.ids.length = start;
      truncate(this.state, start);
      throw err;
    }
    if (!out) return;
    const { dim, layers } = this.state.model.config;
    const hidden = new Float32Array((layers + 1) * dim);
    out.hiddenPerLayer.forEach((h, l) => {
      hidden.set(h, l * dim);
    });
    hidden.set(out.finalHidden, layers * dim);
    this.next = { dist: distributionFromLogits(out.logits), hidden };
  }

  private current(): NextState {
    this.ensureOpen();
    if (this.next === null) throw new Error('the session has no evaluated token yet');
    return this.next;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the session is closed');
  }
}
