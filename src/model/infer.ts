/**
 * Token-by-token inference with a KV cache, exposing every layer's residual output (llama.cpp's
 * `l_out-N`) and the final-norm hidden state (llama.cpp's embedding output). Also covers the optional
 * tensors of real checkpoints: qwen2's q/k/v biases and qwen3's per-head q/k RMSNorm.
 */
import { headDim, type ModelConfig } from './config.ts';
import type { Vec } from './heap.ts';
import { type RopeTables, rmsNormForward, ropeRow, ropeTables, swigluForward } from './ops.ts';
import type { ModelParams } from './params.ts';
import type { Runtime } from './runtime.ts';

/** Optional per-layer tensors beyond the llama layout (absent ones are skipped). */
export interface LayerExtras {
  bq?: Vec;
  bk?: Vec;
  bv?: Vec;
  /** qwen3: RMSNorm weights [headDim] applied to every query / key head before RoPE. */
  qNorm?: Vec;
  kNorm?: Vec;
}

/** Weights plus the runtime they live in: everything inference needs. */
export interface ReferenceModel {
  config: ModelConfig;
  params: ModelParams;
  runtime: Runtime;
  extras?: LayerExtras[];
}

/** What one decoded token yields. Views into the state: valid until the next call; copy to keep. */
export interface TokenOutput {
  logits: Vec;
  /** Residual stream after each block (index l = output of block l). */
  hiddenPerLayer: Vec[];
  /** Output of the final RMSNorm (the input of the output projection). */
  finalHidden: Vec;
}

/** A growing sequence: KV cache and scratch for one model. */
export interface InferState {
  readonly model: ReferenceModel;
  /** Tokens consumed so far (the next token's position). */
  length: number;
  readonly capacity: number;
  readonly kCache: Vec[];
  readonly vCache: Vec[];
  readonly rope: RopeTables;
  readonly x: Vec;
  readonly xn: Vec;
  readonly q: Vec;
  readonly k: Vec;
  readonly v: Vec;
  readonly att: Vec;
  readonly scores: Vec;
  readonly gate: Vec;
  readonly up: Vec;
  readonly rstd: Vec;
  readonly out: TokenOutput;
}

/** A fresh, empty sequence state with room for `capacity` tokens (default: the context length). */
export function createInferState(model: ReferenceModel, capacity = model.config.contextLength): InferState {
  const cfg = model.config;
  const heap = model.runtime.heap;
  const hd = headDim(cfg);
  const kvDim = cfg.kvHeads * hd;
  return {
    model,
    length: 0,
    capacity,
    kCache: Array.from({ length: cfg.layers }, () => heap.alloc(capacity * kvDim)),
    vCache: Array.from({ length: cfg.layers }, () => heap.alloc(capacity * kvDim)),
    rope: ropeTables(capacity, hd, cfg.ropeTheta),
    x: heap.alloc(cfg.dim),
    xn: heap.alloc(cfg.dim),
    q: heap.alloc(cfg.heads * hd),
    k: heap.alloc(kvDim),
    v: heap.alloc(kvDim),
    att: heap.alloc(cfg.heads * hd),
    scores: heap.alloc(capacity),
    gate: heap.alloc(cfg.ffn),
    up: heap.alloc(cfg.ffn),
    rstd: heap.alloc(1),
    out: {
      logits: heap.alloc(cfg.vocabSize),
      hiddenPerLayer: Array.from({ length: cfg.layers }, () => heap.alloc(cfg.dim)),
      finalHidden: heap.alloc(cfg.dim),
    },
  };
}

function addInto(dst: Vec, src: Vec | undefined): void {
  if (src) for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}

/** RMSNorm of each `hd`-wide head of v in place (qwen3 q/k norm). */
function headNorm(v: Vec, heads: number, hd: number, w: Vec, eps: number): void {
  for (let h = 0; h < heads; h++) {
    let ss = 0;
    for (let i = 0; i < hd; i++) ss += v[h * hd + i] ** 2;
    const r = 1 / Math.sqrt(ss / hd + eps);
    for (let i = 0; i < hd; i++) v[h * hd + i] *= r * w[i];
  }
}

/** Appends one token at position `state.length` and returns its logits and hidden states. */
export function forwardToken(state: InferState, token: number): TokenOutput {
  const { model } = state;
  const cfg = model.config;
  const { gemm } = model.runtime;
  const p = model.params;
  const D = cfg.dim;
  const F = cfg.ffn;
  const hd = headDim(cfg);
  const qDim = cfg.heads * hd;
  const kvDim = cfg.kvHeads * hd;
  const group = cfg.heads / cfg.kvHeads;
  const pos = state.length;
  if (pos >= state.capacity) throw new Error(`sequence is full (${state.capacity} tokens)`);
  if (!(Number.isInteger(token) && token >= 0 && token < cfg.vocabSize))
    throw new Error(`token ${token} is outside the vocabulary (${cfg.vocabSize})`);
  const { x, xn, q, k, v, att, scores, gate, up, rstd, out } = state;
  x.set(p.tokEmb.subarray(token * D, token * D + D));
  const scale = 1 / Math.sqrt(hd);
  for (let l = 0; l < cfg.layers; l++) {
    const w = p.layers[l];
    const ex = model.extras?.[l];
    rmsNormForward(x, w.attnNorm, xn, rstd, 1, D, cfg.rmsEps);
    gemm.nt(1, qDim, D, xn, 0, D, w.wq, 0, D, q, 0, qDim, false);
    gemm.nt(1, kvDim, D, xn, 0, D, w.wk, 0, D, k, 0, kvDim, false);
    gemm.nt(1, kvDim, D, xn, 0, D, w.wv, 0, D, v, 0, kvDim, false);
    addInto(q, ex?.bq);
    addInto(k, ex?.bk);
    addInto(v, ex?.bv);
    if (ex?.qNorm) headNorm(q, cfg.heads, hd, ex.qNorm, cfg.rmsEps);
    if (ex?.kNorm) headNorm(k, cfg.kvHeads, hd, ex.kNorm, cfg.rmsEps);
    ropeRow(q, 0, cfg.heads, state.rope, pos, cfg.ropeStyle, false);
    ropeRow(k, 0, cfg.kvHeads, state.rope, pos, cfg.ropeStyle, false);
    const kc = state.kCache[l];
    const vc = state.vCache[l];
    kc.set(k, pos * kvDim);
    vc.set(v, pos * kvDim);
    const n = pos + 1;
    for (let h = 0; h < cfg.heads; h++) {
      const kvOff = Math.floor(h / group) * hd;
      gemm.nt(1, n, hd, q, h * hd, hd, kc, kvOff, kvDim, scores, 0, n, false);
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) if (scores[j] > m) m = scores[j];
      let sum = 0;
      for (let j = 0; j < n; j++) sum += scores[j] = Math.exp((scores[j] - m) * scale);
      for (let j = 0; j < n; j++) scores[j] /= sum;
      gemm.nn(1, hd, n, scores, 0, n, vc, kvOff, kvDim, att, h * hd, qDim, false);
    }
    gemm.nt(1, D, qDim, att, 0, qDim, w.wo, 0, qDim, x, 0, D, true);
    rmsNormForward(x, w.ffnNorm, xn, rstd, 1, D, cfg.rmsEps);
    gemm.nt(1, F, D, xn, 0, D, w.wGate, 0, D, gate, 0, F, false);
    gemm.nt(1, F, D, xn, 0, D, w.wUp, 0, D, up, 0, F, false);
    swigluForward(gate, up, gate, null, F);
    gemm.nt(1, D, F, gate, 0, F, w.wDown, 0, F, x, 0, D, true);
    out.hiddenPerLayer[l].set(x);
  }
  rmsNormForward(x, p.outNorm, out.finalHidden, rstd, 1, D, cfg.rmsEps);
  gemm.nt(1, cfg.vocabSize, D, out.finalHidden, 0, D, p.output, 0, D, out.logits, 0, cfg.vocabSize, false);
  state.length = pos + 1;
  return out;
}

/** Feeds several tokens; returns the output of the last one. */
export function forwardTokens(state: InferState, tokens: readonly number[]): TokenOutput {
  if (tokens.length === 0) throw new Error('forwardTokens needs at least one token');
  let out = state.out;
  for (const t of tokens) out = forwardToken(state, t);
  return out;
}

/** Rolls the sequence back to its first `length` tokens (cached keys/values beyond are ignored). */
export function truncate(state: InferState, length: number): void {
  if (!(Number.isInteger(length) && length >= 0 && length <= state.length))
    throw new Error(`cannot truncate a sequence of ${state.length} tokens to ${length}`);
  state.length = length;
}
