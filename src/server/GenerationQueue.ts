/**
 * A bounded FIFO of generation slots: up to `slots` generations run at once (the engine decodes
 * them in shared batches, and a new one joins between steps), up to `maxWaiting` more wait their
 * turn, and any beyond that are refused so a burst cannot pile up unbounded latency and memory.
 */

/** Thrown by `acquire` when the waiting line is full. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** Thrown by `acquire` when the caller's signal fired or the queue was closed while waiting. */
export class QueueAbortedError extends Error {
  override readonly name = 'QueueAbortedError';
}

interface Waiter {
  grant: (release: () => void) => void;
  fail: (err: Error) => void;
}

/** `slots` at a time, with a bounded waiting line. */
export class GenerationQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(
    readonly maxWaiting: number,
    readonly slots = 1,
  ) {
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0)
      throw new RangeError(`maxWaiting must be a non-negative integer, got ${maxWaiting}`);
    if (!Number.isInteger(slots) || slots < 1)
      throw new RangeError(`slots must be a positive integer, got ${slots}`);
  }

  /** Requests waiting for their turn (not counting the running one). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Generations holding a slot now. */
  get runningCount(): number {
    return this.running;
  }

  /**
   * Waits for a slot and returns its release function (call it exactly once). Throws
   * QueueFullError at once when `maxWaiting` callers already wait, QueueAbortedError if `signal`
   * fires (or `close` is called) before the turn comes.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) return Promise.reject(new QueueAbortedError('the server is shutting down'));
    if (signal?.aborted) return Promise.reject(new QueueAbortedError('cancelled while queued'));
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting)
      return Promise.reject(
        new QueueFullError(`the server is busy: ${this.waiting.length} requests are already queued`),
      );
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new QueueAbortedError('cancelled while queued'));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Refuses new callers and fails every waiting one (shutdown); running holders keep their slots. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.fail(new QueueAbortedError('the server is shutting down'));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.running--;
    };
  }
}
