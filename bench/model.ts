// Reference-transformer speed: GFLOP/s of the WASM SIMD kernels vs the plain-TS kernels at training
// shapes, and seconds per training step (forward + backward + AdamW) of the testbed config on 1 thread.
import { pathToFileURL } from 'node:url';
import { testbedConfig } from '../src/model/config.ts';
import { type Gemm, tsGemm } from '../src/model/gemm.ts';
import { WasmHeap } from '../src/model/heap.ts';
import { AdamW, clipGradNorm } from '../src/model/optim.ts';
import { initParams, ModelParams } from '../src/model/params.ts';
import { TrainGraph } from '../src/model/trainGraph.ts';
import { WasmGemm } from '../src/model/wasmGemm.ts';
import { SeededRandom } from '../src/random/SeededRandom.ts';

type Op = 'nt' | 'nn' | 'tn';

/** CPU seconds used by this process (user + system): robust to other processes sharing the cores. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** GFLOP/s of one product, per CPU second (wall-clock is unreliable on a shared 2-core machine). */
function gflops(g: Gemm, heap: WasmHeap, op: Op, M: number, N: number, K: number, minMs: number): number {
  // Filled in place: .map() would return a copy outside the heap (and time the staging path instead).
  const A = heap.alloc(M * K);
  const B = heap.alloc(N * K);
  for (let i = 0; i < A.length; i++) A[i] = Math.random() - 0.5;
  for (let i = 0; i < B.length; i++) B[i] = Math.random() - 0.5;
  const C = heap.alloc(M * N);
  const lda = op === 'tn' ? M : K;
  const ldb = op === 'nt' ? K : N;
  g[op](M, N, K, A, 0, lda, B, 0, ldb, C, 0, N, false);
  let reps = 0;
  const c0 = cpuSeconds();
  do {
    g[op](M, N, K, A, 0, lda, B, 0, ldb, C, 0, N, false);
    reps++;
  } while (cpuSeconds() - c0 < minMs / 1000);
  return (2 * M * N * K * reps) / ((cpuSeconds() - c0) * 1e9);
}

/** Wraps a Gemm to count the time spent inside it. */
function timed(g: Gemm): Gemm & { ms: number } {
  const t = { name: g.name, ms: 0 } as Gemm & { ms: number };
  for (const op of ['nt', 'nn', 'tn'] as const) {
    t[op] = (...args: Parameters<Gemm['nt']>) => {
      const s = performance.now();
      g[op](...args);
      t.ms += performance.now() - s;
    };
  }
  return t;
}

function stepSeconds(B: number, T: number, steps: number) {
  const config = testbedConfig(512, T);
  const heap = new WasmHeap();
  const gemm = timed(new WasmGemm(heap));
  const params = new ModelParams(config, heap);
  initParams(params, 1);
  const grads = new ModelParams(config, heap);
  const optim = new AdamW(params, heap, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const graph = new TrainGraph(params, grads, heap, gemm, B, T);
  const rng = new SeededRandom(3);
  const tokens = new Int32Array(B * (T + 1)).map(() => rng.int(config.vocabSize));
  const mask = new Uint8Array(B * (T + 1)).fill(1);
  const times: number[] = [];
  const cpu: number[] = [];
  let gemmMs = 0;
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    gemm.ms = 0;
    grads.flat.fill(0);
    graph.forward({ tokens, mask });
    graph.backward();
    clipGradNorm(grads.flat, 1);
    optim.step(grads, 1e-3);
    if (s > 0) {
      times.push((performance.now() - t0) / 1000);
      cpu.push(cpuSeconds() - c0);
      gemmMs += gemm.ms;
    }
  }
  const gemmShare = gemmMs / 1000 / times.reduce((a, b) => a + b, 0);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    B,
    T,
    params: params.count,
    secondsPerStep: median(times),
    cpuSecondsPerStep: median(cpu),
    gemmShare,
    heapMB: heap.usedBytes / 2 ** 20,
  };
}

/** Runs the model benchmarks and returns their numbers. */
export async function run(): Promise<Record<string, unknown>> {
  const heap = new WasmHeap();
  const wasm = new WasmGemm(heap);
  const kernels: Record<string, unknown>[] = [];
  const shapes: Array<[Op, number, number, number, string]> = [
    ['nt', 4096, 384, 128, 'x·Wᵀ (ffn up)'],
    ['nn', 4096, 128, 384, 'dY·W (ffn down input grad)'],
    ['tn', 384, 128, 4096, 'dYᵀ·X (weight grad)'],
    ['nt', 1, 512, 512, 'matvec (decode)'],
  ];
  for (const [op, M, N, K, what] of shapes) {
    const w = gflops(wasm, heap, op, M, N, K, 300);
    // The TS kernel is slow: measure it on at most 512 rows (throughput does not depend on M here).
    const tsM = op === 'tn' ? M : Math.min(M, 512);
    const tsK = op === 'tn' ? Math.min(K, 512) : K;
    const t = gflops(tsGemm, heap, op, tsM, N, tsK, 300);
    kernels.push({
      op,
      M,
      N,
      K,
      what,
      wasmGflops: +w.toFixed(2),
      tsGflops: +t.toFixed(2),
      ratio: +(w / t).toFixed(1),
    });
    console.log(
      `${op} ${M}x${N}x${K} (${what}): wasm ${w.toFixed(1)} GFLOP/s, ts ${t.toFixed(2)} GFLOP/s, ratio ${(w / t).toFixed(1)}x`,
    );
  }
  const training = [stepSeconds(8, 256, 3), stepSeconds(16, 256, 3)];
  for (const r of training)
    console.log(
      `train step B${r.B}x${r.T} (testbed d128 L4 h4/kv2 ffn384 vocab512, ${r.params} params, 1 thread, wasm): ${r.secondsPerStep.toFixed(3)} s/step wall, ${r.cpuSecondsPerStep.toFixed(3)} CPU s/step, matmul ${(100 * r.gemmShare).toFixed(0)}% of it, heap ${r.heapMB.toFixed(0)} MB`,
    );
  const load = (await import('node:os')).loadavg()[0];
  console.log(
    `(1-minute load average during the run: ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores)`,
  );
  return { kernels, training, loadAverage: load };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
