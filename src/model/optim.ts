/**
 * AdamW with decoupled weight decay (applied to matrices only, not to norms or embeddings), global-norm
 * gradient clipping, and the learning-rate schedule (linear warmup, then cosine or linear decay).
 */
import type { Heap, Vec } from './heap.ts';
import type { ModelParams } from './params.ts';

/** AdamW hyper-parameters. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** AdamW state (first and second moments) over a flat parameter vector. */
export class AdamW {
  readonly m: Vec;
  readonly v: Vec;
  /** Number of updates applied so far (bias correction uses it). */
  t = 0;

  constructor(
    readonly params: ModelParams,
    heap: Heap,
    readonly opts: AdamWOptions,
  ) {
    this.m = heap.alloc(params.flat.length);
    this.v = heap.alloc(params.flat.length);
  }

  /** One update of params from grads at learning rate lr (grads already clipped/scaled). */
  step(grads: ModelParams, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    this.t++;
    const c1 = 1 / (1 - beta1 ** this.t);
    const c2 = 1 / (1 - beta2 ** this.t);
    const p = this.params.flat;
    const g = grads.flat;
    const { m, v } = this;
    for (const e of this.params.layout) {
      const decay = e.kind === 'matrix' ? 1 - lr * weightDecay : 1;
      for (let i = e.offset; i < e.offset + e.size; i++) {
        const gi = g[i];
        const mi = (m[i] = beta1 * m[i] + (1 - beta1) * gi);
        const vi = (v[i] = beta2 * v[i] + (1 - beta2) * gi * gi);
        p[i] = p[i] * decay - (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
      }
    }
  }
}

/** Scales g so its global L2 norm is at most maxNorm (skipped when maxNorm ≤ 0); returns the norm before. */
export function clipGradNorm(g: Vec, maxNorm: number): number {
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  if (maxNorm > 0 && norm > maxNorm) {
    const s = maxNorm / norm;
    for (let i = 0; i < g.length; i++) g[i] *= s;
  }
  return norm;
}

/** Learning-rate schedule. */
export interface LrSchedule {
  lr: number;
  warmup: number;
  steps: number;
  decay: 'cosine' | 'linear' | 'constant';
  /** Final learning rate as a fraction of lr (default 0.1). */
  minLrRatio?: number;
}

/** Learning rate at 0-based step s: linear warmup to lr over `warmup` steps, then decay to lr·minLrRatio. */
export function lrAt(s: number, sch: LrSchedule): number {
  if (s < sch.warmup) return (sch.lr * (s + 1)) / sch.warmup;
  if (sch.decay === 'constant') return sch.lr;
  const minLr = sch.lr * (sch.minLrRatio ?? 0.1);
  const p = Math.min(1, (s - sch.warmup) / Math.max(1, sch.steps - sch.warmup - 1));
  const f = sch.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return minLr + (sch.lr - minLr) * f;
}
