/**
 * Continuous batching over one llama.cpp context: the evaluations every open session asks for are
 * packed into shared decodes, and each session reads its own results (logits, the hidden state of
 * its last token) right after the decode that computed them, before the next decode overwrites them.
 *
 * What shapes the batches (llama.cpp v0.5.0 as node-llama-cpp 3.22.1 builds it: one KV stream per
 * sequence, `kv_unified = false`):
 * - Only the LAST token's hidden state is readable (see `internals.ts`): a job that wants its
 *   hidden state ends its batch, and at most one such job completes per batch.
 * - llama.cpp cuts a batch into one compute pass per run of consecutive, increasing sequence ids.
 *   Tokens are therefore added in id order, and a gap in the ids is filled with a pad token on the
 *   missing sequence (at its next position, erased right after): a pad costs one more row, a cut
 *   costs a whole pass over the weights.
 * - Batch invariance: a session's results must not depend on what else is in its batch. The CPU
 *   matmul for float weights (F32/F16/BF16) takes another kernel for one row than for several
 *   (llamafile's sgemm starts at two), which changes the rounding; quantized weights give the same
 *   bits either way. For float-weight models a lone token is padded too, on the sequence just below
 *   it (sequence 0 is a scratch sequence no session uses, so there always is one).
 * - A chunk of several tokens (a prompt, an appended exit cue) is decoded on its own, and chunks
 *   and single-token steps alternate, so neither waits more than one batch.
 * KV-cache edits (rollback, closing a sequence) run between decodes, never during one.
 */
import { type NativeContext, readLastHiddenState } from './internals.ts';

/** The sequence id no session uses: pads go there when no lower sequence is in use. */
export const SCRATCH_SEQUENCE = 0;

/** One evaluation: `tokens` of `sequence`, the first at position `start`. */
export interface DecodeJob {
  sequence: number;
  start: number;
  tokens: readonly number[];
  /** Read the final-norm hidden state of the last token (the job then ends its batch). */
  hidden: boolean;
  /**
   * Runs right after the decode that evaluated the last token, before any other decode: read the
   * next-token distribution at `logitIndex` here. `hidden` is set when the job asked for it.
   */
  collect(logitIndex: number, hidden: Float32Array | null): Promise<void>;
}

interface Item {
  p: Pending;
  take: number;
}

interface Pending {
  job: DecodeJob;
  /** Tokens already decoded (a long prompt spans several batches). */
  done: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Counters for benchmarks and tests. */
export interface SchedulerStats {
  /** Decodes run. */
  batches: number;
  /** Tokens evaluated. */
  tokens: number;
  /** Decodes that held more than one sequence. */
  sharedBatches: number;
  /** Last tokens sessions re-evaluated because what a call needed was not kept. */
  refreshes: number;
  /** Pad rows decoded (gaps between sequence ids, lone float-model tokens; see the file comment). */
  padded: number;
}

/** Packs sessions' evaluations into shared decodes; see the file comment. */
export class DecodeScheduler {
  private readonly queue: Pending[] = [];
  private readonly edits: Array<() => void> = [];
  private draining = false;
  private lastWasSteps = false;
  private decoding = false;
  readonly stats: SchedulerStats = { batches: 0, tokens: 0, sharedBatches: 0, refreshes: 0, padded: 0 };

  /**
   * @param padLoneTokens pad one-token decodes (float-weight models, see the file comment).
   */
  constructor(
    private readonly native: NativeContext,
    private readonly batchSize: number,
    private readonly padLoneTokens: boolean,
  ) {}

  /** Queues an evaluation; resolves once it is decoded and its `collect` has run. */
  submit(job: DecodeJob): Promise<void> {
    if (job.tokens.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ job, done: 0, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Start on the next macrotask, so sessions that are ready in this one join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Runs a KV-cache edit now when no decode is running, else right after the current one. */
  edit<T>(fn: () => T): Promise<T> {
    if (!this.decoding) {
      // Synchronously: a decode starting before a deferred edit ran would race with it.
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.edits.push(() => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.runBatch();
        // A macrotask boundary: every session whose job just finished gets to queue its next one
        // (however many awaits deep it is) before the next batch is packed.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.draining = false;
    }
  }

  /** The next batch: a chunk on its own, or single-token steps in sequence-id order (see the file comment). */
  private pack(): { items: Item[]; hidden: Pending | null } {
    const chunk = this.queue.find((p) => p.job.tokens.length - p.done > 1);
    const steps = this.queue.filter((p) => p.job.tokens.length - p.done === 1);
    if (chunk && (this.lastWasSteps || steps.length === 0)) {
      this.lastWasSteps = false;
      const left = chunk.job.tokens.length - chunk.done;
      const take = Math.min(left, this.batchSize);
      return { items: [{ p: chunk, take }], hidden: take === left && chunk.job.hidden ? chunk : null };
    }
    this.lastWasSteps = true;
    steps.sort((a, b) => a.job.sequence - b.job.sequence);
    // The hidden row must be the batch's last: the highest id that wants one ends the batch, and
    // jobs above it (and other hidden jobs) wait for the next batch.
    const hidden = steps.findLast((p) => p.job.hidden) ?? null;
    const chosen = steps.filter((p) =>
      hidden ? p === hidden || (!p.job.hidden && p.job.sequence < hidden.job.sequence) : true,
    );
    return { items: chosen.slice(-this.batchSize).map((p) => ({ p, take: 1 })), hidden };
  }

  /** Pad rows for the ids missing between the batch's sequences (and under a lone float-model token). */
  private pads(items: Item[]): Array<{ sequence: number; position: number }> {
    if (items.length === 0 || items[0].take > 1) return [];
    const ids = items.map((it) => it.p.job.sequence);
    const lo = ids.length === 1 && this.padLoneTokens ? ids[0] - 1 : ids[0];
    const pads: Array<{ sequence: number; position: number }> = [];
    const used = new Set(ids);
    for (let seq = lo; seq < ids[ids.length - 1]; seq++)
      if (!used.has(seq) && pads.length < this.batchSize - items.length)
        pads.push({ sequence: seq, position: this.native.getSequenceKvCacheMaxPosition(seq) + 1 });
    return pads;
  }

  private async runBatch(): Promise<void> {
    const { items, hidden: hiddenJob } = this.pack();
    const pads = this.pads(items);
    const rows = [
      ...pads.map((pad) => ({ sequence: pad.sequence, pad })),
      ...items.map((it) => ({ sequence: it.p.job.sequence, item: it })),
    ].sort((a, b) => a.sequence - b.sequence);
    const tokens = items.reduce((n, it) => n + it.take, 0);
    const logitIndex = new Map<Pending, number>();
    this.decoding = true;
    try {
      this.native.initBatch(tokens + pads.length);
      for (const row of rows) {
        if ('pad' in row && row.pad) {
          this.native.addToBatch(row.sequence, row.pad.position, Uint32Array.of(0), new Uint32Array(0));
          continue;
        }
        const { p, take } = (row as { item: Item }).item;
        const completes = p.done + take === p.job.tokens.length;
        const idx = this.native.addToBatch(
          p.job.sequence,
          p.job.start + p.done,
          Uint32Array.from(p.job.tokens.slice(p.done, p.done + take)),
          completes ? Uint32Array.of(take - 1) : new Uint32Array(0),
        );
        if (completes) logitIndex.set(p, idx[0]);
      }
      await this.native.decodeBatch();
    } catch (err) {
      this.decoding = false;
      this.erasePads(pads);
      this.runEdits();
      for (const { p } of items) this.fail(p, err);
      return;
    }
    this.decoding = false;
    const hidden = hiddenJob && logitIndex.has(hiddenJob) ? readLastHiddenState(this.native) : null;
    this.erasePads(pads);
    this.stats.batches++;
    this.stats.tokens += tokens;
    this.stats.padded += pads.length;
    if (items.length > 1) this.stats.sharedBatches++;
    for (const { p, take } of items) p.done += take;
    const finished = items.filter(({ p }) => logitIndex.has(p)).map(({ p }) => p);
    // Every finished job reads its logits before the next decode (edits do not touch logits).
    const results = await Promise.allSettled(
      finished.map((p) => p.job.collect(logitIndex.get(p) as number, p === hiddenJob ? hidden : null)),
    );
    this.runEdits();
    finished.forEach((p, i) => {
      this.remove(p);
      const r = results[i];
      if (r.status === 'fulfilled') p.resolve();
      else p.reject(r.reason);
    });
  }

  private erasePads(pads: Array<{ sequence: number; position: number }>): void {
    for (const pad of pads)
      this.native.removeTokenCellsFromSequence(pad.sequence, pad.position, pad.position + 1);
  }

  private runEdits(): void {
    for (const fn of this.edits.splice(0)) fn();
  }

  private fail(p: Pending, err: unknown): void {
    this.remove(p);
    p.reject(err);
  }

  private remove(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
