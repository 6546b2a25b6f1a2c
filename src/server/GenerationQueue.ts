/**
 * A bounded FIFO lock around the engine: one generation runs at a time (llama.cpp sessions are
 * one-at-a-time), up to `maxWaiting` more wait their turn, and any beyond that are refused so a
 * burst cannot pile up unbounded latency and memory.
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

/** One-at-a-time access with a bounded waiting line. */
export class GenerationQueue {
  private running = false;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(readonly maxWaiting: number) {
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0)
      throw new RangeError(`maxWaiting must be a non-negative integer, got ${maxWaiting}`);
  }

  /** Requests waiting for their turn (not counting the running one). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** True while a holder has the lock. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Waits for the lock and returns its release function (call it exactly once). Throws
   * QueueFullError at once when `maxWaiting` callers already wait, QueueAbortedError if `signal`
   * fires (or `close` is called) before the turn comes.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) return Promise.reject(new QueueAbortedError('the server is shutting down'));
    if (signal?.aborted) return Promise.reject(new QueueAbortedError('cancelled while queued'));
    if (!this.running) {
      this.running = true;
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

  /** Refuses new callers and fails every waiting one (shutdown); the running holder keeps the lock. */
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
      else this.running = false;
    };
  }
}
