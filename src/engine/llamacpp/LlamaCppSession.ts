/**
 * A session of the llama.cpp engine: one sequence of a shared context, evaluated through the
 * engine's `DecodeScheduler` (so sessions decode in shared batches), with exact erase-based rollback.
 *
 * After each evaluation the session keeps what the next step needs, read before the next decode:
 * - 'full' (small vocabularies): every logit; the shared JS sampler draws.
 * - 'top' (large vocabularies, when top logprobs or entropy were asked for): the top candidates
 *   plus the exact normalizer; the shared JS sampler draws from the candidates.
 * - 'native' (large vocabularies otherwise): llama.cpp's sampler chain draws in C++ with a seed
 *   derived from (seed, position), and only the chosen token's logit and the normalizer come back,
 *   so no step sorts or copies the whole vocabulary (plain llama.cpp speed).
 * Whatever the mode, the token drawn at a position is a function of the seed, the position, the
 * options and the sequence only: batching, other sessions and rollbacks do not change it.
 */
import { UserError } from '../../errors.ts';
import {
  distributionFromLogits,
  distributionFromTop,
  entropyOf,
  logprobOf,
  type NextTokenDistribution,
  positionSeed,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from '../sampler.ts';
import type { AppendOptions, Mark, SampleOptions, Session, StepHint, StepResult } from '../types.ts';
import type { DecodeScheduler } from './DecodeScheduler.ts';
import { type NativeContext, type NativeSampler, SELECTED_ONLY, topFilter } from './internals.ts';

/** How a session reads the next-token distribution (see the file comment). */
export type DistributionMode = 'full' | 'top' | 'native';

/** What a session needs from its engine. */
export interface SessionHost {
  readonly vocabSize: number;
  readonly contextSize: number;
  /** Whether the context keeps hidden states. */
  readonly hiddenStates: boolean;
  readonly candidates: number;
  readonly defaultSeed: number;
  readonly native: NativeContext;
  readonly scheduler: DecodeScheduler;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
  /** Called once when the session closes, after its sequence is cleared. */
  release(): void;
}

/** What the session knows about the position after its last token. Never mutated once made. */
interface NextState {
  /** 'full' / 'top': the distribution the JS sampler draws from. */
  readonly dist: NextTokenDistribution | null;
  /** 'native': log Σ exp(logit) over the vocabulary, and the greedy token. */
  readonly logZ: number;
  readonly greedy: number;
  readonly greedyLogit: number;
  /** 'native': the draw for `drawnFor` at this position. */
  readonly drawn: { key: string; token: number; logprob: number } | null;
  readonly hidden: Float32Array | null;
}

/** A position plus the state after it, so `rollback` restores distribution and hidden state too. */
class LlamaCppMark implements Mark {
  constructor(
    readonly length: number,
    readonly owner: LlamaCppSession,
    readonly next: NextState,
  ) {}
}

/** Counters for tests and benchmarks. */
export interface SessionStats {
  /** Last tokens re-evaluated because what a call needed was not kept (a hidden state, a draw). */
  refreshes: number;
}

const GREEDY: SampleOptions = { temperature: 0 };

/** The identity of the sampling options a native draw was made with (seed resolved). */
function drawKey(opts: SampleOptions, seed: number): string {
  return `${opts.temperature}|${opts.topP ?? ''}|${opts.topK ?? ''}|${seed}`;
}

/** One growing sequence; see `Session`. */
export class LlamaCppSession implements Session {
  private readonly ids: number[] = [];
  private next: NextState | null = null;
  /** The sampling options the next step is expected to use (the last ones given). */
  private expected: SampleOptions;
  private closed = false;
  private readonly greedySampler: NativeSampler;
  private lastSeed: number | null = null;
  readonly stats: SessionStats = { refreshes: 0 };

  constructor(
    private readonly host: SessionHost,
    readonly sequence: number,
    private readonly mode: DistributionMode,
    private readonly sampler: NativeSampler,
    greedySampler: NativeSampler,
    sample: SampleOptions | undefined,
  ) {
    this.greedySampler = greedySampler;
    // A chain that only picks the max keeps every candidate: its weight is over the whole vocabulary.
    greedySampler.applyConfig({ temperature: 0 });
    this.expected = sample ?? GREEDY;
  }

  get length(): number {
    return this.ids.length;
  }

  tokens(): number[] {
    return [...this.ids];
  }

  /** Evaluates tokens and keeps the next-token state after the last one. */
  async append(tokens: number[], opts: AppendOptions = {}): Promise<void> {
    this.ensureOpen();
    if (tokens.length === 0) return;
    const free = this.host.contextSize - this.length;
    if (tokens.length > free)
      throw new UserError(
        `the context is full: ${this.length} + ${tokens.length} tokens exceed the context size ` +
          `${this.host.contextSize} (raise --context-size)`,
      );
    if (opts.next) this.expected = opts.next;
    await this.evaluate(tokens, this.length, opts.hidden ?? false, this.mode);
    this.ids.push(...tokens);
  }

  async step(opts: SampleOptions, hint?: StepHint): Promise<StepResult> {
    this.ensureOpen();
    this.expected = opts;
    const position = this.length;
    const seed = opts.seed ?? this.host.defaultSeed;
    let next = this.state();
    let token: number;
    let logprob: number;
    if (next.dist) {
      token = sampleToken(next.dist, opts, uniformAt(seed, position));
      logprob = logprobOf(next.dist, token);
    } else {
      if (opts.temperature > 0 && next.drawn?.key !== drawKey(opts, seed)) {
        await this.refresh(next.hidden !== null, this.mode);
        next = this.state();
      }
      if (opts.temperature > 0 && next.drawn) ({ token, logprob } = next.drawn);
      else {
        token = next.greedy;
        logprob = next.greedyLogit - next.logZ;
      }
    }
    const piece = this.host.tokenPiece(token);
    const isEog = this.host.isEog(token);
    if (this.length >= this.host.contextSize)
      throw new UserError(`the context is full: ${this.length} tokens (raise --context-size)`);
    await this.evaluate([token], position, hint?.hidden?.(token, piece) ?? false, this.mode);
    this.ids.push(token);
    return { token, piece, logprob, isEog };
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    this.ensureOpen();
    for (const layer of layers)
      if (layer !== -1)
        throw new Error(
          `the llama.cpp engine exposes only the final-norm hidden state (layer -1), not ${layer}`,
        );
    if (!this.host.hiddenStates) throw new Error('this engine was loaded with hiddenStates: false');
    if (layers.length === 0) return [];
    if (this.state().hidden === null) await this.refresh(true, this.mode);
    const h = this.state().hidden as Float32Array;
    return layers.map(() => h.slice());
  }

  topLogprobs(k: number): Array<[token: number, logprob: number]> {
    return topLogprobsOf(this.distribution('topLogprobs'), k);
  }

  entropy(): number {
    return entropyOf(this.distribution('entropy'));
  }

  mark(): Mark {
    return new LlamaCppMark(this.length, this, this.state());
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    if (!(mark instanceof LlamaCppMark) || mark.owner !== this)
      throw new Error('rollback: mark is not from this session');
    if (mark.length > this.length)
      throw new Error(
        `rollback: mark at ${mark.length} is beyond the sequence end ${this.length} (rolled back past it?)`,
      );
    if (mark.length < this.length) await this.erase(mark.length);
    this.next = mark.next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.next = null;
    try {
      await this.host.scheduler.edit(() => this.host.native.disposeSequence(this.sequence));
    } finally {
      this.sampler.dispose();
      this.greedySampler.dispose();
      this.host.release();
    }
  }

  // ------------------------------------------------------------------ internals

  /** Decodes `tokens` from `start` (through the shared scheduler) and reads the next-token state. */
  private async evaluate(tokens: readonly number[], start: number, hidden: boolean, mode: DistributionMode) {
    const nextPosition = start + tokens.length;
    const expected = this.expected;
    await this.host.scheduler.submit({
      sequence: this.sequence,
      start,
      tokens,
      hidden: hidden && this.host.hiddenStates,
      collect: async (index, h) => {
        this.next = await this.read(index, mode, expected, nextPosition, h);
      },
    });
  }

  /** Reads the next-token state at batch logit `index` (runs right after the decode). */
  private async read(
    index: number,
    mode: DistributionMode,
    expected: SampleOptions,
    position: number,
    hidden: Float32Array | null,
  ): Promise<NextState> {
    const native = this.host.native;
    if (mode === 'full') {
      const [, , , flat] = await native.sampleToken(index, this.greedySampler, false, false, true, false);
      if (!flat) throw new Error('llama.cpp returned no logits');
      const full = new Float32Array(this.host.vocabSize).fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < flat.length; i += 2) full[flat[i]] = flat[i + 1];
      const dist = distributionFromLogits(full);
      return { dist, logZ: dist.logZ, greedy: -1, greedyLogit: Number.NaN, drawn: null, hidden };
    }
    if (mode === 'top') {
      const [, , , flat, weight] = await native.sampleToken(
        index,
        this.greedySampler,
        false,
        false,
        topFilter(this.host.candidates),
        true,
      );
      if (!flat || weight === undefined) throw new Error('llama.cpp returned no logits');
      const ids: number[] = [];
      const values: number[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        ids.push(flat[i]);
        values.push(flat[i + 1]);
      }
      // The greedy chain keeps every candidate, so the weight is Σ exp(l − max) over the vocabulary.
      const logZ = values[0] + Math.log(weight);
      const dist = distributionFromTop(ids, values, logZ, this.host.vocabSize);
      return { dist, logZ, greedy: ids[0], greedyLogit: values[0], drawn: null, hidden };
    }
    // 'native': the greedy pass gives the max logit (the greedy token's) and the exact normalizer.
    const [greedy, , , flat, weight] = await native.sampleToken(
      index,
      this.greedySampler,
      false,
      false,
      SELECTED_ONLY,
      true,
    );
    if (!flat || weight === undefined || greedy < 0) throw new Error('llama.cpp returned no logits');
    const logZ = flat[1] + Math.log(weight);
    let drawn: NextState['drawn'] = null;
    if (expected.temperature > 0) {
      const seed = expected.seed ?? this.host.defaultSeed;
      this.configure(expected, positionSeed(seed, position));
      const [token, , , sel] = await native.sampleToken(
        index,
        this.sampler,
        false,
        false,
        SELECTED_ONLY,
        false,
      );
      if (token < 0 || !sel) throw new Error('llama.cpp sampled no token');
      // The filter reads the candidates after the chain divided them by the temperature.
      drawn = { key: drawKey(expected, seed), token, logprob: sel[1] * expected.temperature - logZ };
    }
    return { dist: null, logZ, greedy, greedyLogit: flat[1], drawn, hidden };
  }

  /** Points the native chain at `opts` with a fresh draw seeded by `seed`. */
  private configure(opts: SampleOptions, seed: number): void {
    // llama.cpp re-seeds only when the seed changes; a repeated position must replay its draw.
    if (this.lastSeed === seed) this.sampler.applyConfig({ seed: (seed ^ 1) >>> 0 });
    this.sampler.applyConfig({
      temperature: opts.temperature,
      ...(opts.topK && opts.topK > 0 ? { topK: opts.topK } : {}),
      ...(opts.topP !== undefined && opts.topP > 0 && opts.topP < 1 ? { topP: opts.topP } : {}),
      seed,
    });
    this.lastSeed = seed;
  }

  /** Erases the last token and evaluates it again, keeping what the caller needs this time. */
  private async refresh(hidden: boolean, mode: DistributionMode): Promise<void> {
    const last = this.ids[this.ids.length - 1];
    if (last === undefined) throw new Error('the session has no evaluated token yet');
    this.stats.refreshes++;
    this.host.scheduler.stats.refreshes++;
    await this.erase(this.ids.length - 1);
    await this.evaluate([last], this.ids.length, hidden, mode);
    this.ids.push(last);
  }

  /** Drops tokens [from, length) from the KV cache. */
  private async erase(from: number): Promise<void> {
    const end = this.ids.length;
    const ok = await this.host.scheduler.edit(() =>
      this.host.native.removeTokenCellsFromSequence(this.sequence, from, end),
    );
    if (!ok) throw new Error(`llama.cpp could not erase tokens ${from}..${end} of sequence ${this.sequence}`);
    this.ids.length = from;
  }

  private distribution(what: string): NextTokenDistribution {
    const next = this.state();
    if (!next.dist)
      throw new Error(
        `${what} needs the next-token distribution: open the session with { topLogprobs } or { entropy: true }`,
      );
    return next.dist;
  }

  private state(): NextState {
    this.ensureOpen();
    if (this.next === null) throw new Error('the session has no evaluated token yet');
    return this.next;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the session is closed');
  }
}
