/**
 * The trainer core: AdamW on the reference transformer over caller-supplied batches, deterministic
 * under a seed, with progress logging and periodic atomic checkpoints (resumable).
 */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { type ModelConfig, resolveConfig } from './config.ts';
import { AdamW, clipGradNorm, type LrSchedule, lrAt } from './optim.ts';
import { initParams, ModelParams } from './params.ts';
import { createRuntime, type KernelKind, type Runtime } from './runtime.ts';
import { type TrainBatch, TrainGraph } from './trainGraph.ts';

/** One progress record. `loss` is the mean over the steps since the last record. */
export interface TrainLogEntry {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  elapsedSec: number;
  etaSec: number;
}

/** Options of trainLoop. */
export interface TrainOptions {
  config: ModelConfig;
  batchSize: number;
  /** Positions per row fed to the model; each batch row holds seqLen + 1 tokens. */
  seqLen: number;
  /** The batch for 0-based step `step` (index by step so a resumed run sees the same data). */
  batches: (step: number) => TrainBatch;
  steps: number;
  lr: number;
  warmup?: number;
  decay?: LrSchedule['decay'];
  minLrRatio?: number;
  weightDecay?: number;
  /** Global gradient-norm clip (default 1; 0 disables). */
  gradClip?: number;
  beta1?: number;
  beta2?: number;
  seed: number;
  logEvery?: number;
  onLog?: (entry: TrainLogEntry) => void;
  /** Write a checkpoint every `every` steps (and at the end) to `path`; resume from it when it exists. */
  checkpoint?: { path: string; every: number; resume?: boolean };
  kernels?: KernelKind;
  /** Start from these weights instead of a random init (fine-tuning / continued training; the optimizer starts fresh). */
  initFrom?: Float32Array;
  /** Free-form provenance stored in checkpoints. */
  meta?: Record<string, unknown>;
}

/** What trainLoop returns. */
export interface TrainResult {
  params: ModelParams;
  runtime: Runtime;
  /** Loss of every step run in this call (resumed steps excluded). */
  losses: number[];
  /** 0-based step the run started from (> 0 when resumed). */
  startStep: number;
  seconds: number;
}

/** Trains a model (new or resumed from the checkpoint) and returns its parameters. */
export async function trainLoop(opts: TrainOptions): Promise<TrainResult> {
  const config = resolveConfig(opts.config);
  const { batchSize: B, seqLen: T, steps } = opts;
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0))
    throw new UserError(`batchSize and seqLen must be positive integers, got ${B} and ${T}`);
  if (T > config.contextLength)
    throw new UserError(`seqLen ${T} exceeds the model's contextLength ${config.contextLength}`);
  const runtime = createRuntime(opts.kernels ?? 'wasm');
  const { heap, gemm } = runtime;
  const params = new ModelParams(config, heap);
  const grads = new ModelParams(config, heap);
  const optim = new AdamW(params, heap, {
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.95,
    eps: 1e-8,
    weightDecay: opts.weightDecay ?? 0.1,
  });
  const schedule: LrSchedule = {
    lr: opts.lr,
    warmup: opts.warmup ?? 0,
    steps,
    decay: opts.decay ?? 'cosine',
    minLrRatio: opts.minLrRatio,
  };
  let startStep = 0;
  const ck = opts.checkpoint;
  const runMeta: Record<string, unknown> = {
    ...opts.meta,
    seed: opts.seed,
    lr: opts.lr,
    batchSize: B,
    seqLen: T,
  };
  if (ck && (ck.resume ?? true) && existsSync(ck.path)) {
    const c = loadCheckpoint(ck.path);
    if (JSON.stringify(resolveConfig(c.header.config)) !== JSON.stringify(config))
      throw new UserError(`checkpoint ${ck.path} was made for a different model config`);
    const changed = changedSettings(c.header.meta ?? {}, runMeta);
    if (changed.length)
      throw new UserError(
        `checkpoint ${ck.path} belongs to a run with other settings (${changed.join(', ')}); ` +
          'delete it or pass another checkpoint path',
      );
    params.flat.set(c.params);
    optim.m.set(c.m);
    optim.v.set(c.v);
    optim.t = c.header.adamT;
    startStep = c.header.step;
  } else if (opts.initFrom) {
    if (opts.initFrom.length !== params.flat.length)
      throw new UserError(
        `initFrom has ${opts.initFrom.length} floats; this config needs ${params.flat.length}`,
      );
    params.flat.set(opts.initFrom);
  } else {
    initParams(params, opts.seed);
  }
  const graph = new TrainGraph(params, grads, heap, gemm, B, T);
  const save = (step: number) => {
    if (ck)
      saveCheckpoint(
        ck.path,
        {
          config,
          step,
          adamT: optim.t,
          meta: runMeta,
        },
        params.flat,
        optim.m,
        optim.v,
      );
  };
  const logEvery = opts.logEvery ?? 10;
  const losses: number[] = [];
  const started = performance.now();
  let windowStart = started;
  let windowLoss = 0;
  let windowSteps = 0;
  for (let s = startStep; s < steps; s++) {
    const batch = opts.batches(s);
    grads.flat.fill(0);
    const loss = graph.forward(batch);
    graph.backward();
    const gradNorm = clipGradNorm(grads.flat, opts.gradClip ?? 1);
    const lr = lrAt(s, schedule);
    optim.step(grads, lr);
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${s + 1}: loss ${loss}`);
    losses.push(loss);
    windowLoss += loss;
    windowSteps++;
    const done = s + 1;
    if (ck && ck.every > 0 && done % ck.every === 0 && done < steps) save(done);
    if (opts.onLog && (done % logEvery === 0 || done === steps || s === startStep)) {
      const now = performance.now();
      const elapsedSec = (now - started) / 1000;
      const perStep = elapsedSec / (done - startStep);
      opts.onLog({
        step: done,
        steps,
        loss: windowLoss / windowSteps,
        lr,
        gradNorm,
        tokensPerSec: (windowSteps * B * T) / ((now - windowStart) / 1000),
        elapsedSec,
        etaSec: perStep * (steps - done),
      });
      windowStart = now;
      windowLoss = 0;
      windowSteps = 0;
    }
    // Let timers and I/O (progress bars, signals) run between steps.
    if (done % 8 === 0) await new Promise<void>((r) => setImmediate(r));
  }
  if (ck) save(steps);
  return { params, runtime, losses, startStep, seconds: (performance.now() - started) / 1000 };
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Settings (one level of nesting deep, as "a.b") that differ between a checkpoint's run and this one. */
export function changedSettings(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    const [a, b] = [saved[key], now[key]];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (isPlainObject(a) && isPlainObject(b)) out.push(...changedSettings(a, b).map((k) => `${key}.${k}`));
    else out.push(key);
  }
  return out;
}
