/**
 * The prefix cache of the SGLang-wire test server: backing-engine sessions kept between requests,
 * so that a request whose prompt shares a prefix with an earlier request's prompt + output
 * evaluates only the rest, as SGLang's radix cache computes only the tokens it does not hold.
 *
 * A session can only be cut back to a position it holds a mark at (the engine contract's exact
 * rollback), so every evaluation through a lease leaves one: a prompt evaluated in one batch can be
 * reused up to its end, decoded and one-by-one prompt tokens at each position.
 *
 * Rules:
 * - a session serves one request at a time: it leaves the pool while lent;
 * - a request takes the idle session that can reuse the longest prefix of its prompt, if that
 *   session keeps at least as many tokens as it drops (its own sequence going on, a forced exit or a
 *   hidden-state read from it); a session of another sequence is left alone, as a radix cache keeps
 *   other requests' prefixes until memory runs short, and a new session is opened instead;
 * - at most `engine.info.maxSessions` sessions are open at once: past that, opening one first
 *   closes the least recently used idle session, or waits for a lent one to come back;
 * - at most `capacity` idle sessions are kept (least recently used closed first; 0: no reuse), and
 *   one idle for `idleMs` is closed, so that other users of the same engine get its slot back (the
 *   engine contract cannot tell the pool that someone waits in `open`).
 */
import type {
  AppendOptions,
  Engine,
  Mark,
  SampleOptions,
  Session,
  StepHint,
  StepResult,
} from '../engine/types.ts';

/** Options of `WireSessionPool`. */
export interface WireSessionPoolOptions {
  /** Idle sessions kept for reuse (0: every session is closed after its request). */
  capacity: number;
  /** Milliseconds after which an idle session is closed. */
  idleMs: number;
}

/** What `Engine.open` is given for a new session; sessions are reused only for the same. */
export interface PoolOpenOptions {
  /** Engines size what they keep after each token by it, so it is fixed per session. */
  topLogprobs: number;
  /** Keep the hidden state of the last prompt token a new session is opened with. */
  hidden: boolean;
  /**
   * Tokens of `input` a new session is opened with (in one evaluation, as a client's own session
   * would be; 1 when each prompt token is evaluated on its own for its hidden state).
   */
  openWith: number;
}

/** A backing session of the pool, with the marks it can be rolled back to. */
export interface PooledSession {
  readonly session: Session;
  readonly topLogprobs: number;
  /** Positions the session can be rolled back to, one per evaluation, ascending. */
  marks: Mark[];
  /** Pool clock at release, for least-recently-used order. */
  used: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** A session lent to one request. Evaluate through the lease, so that each evaluation leaves a mark. */
export class Lease {
  /** Tokens the backing engine evaluated for this request (prompt and decoded). */
  evaluated: number;

  constructor(
    readonly entry: PooledSession,
    /** Prompt tokens the session already held (SGLang's `cached_tokens`). */
    readonly reused: number,
  ) {
    this.evaluated = entry.session.length - reused;
  }

  get session(): Session {
    return this.entry.session;
  }

  /** `Session.append`, leaving a mark after the appended tokens. */
  async append(tokens: number[], opts?: AppendOptions): Promise<void> {
    if (tokens.length === 0) return;
    await this.session.append(tokens, opts);
    this.evaluated += tokens.length;
    this.entry.marks.push(this.session.mark());
  }

  /** `Session.step`, leaving a mark after the sampled token. */
  async step(opts: SampleOptions, hint?: StepHint): Promise<StepResult> {
    const result = await this.session.step(opts, hint);
    this.evaluated++;
    this.entry.marks.push(this.session.mark());
    return result;
  }
}

/** Backing sessions kept between requests; see the file comment. */
export class WireSessionPool {
  private idle: PooledSession[] = [];
  /** Sessions open or being opened (idle, lent, or held by `withSlot`). */
  private slots = 0;
  private readonly waiters: Array<() => void> = [];
  private clock = 0;
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly opts: WireSessionPoolOptions,
  ) {}

  /** Idle sessions now (for tests). */
  get idleSessions(): number {
    return this.idle.length;
  }

  /**
   * A session holding a prefix of `input`: an idle one rolled back to its longest reusable prefix
   * (all but the last token at most), or a new one holding the first `open.openWith` tokens.
   */
  async acquire(input: readonly number[], open: PoolOpenOptions): Promise<Lease> {
    for (;;) {
      this.ensureOpen();
      const best = this.bestRelated(input, open.topLogprobs);
      if (best) return this.take(best.entry, best.mark);
      if (await this.trySlot()) return this.fresh(input, open);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Gives a lent session back: kept for reuse when `healthy` (its state is known), else closed. */
  async release(lease: Lease, healthy: boolean): Promise<void> {
    const entry = lease.entry;
    if (!healthy || this.closed || this.opts.capacity <= 0) {
      await this.discard(entry);
      return;
    }
    entry.used = ++this.clock;
    entry.timer = setTimeout(() => {
      if (this.idle.includes(entry)) void this.evict(entry);
    }, this.opts.idleMs);
    entry.timer.unref?.();
    this.idle.push(entry);
    if (this.idle.length > this.opts.capacity) await this.evict(this.leastRecent() as PooledSession);
    this.wake();
  }

  /** Runs `fn` holding one session slot of its own (e.g. to open a throwaway session). */
  async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      this.ensureOpen();
      if (await this.trySlot()) break;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    try {
      return await fn();
    } finally {
      this.slots--;
      this.wake();
    }
  }

  /** Closes the idle sessions; lent ones close when they come back. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle;
    this.idle = [];
    for (const entry of idle) {
      clearTimeout(entry.timer);
      await this.discard(entry, false);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  // ------------------------------------------------------------------ internals

  /** The idle session reusing the longest prefix of `input` while keeping at least what it drops. */
  private bestRelated(
    input: readonly number[],
    topLogprobs: number,
  ): { entry: PooledSession; mark: number } | null {
    let best: { entry: PooledSession; mark: number; reused: number } | null = null;
    for (const entry of this.idle) {
      if (entry.topLogprobs !== topLogprobs) continue;
      const mark = reusableMark(entry, input);
      if (mark < 0) continue;
      const reused = entry.marks[mark].length;
      if (reused < entry.session.length - reused) continue;
      if (!best || reused > best.reused || (reused === best.reused && entry.used > best.entry.used))
        best = { entry, mark, reused };
    }
    return best;
  }

  /** Takes `entry` out of the pool, rolled back to its mark at index `mark`. */
  private async take(entry: PooledSession, mark: number): Promise<Lease> {
    this.unidle(entry);
    const to = entry.marks[mark];
    try {
      await entry.session.rollback(to);
    } catch (err) {
      await this.discard(entry);
      throw err;
    }
    entry.marks.length = mark + 1;
    return new Lease(entry, to.length);
  }

  /** Opens a session on the first `open.openWith` tokens of `input`, in a slot already counted. */
  private async fresh(input: readonly number[], open: PoolOpenOptions): Promise<Lease> {
    let session: Session;
    try {
      session = await this.engine.open(input.slice(0, Math.max(1, open.openWith)), {
        hidden: open.hidden,
        topLogprobs: open.topLogprobs,
      });
    } catch (err) {
      this.slots--;
      this.wake();
      throw err;
    }
    const entry: PooledSession = { session, topLogprobs: open.topLogprobs, marks: [session.mark()], used: 0 };
    return new Lease(entry, 0);
  }

  /** Counts one more session: in a free slot, or in the least recently used idle session's. */
  private async trySlot(): Promise<boolean> {
    if (this.slots < this.engine.info.maxSessions) {
      this.slots++;
      return true;
    }
    const lru = this.leastRecent();
    if (!lru) return false;
    this.unidle(lru);
    // Its slot passes to the caller (not freed, so no other request takes it meanwhile).
    await lru.session.close().catch(() => undefined);
    return true;
  }

  private leastRecent(): PooledSession | undefined {
    let lru: PooledSession | undefined;
    for (const entry of this.idle) if (!lru || entry.used < lru.used) lru = entry;
    return lru;
  }

  private unidle(entry: PooledSession): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.idle = this.idle.filter((e) => e !== entry);
  }

  private async evict(entry: PooledSession): Promise<void> {
    this.unidle(entry);
    await this.discard(entry);
  }

  /** Closes a session that is in no list, freeing its slot. */
  private async discard(entry: PooledSession, wake = true): Promise<void> {
    try {
      await entry.session.close();
    } catch {
      // A session that fails to close (engine disposed) holds nothing more.
    } finally {
      this.slots--;
      if (wake) this.wake();
    }
  }

  private wake(): void {
    this.waiters.shift()?.();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the server is closing');
  }
}

/**
 * Index of the last mark of `entry` within the prefix it shares with `input`, leaving at least the
 * last token of `input` to compute (SGLang always computes one); -1 when none is.
 */
function reusableMark(entry: PooledSession, input: readonly number[]): number {
  const seq = entry.session.tokens();
  const limit = Math.min(seq.length, input.length - 1);
  let n = 0;
  while (n < limit && seq[n] === input[n]) n++;
  for (let i = entry.marks.length - 1; i >= 0; i--) if (entry.marks[i].length <= n) return i;
  return -1;
}
