/** A session of the llama.cpp engine: one sequence of one context, with exact erase-based rollback. */
import type { LlamaContext, LlamaContextSequence, Token } from 'node-llama-cpp';
import { UserError } from '../../errors.ts';
import {
  distributionFromLogits,
  distributionFromTop,
  entropyOf,
  logprobOf,
  type NextTokenDistribution,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from '../sampler.ts';
import type { Mark, SampleOptions, Session, StepResult } from '../types.ts';
import { readLastHiddenState } from './internals.ts';

/** What a session needs from its engine. */
export interface SessionHost {
  readonly vocabSize: number;
  readonly contextSize: number;
  /** Whether the context keeps hidden states. */
  readonly hiddenStates: boolean;
  /** Keep every logit (small vocabularies) or the top `candidates` plus the exact normalizer. */
  readonly fullDistribution: boolean;
  readonly candidates: number;
  readonly defaultSeed: number;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
  /** Called once when the session closes. */
  release(): void;
}

/** A position plus the state after it, so `rollback` restores hidden state and distribution too. */
class LlamaCppMark implements Mark {
  constructor(
    readonly length: number,
    readonly owner: LlamaCppSession,
    readonly dist: NextTokenDistribution,
    readonly hidden: Float32Array | null,
  ) {}
}

/** One growing sequence; see `Session`. Only one per engine is open at a time. */
export class LlamaCppSession implements Session {
  private dist: NextTokenDistribution | null = null;
  /** Hidden state of the last token, once read (or restored by a rollback). */
  private hiddenCache: Float32Array | null = null;
  /** True while the context's last decoded row is the sequence's last token. */
  private rowIsCurrent = false;
  private closed = false;

  constructor(
    private readonly host: SessionHost,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
  ) {}

  get length(): number {
    return this.sequence.nextTokenIndex;
  }

  tokens(): number[] {
    return [...this.sequence.contextTokens];
  }

  /** Evaluates tokens and keeps the next-token distribution after the last one. */
  async append(tokens: number[]): Promise<void> {
    this.ensureOpen();
    if (tokens.length === 0) return;
    const free = this.host.contextSize - this.length;
    if (tokens.length > free)
      throw new UserError(
        `the context is full: ${this.length} + ${tokens.length} tokens exceed the context size ` +
          `${this.host.contextSize} (raise --context-size)`,
      );
    const last = tokens.length - 1;
    const generateNext = this.host.fullDistribution
      ? { logits: true as const, options: { temperature: 0 } }
      : {
          logits: { filter: { tokens: [] as Token[], includeTop: this.host.candidates } },
          totalLogitWeight: true,
          options: { temperature: 0 },
        };
    const input = tokens.map((t, i) =>
      i === last ? ([t as Token, { generateNext }] as const) : (t as Token),
    );
    // contextShift is never needed: the length check above keeps the sequence inside the context.
    const out = await this.sequence.controlledEvaluate(
      input as Parameters<LlamaContextSequence['controlledEvaluate']>[0],
    );
    const next = out[last]?.next;
    if (!next?.logits) throw new Error('llama.cpp returned no logits for the last token');
    this.dist = this.toDistribution(next.logits, next.totalLogitWeight);
    this.hiddenCache = null;
    this.rowIsCurrent = true;
  }

  private toDistribution(
    logits: Map<Token, number>,
    totalLogitWeight: number | undefined,
  ): NextTokenDistribution {
    if (this.host.fullDistribution) {
      const full = new Float32Array(this.host.vocabSize).fill(Number.NEGATIVE_INFINITY);
      for (const [t, l] of logits) full[t] = l;
      return distributionFromLogits(full);
    }
    const ids = [...logits.keys()];
    const values = [...logits.values()];
    // llama.cpp's weight is Σ exp(l − max) over the whole vocabulary (the greedy sampler keeps all).
    const max = Math.max(...values);
    if (totalLogitWeight === undefined) throw new Error('llama.cpp returned no totalLogitWeight');
    return distributionFromTop(ids, values, max + Math.log(totalLogitWeight), this.host.vocabSize);
  }

  async step(opts: SampleOptions): Promise<StepResult> {
    const dist = this.distribution();
    const token = sampleToken(dist, opts, uniformAt(opts.seed ?? this.host.defaultSeed, this.length));
    const logprob = logprobOf(dist, token);
    await this.append([token]);
    return { token, piece: this.host.tokenPiece(token), logprob, isEog: this.host.isEog(token) };
  }

  hidden(layers: number[]): Float32Array[] {
    this.ensureOpen();
    return layers.map((layer) => {
      if (layer !== -1)
        throw new Error(
          `the llama.cpp engine exposes only the final-norm hidden state (layer -1), not ${layer}`,
        );
      if (!this.host.hiddenStates) throw new Error('this engine was loaded with hiddenStates: false');
      if (this.hiddenCache === null) {
        if (!this.rowIsCurrent) throw new Error('no evaluated token to read a hidden state from');
        this.hiddenCache = readLastHiddenState(this.context);
      }
      return this.hiddenCache.slice();
    });
  }

  topLogprobs(k: number): Array<[token: number, logprob: number]> {
    return topLogprobsOf(this.distribution(), k);
  }

  entropy(): number {
    return entropyOf(this.distribution());
  }

  mark(): Mark {
    const dist = this.distribution();
    const hidden = this.host.hiddenStates ? this.hidden([-1])[0] : null;
    return new LlamaCppMark(this.length, this, dist, hidden);
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    if (!(mark instanceof LlamaCppMark) || mark.owner !== this)
      throw new Error('rollback: mark is not from this session');
    if (mark.length > this.length)
      throw new Error(
        `rollback: mark at ${mark.length} is beyond the sequence end ${this.length} (rolled back past it?)`,
      );
    if (mark.length < this.length)
      await this.sequence.eraseContextTokenRanges([{ start: mark.length, end: this.length }]);
    this.dist = mark.dist;
    this.hiddenCache = mark.hidden;
    // The context's last row belongs to the erased branch now; only the restored copy is valid.
    this.rowIsCurrent = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dist = null;
    await this.sequence.clearHistory();
    this.host.release();
  }

  private distribution(): NextTokenDistribution {
    this.ensureOpen();
    if (this.dist === null) throw new Error('the session has no evaluated token yet');
    return this.dist;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the session is closed');
  }
}
