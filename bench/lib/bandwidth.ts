/**
 * Memory read bandwidth with `threads` readers at once: each worker memcmp's two equal 128 MiB
 * buffers of its own (the kernel reads both), so the figure is what that many cores can stream.
 */
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const n = workerData.bytes;
const a = Buffer.alloc(n, 7), b = Buffer.alloc(n, 7);
a.compare(b); // touch the pages once
parentPort.on('message', () => { a.compare(b); parentPort.postMessage(0); });
parentPort.postMessage('ready');
`;

/** Bytes per second read by `threads` cores together (median of `runs`). */
export async function readBandwidth(threads: number, runs = 5): Promise<number> {
  const bytes = 128 * 1024 * 1024;
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { eval: true, workerData: { bytes } }),
  );
  const once = (w: Worker) => new Promise<void>((resolve) => w.once('message', () => resolve()));
  await Promise.all(workers.map(once));
  const speeds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await Promise.all(
      workers.map((w) => {
        const done = once(w);
        w.postMessage(0);
        return done;
      }),
    );
    speeds.push((2 * bytes * threads) / ((performance.now() - t0) / 1000));
  }
  await Promise.all(workers.map((w) => w.terminate()));
  speeds.sort((x, y) => x - y);
  return speeds[speeds.length >> 1];
}
