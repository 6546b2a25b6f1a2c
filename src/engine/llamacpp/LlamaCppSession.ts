/**
 * A session of the llama.cpp engine: one sequence of a shared context, evaluated through the
 * engine's `DecodeScheduler` (so sessions decode in shared batches), with exact erase-based rollback.
 *
 * After each evaluation the session reads what the next step needs, before the next decode:
 * - 'top': the `candidates` most likely tokens with their logits, plus the exact normalizer over
 *   the whole vocabulary. llama.cpp picks them (a partial sort on large vocabularies), so no step
 *   sorts or copies the whole vocabulary into JavaScript.
 * - 'full' (small vocabularies, when the exact entropy or more top logprobs than `candidates` are
 *   asked for at `open`): every logit.
 * The shared JS sampler (`../sampler.ts`) draws from them with the uniform of (seed, position), so
 * the token drawn at a position depends on the seed, the position, the options and the sequence
 * only: batching, other sessions and rollbacks do not change it.
 */
import { checkHiddenLayers, ownMark } from '../checks.ts';
import { type NextState, SteppedSession, type SteppedSessionHost } from '../SteppedSession.ts';
import { distributionFromLogits, distributionFromTop, type NextTokenDistribution } from '../sampler.ts';
import type { Mark } from '../types.ts';
import type { DecodeScheduler } from './DecodeScheduler.ts';
import { type NativeContext, type NativeSampler, topFilter } from './internals.ts';

/** How a session reads the next-token distribution (see the file comment). */
export type DistributionMode = 'full' | 'top';

/** What a session needs from its engine. */
export interface SessionHost extends SteppedSessionHost {
  /** Whether the context keeps hidden states. */
  readonly hiddenStates: boolean;
  readonly candidates: number;
  /** Vocabularies up to this size are sorted whole by llama.cpp in one pass. */
  readonly smallVocab: boolean;
  readonly native: NativeContext;
  readonly scheduler: DecodeScheduler;
  /** Called once when the session closes, after its sequence is cleared. */
  release(): void;
}

/** What the session knows about the position after its last token. Never mutated once made. */
interface LlamaState extends NextState {
  readonly hidden: Float32Array | null;
}

/** Counters for tests and benchmarks. */
export interface SessionStats {
  /** Last tokens re-evaluated because a hidden state was asked for that was not kept. */
  refreshes: number;
}

/** One growing sequence; see `Session`. */
export class LlamaCppSession extends SteppedSession<LlamaState> {
  readonly stats: SessionStats = { refreshes: 0 };

  /**
   * @param greedySampler a chain that only picks the max: it keeps every candidate, so its weight
   *   is over the whole vocabulary.
   * @param topSampler a chain whose top-k keeps the `candidates` most likely, partially sorted.
   */
  constructor(
    protected override readonly host: SessionHost,
    readonly sequence: number,
    private readonly mode: DistributionMode,
    private readonly greedySampler: NativeSampler,
    private readonly topSampler: NativeSampler,
  ) {
    super(host);
    greedySampler.applyConfig({ temperature: 0 });
    topSampler.applyConfig({ temperature: 1, topK: host.candidates, seed: 0 });
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    this.ensureOpen();
    checkHiddenLayers(this.host.info, layers);
    if (layers.length === 0) return [];
    if (this.current().hidden === null) await this.refresh();
    const h = this.current().hidden as Float32Array;
    return layers.map(() => h.slice());
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    const own = ownMark<LlamaState>(mark, this, this.length);
    if (own.length < this.length) await this.erase(own.length);
    this.next = own.state;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.next = null;
    try {
      await this.host.scheduler.edit(() => this.host.native.disposeSequence(this.sequence));
    } finally {
      this.greedySampler.dispose();
      this.topSampler.dispose();
      this.host.release();
    }
  }

  // ------------------------------------------------------------------ internals

  /** Decodes `tokens` after the sequence (through the shared scheduler) and reads the next-token state. */
  protected async evaluate(tokens: readonly number[], hidden: boolean): Promise<void> {
    await this.host.scheduler.submit({
      sequence: this.sequence,
      start: this.ids.length,
      tokens,
      hidden: hidden && this.host.hiddenStates,
      collect: async (index, h) => {
        this.next = { dist: await this.read(index), hidden: h };
      },
    });
    this.ids.push(...tokens);
  }

  /** Reads the next-token distribution at batch logit `index` (runs right after the decode). */
  private async read(index: number): Promise<NextTokenDistribution> {
    const native = this.host.native;
    if (this.mode === 'full') {
      const [, , , flat] = await native.sampleToken(index, this.greedySampler, false, false, true, false);
      if (!flat) throw new Error('llama.cpp returned no logits');
      const full = new Float32Array(this.host.info.vocabSize).fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < flat.length; i += 2) full[flat[i]] = flat[i + 1];
      return distributionFromLogits(full);
    }
    if (this.host.smallVocab) {
      // A small vocabulary is sorted whole cheaply: one call gives the top and the whole weight.
      const [, , , flat, weight] = await native.sampleToken(
        index,
        this.greedySampler,
        false,
        false,
        topFilter(this.host.candidates),
        true,
      );
      if (!flat || weight === undefined) throw new Error('llama.cpp returned no logits');
      return this.topDistribution(flat, flat[1] + Math.log(weight));
    }
    // Large vocabulary, two calls that run side by side on libuv's pool: the greedy chain keeps
    // every candidate, so its weight Σ exp(l − max) is over the whole vocabulary (asked for alone,
    // so the addon neither sorts nor copies the vocabulary); the top-k chain's partial sort gives the
    // candidates, the first of which is the max (temperature 1 leaves the logits as they are).
    const [[, , , , weight], [, , , flat]] = await Promise.all([
      native.sampleToken(index, this.greedySampler, false, false, false, true),
      native.sampleToken(index, this.topSampler, false, false, topFilter(this.host.candidates), false),
    ]);
    if (!flat || weight === undefined) throw new Error('llama.cpp returned no logits');
    return this.topDistribution(flat, flat[1] + Math.log(weight));
  }

  private topDistribution(flat: number[], logZ: number): NextTokenDistribution {
    const n = flat.length >> 1;
    const ids = new Int32Array(n);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      ids[i] = flat[2 * i];
      values[i] = flat[2 * i + 1];
    }
    return distributionFromTop(ids, values, logZ, this.host.info.vocabSize);
  }

  /** Erases the last token and evaluates it again, keeping what the caller needs this time. */
  private async refresh(): Promise<void> {
    const last = this.ids[this.ids.length - 1];
    if (last === undefined) throw new Error('the session has no evaluated token yet');
    this.stats.refreshes++;
    this.host.scheduler.stats.refreshes++;
    await this.erase(this.ids.length - 1);
    await this.evaluate([last], true);
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
}
