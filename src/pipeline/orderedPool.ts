/**
 * Runs jobs `parallel` at a time but hands their results over strictly in job order, so a store
 * written from `onResult` is the same file a serial run writes (and a crash leaves a prefix of it).
 */

/** Options of `runOrdered`. */
export interface OrderedPoolOptions<J, R> {
  parallel: number;
  /** Checked before each job starts: once true, no new job starts (those running finish). */
  stop?: () => boolean;
  run(job: J, index: number): Promise<R>;
  /** Called in job order; a job's result waits here until every earlier one was handed over. */
  onResult(job: J, result: R, index: number): void;
}

/** Runs `jobs` (see the file comment); resolves once every started job is handed over. */
export async function runOrdered<J, R>(jobs: readonly J[], o: OrderedPoolOptions<J, R>): Promise<void> {
  if (!Number.isInteger(o.parallel) || o.parallel < 1)
    throw new RangeError(`parallel must be a positive integer, got ${o.parallel}`);
  const done = new Map<number, R>();
  let next = 0; // next job to start
  let handed = 0; // next result to hand over
  let failure: { err: unknown } | null = null;
  const handOver = () => {
    while (done.has(handed)) {
      const r = done.get(handed) as R;
      done.delete(handed);
      o.onResult(jobs[handed], r, handed);
      handed++;
    }
  };
  const worker = async () => {
    while (next < jobs.length && !failure && !o.stop?.()) {
      const index = next++;
      try {
        done.set(index, await o.run(jobs[index], index));
        handOver();
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, jobs.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}
