/**
 * What sessions of in-process engines share (llama.cpp, reference): after every evaluation they keep
 * the next-token distribution (and whatever else the engine reads then) as one immutable state; a
 * step samples from it with the shared sampler at the uniform of (seed, position); `generate` is a
 * loop of steps; a mark keeps the state, so a rollback restores the distribution with the position.
 */
import { checkAppend, StateMark } from './checks.ts';
import { generateBySteps } from './generateBySteps.ts';
import {
  entropyOf,
  logprobOf,
  type NextTokenDistribution,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from './sampler.ts';
import type {
  AppendOptions,
  EngineInfo,
  GenerateOptions,
  GenerateResult,
  Mark,
  SampleOptions,
  Session,
  StepHint,
  StepResult,
} from './types.ts';

/** The state after the last token: at least the next-token distribution. Never mutated once made. */
export interface NextState {
  readonly dist: NextTokenDistribution;
}

/** What a stepped session needs from its engine. */
export interface SteppedSessionHost {
  /** The engine's info: sizes and hidden layers, which decide what a call may ask for. */
  readonly info: EngineInfo;
  readonly defaultSeed: number;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
}

/** The shared part of an in-process session; see the file comment. */
export abstract class SteppedSession<State extends NextState> implements Session {
  protected readonly ids: number[] = [];
  protected next: State | null = null;
  protected closed = false;

  constructor(protected readonly host: SteppedSessionHost) {}

  get length(): number {
    return this.ids.length;
  }

  tokens(): number[] {
    return [...this.ids];
  }

  generate(opts: GenerateOptions): Promise<GenerateResult> {
    return generateBySteps(this, opts);
  }

  async step(opts: SampleOptions, hint?: StepHint): Promise<StepResult> {
    const { dist } = this.current();
    const position = this.length;
    const token = sampleToken(dist, opts, uniformAt(opts.seed ?? this.host.defaultSeed, position));
    const piece = this.host.tokenPiece(token);
    checkAppend(position, [token], this.host.info);
    await this.evaluate([token], hint?.hidden?.(token, piece) ?? false);
    return { token, piece, logprob: logprobOf(dist, token), isEog: this.host.isEog(token) };
  }

  /** Evaluates tokens (teacher forcing) and keeps the state after the last one. */
  async append(tokens: number[], opts: AppendOptions = {}): Promise<void> {
    this.ensureOpen();
    if (tokens.length === 0) return;
    checkAppend(this.length, tokens, this.host.info);
    await this.evaluate(tokens, opts.hidden ?? false);
  }

  topLogprobs(k: number): Array<[token: number, logprob: number]> {
    return topLogprobsOf(this.current().dist, k);
  }

  entropy(): number {
    return entropyOf(this.current().dist);
  }

  mark(): Mark {
    return new StateMark(this.length, this, this.current());
  }

  abstract hidden(layers: number[]): Promise<Float32Array[]>;
  abstract rollback(mark: Mark): Promise<void>;
  abstract close(): Promise<void>;

  /**
   * Runs the model over checked `tokens` from position `length`, appends them to `ids` and sets
   * `next` (all or nothing); `hidden` asks to keep the last token's hidden state.
   */
  protected abstract evaluate(tokens: readonly number[], hidden: boolean): Promise<void>;

  /** The state after the last token. */
  protected current(): State {
    this.ensureOpen();
    if (this.next === null) throw new Error('the session has no evaluated token yet');
    return this.next;
  }

  protected ensureOpen(): void {
    if (this.closed) throw new Error('the session is closed');
  }
}
