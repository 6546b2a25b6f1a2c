/**
 * Training forward and hand-derived backward pass of the transformer for a fixed batch shape (B rows of
 * T positions), with every activation the backward pass needs kept in preallocated buffers.
 */
import { headDim, type ModelConfig } from './config.ts';
import type { Gemm } from './gemm.ts';
import type { Heap, Vec } from './heap.ts';
import {
  causalSoftmaxBackwardRow,
  causalSoftmaxRow,
  crossEntropyRow,
  type RopeTables,
  rmsNormBackward,
  rmsNormForward,
  ropeRow,
  ropeTables,
  swigluBackward,
  swigluForward,
} from './ops.ts';
import type { ModelParams } from './params.ts';

/**
 * One training batch: B rows of T+1 tokens, row-major. Position t of a row is fed to the model and
 * predicts token t+1; `mask[b·(T+1) + t]` is the loss weight of token t as a target (1 = an assistant
 * token to learn, 0 = prompt or padding; position 0 is never a target).
 */
export interface TrainBatch {
  tokens: Int32Array;
  mask: Uint8Array | Float32Array;
}

interface LayerActs {
  xIn: Vec;
  xn1: Vec;
  rstd1: Vec;
  q: Vec;
  k: Vec;
  v: Vec;
  p: Vec;
  o: Vec;
  xMid: Vec;
  xn2: Vec;
  rstd2: Vec;
  gate: Vec;
  up: Vec;
  h: Vec;
  sig: Vec;
}

/** Rows per block of the causal attention: only columns up to the block's last row are computed. */
const ATT_BLOCK = 32;

/** Forward + backward for batches of shape B×T on one set of parameters. */
export class TrainGraph {
  readonly N: number;
  private readonly cfg: ModelConfig;
  private readonly hd: number;
  private readonly qDim: number;
  private readonly kvDim: number;
  private readonly rope: RopeTables;
  private readonly acts: LayerActs[] = [];
  private readonly xFinal: Vec;
  private readonly xnF: Vec;
  private readonly rstdF: Vec;
  private readonly logits: Vec;
  private readonly dx: Vec;
  private readonly dxn: Vec;
  private readonly dO: Vec;
  private readonly dq: Vec;
  private readonly dk: Vec;
  private readonly dv: Vec;
  private readonly dS: Vec;
  private readonly dh: Vec;
  private readonly dgate: Vec;
  private readonly dup: Vec;
  private inputs = new Int32Array(0);
  /** Number of weighted targets in the last forward pass. */
  targets = 0;

  constructor(
    readonly params: ModelParams,
    readonly grads: ModelParams,
    heap: Heap,
    readonly gemm: Gemm,
    readonly B: number,
    readonly T: number,
  ) {
    const cfg = params.config;
    if (T > cfg.contextLength)
      throw new Error(`sequence length ${T} exceeds contextLength ${cfg.contextLength}`);
    this.cfg = cfg;
    this.hd = headDim(cfg);
    this.qDim = cfg.heads * this.hd;
    this.kvDim = cfg.kvHeads * this.hd;
    this.N = B * T;
    const N = this.N;
    const D = cfg.dim;
    const F = cfg.ffn;
    this.rope = ropeTables(T, this.hd, cfg.ropeTheta);
    for (let l = 0; l < cfg.layers; l++) {
      this.acts.push({
        xIn: heap.alloc(N * D),
        xn1: heap.alloc(N * D),
        rstd1: heap.alloc(N),
        q: heap.alloc(N * this.qDim),
        k: heap.alloc(N * this.kvDim),
        v: heap.alloc(N * this.kvDim),
        p: heap.alloc(B * cfg.heads * T * T),
        o: heap.alloc(N * this.qDim),
        xMid: heap.alloc(N * D),
        xn2: heap.alloc(N * D),
        rstd2: heap.alloc(N),
        gate: heap.alloc(N * F),
        up: heap.alloc(N * F),
        h: heap.alloc(N * F),
        sig: heap.alloc(N * F),
      });
    }
    this.xFinal = heap.alloc(N * D);
    this.xnF = heap.alloc(N * D);
    this.rstdF = heap.alloc(N);
    this.logits = heap.alloc(N * cfg.vocabSize);
    this.dx = heap.alloc(N * D);
    this.dxn = heap.alloc(N * D);
    this.dO = heap.alloc(N * this.qDim);
    this.dq = heap.alloc(N * this.qDim);
    this.dk = heap.alloc(N * this.kvDim);
    this.dv = heap.alloc(N * this.kvDim);
    this.dS = heap.alloc(T * T);
    this.dh = heap.alloc(N * F);
    this.dgate = heap.alloc(N * F);
    this.dup = heap.alloc(N * F);
  }

  /**
   * Forward pass: returns the mean cross-entropy over masked targets (0 if none) and keeps the logits'
   * gradient for `backward`.
   */
  forward(batch: TrainBatch): number {
    const wsum = this.forwardLogits(batch);
    const { B, T, cfg } = this;
    const V = cfg.vocabSize;
    const row = T + 1;
    let loss = 0;
    const w = wsum > 0 ? 1 / wsum : 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const n = b * T + t;
        const m = batch.mask[b * row + t + 1];
        const target = batch.tokens[b * row + t + 1];
        if (m === 0 || w === 0) {
          this.logits.fill(0, n * V, n * V + V);
          continue;
        }
        if (!(target >= 0 && target < V))
          throw new Error(`target token ${target} is outside the vocabulary (${V})`);
        loss += crossEntropyRow(this.logits, n * V, V, target, m * w);
      }
    }
    return loss;
  }

  /** Forward pass only: the logits [B·T, vocab] of every input position (a view, valid until the next call). */
  logitsOf(batch: TrainBatch): Vec {
    this.forwardLogits(batch);
    return this.logits;
  }

  /**
   * Forward pass only: the residual stream after each block and the final norm's output, each
   * [B·T, dim] (views, valid until the next call): the batched counterpart of `forwardToken`'s.
   */
  hiddenOf(batch: TrainBatch): { blocks: Vec[]; finalNorm: Vec } {
    this.forwardLogits(batch);
    const blocks = this.acts.slice(1).map((a) => a.xIn);
    blocks.push(this.xFinal);
    return { blocks, finalNorm: this.xnF };
  }

  /** Runs the network up to the logits; returns the total target weight of the batch. */
  private forwardLogits(batch: TrainBatch): number {
    const { B, T, N, cfg, gemm } = this;
    const D = cfg.dim;
    const V = cfg.vocabSize;
    const row = T + 1;
    if (batch.tokens.length !== B * row || batch.mask.length !== B * row)
      throw new Error(
        `batch must hold ${B}×${row} tokens and mask values, got ${batch.tokens.length} / ${batch.mask.length}`,
      );
    if (this.inputs.length !== N) this.inputs = new Int32Array(N);
    let wsum = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const tok = batch.tokens[b * row + t];
        if (!(tok >= 0 && tok < V))
          throw new Error(`token ${tok} at row ${b} position ${t} is outside the vocabulary (${V})`);
        this.inputs[b * T + t] = tok;
        wsum += batch.mask[b * row + t + 1];
      }
    }
    this.targets = wsum;
    // Embedding lookup into the first layer's input.
    const x0 = this.acts.length > 0 ? this.acts[0].xIn : this.xFinal;
    for (let n = 0; n < N; n++)
      x0.set(this.params.tokEmb.subarray(this.inputs[n] * D, this.inputs[n] * D + D), n * D);
    for (let l = 0; l < cfg.layers; l++) {
      const next = l + 1 < cfg.layers ? this.acts[l + 1].xIn : this.xFinal;
      this.layerForward(l, next);
    }
    rmsNormForward(this.xFinal, this.params.outNorm, this.xnF, this.rstdF, N, D, cfg.rmsEps);
    gemm.nt(N, V, D, this.xnF, 0, D, this.params.output, 0, D, this.logits, 0, V, false);
    return wsum;
  }

  private layerForward(l: number, out: Vec): void {
    const { N, T, cfg, gemm, qDim, kvDim } = this;
    const D = cfg.dim;
    const F = cfg.ffn;
    const a = this.acts[l];
    const p = this.params.layers[l];
    rmsNormForward(a.xIn, p.attnNorm, a.xn1, a.rstd1, N, D, cfg.rmsEps);
    gemm.nt(N, qDim, D, a.xn1, 0, D, p.wq, 0, D, a.q, 0, qDim, false);
    gemm.nt(N, kvDim, D, a.xn1, 0, D, p.wk, 0, D, a.k, 0, kvDim, false);
    gemm.nt(N, kvDim, D, a.xn1, 0, D, p.wv, 0, D, a.v, 0, kvDim, false);
    for (let n = 0; n < N; n++) {
      ropeRow(a.q, n * qDim, cfg.heads, this.rope, n % T, cfg.ropeStyle, false);
      ropeRow(a.k, n * kvDim, cfg.kvHeads, this.rope, n % T, cfg.ropeStyle, false);
    }
    this.attentionForward(a);
    a.xMid.set(a.xIn);
    gemm.nt(N, D, qDim, a.o, 0, qDim, p.wo, 0, qDim, a.xMid, 0, D, true);
    rmsNormForward(a.xMid, p.ffnNorm, a.xn2, a.rstd2, N, D, cfg.rmsEps);
    gemm.nt(N, F, D, a.xn2, 0, D, p.wGate, 0, D, a.gate, 0, F, false);
    gemm.nt(N, F, D, a.xn2, 0, D, p.wUp, 0, D, a.up, 0, F, false);
    swigluForward(a.gate, a.up, a.h, a.sig, N * F);
    out.set(a.xMid);
    gemm.nt(N, D, F, a.h, 0, F, p.wDown, 0, F, out, 0, D, true);
  }

  private attentionForward(a: LayerActs): void {
    const { B, T, cfg, gemm, qDim, kvDim, hd } = this;
    const H = cfg.heads;
    const group = H / cfg.kvHeads;
    const scale = 1 / Math.sqrt(hd);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qOff = b * T * qDim + h * hd;
        const kOff = b * T * kvDim + Math.floor(h / group) * hd;
        const pOff = (b * H + h) * T * T;
        for (let r0 = 0; r0 < T; r0 += ATT_BLOCK) {
          const rows = Math.min(ATT_BLOCK, T - r0);
          const w = r0 + rows;
          gemm.nt(rows, w, hd, a.q, qOff + r0 * qDim, qDim, a.k, kOff, kvDim, a.p, pOff + r0 * T, T, false);
          for (let i = r0; i < w; i++) causalSoftmaxRow(a.p, pOff + i * T, i, T, scale);
          gemm.nn(rows, hd, w, a.p, pOff + r0 * T, T, a.v, kOff, kvDim, a.o, qOff + r0 * qDim, qDim, false);
        }
      }
    }
  }

  /** Backward pass of the last forward: adds every parameter's gradient into `grads`. */
  backward(): void {
    const { N, cfg, gemm } = this;
    const D = cfg.dim;
    const V = cfg.vocabSize;
    const g = this.grads;
    gemm.tn(V, D, N, this.logits, 0, V, this.xnF, 0, D, g.output, 0, D, true);
    gemm.nn(N, D, V, this.logits, 0, V, this.params.output, 0, D, this.dxn, 0, D, false);
    rmsNormBackward(this.xFinal, this.params.outNorm, this.rstdF, this.dxn, this.dx, g.outNorm, N, D, false);
    for (let l = cfg.layers - 1; l >= 0; l--) this.layerBackward(l);
    const ge = g.tokEmb;
    for (let n = 0; n < N; n++) {
      const e = this.inputs[n] * D;
      for (let i = 0; i < D; i++) ge[e + i] += this.dx[n * D + i];
    }
  }

  private layerBackward(l: number): void {
    const { N, T, cfg, gemm, qDim, kvDim } = this;
    const D = cfg.dim;
    const F = cfg.ffn;
    const a = this.acts[l];
    const p = this.params.layers[l];
    const g = this.grads.layers[l];
    const { dx, dxn } = this;
    // FFN branch: out = xMid + h·Wdownᵀ.
    gemm.nn(N, F, D, dx, 0, D, p.wDown, 0, F, this.dh, 0, F, false);
    gemm.tn(D, F, N, dx, 0, D, a.h, 0, F, g.wDown, 0, F, true);
    swigluBackward(a.gate, a.up, a.sig, this.dh, this.dgate, this.dup, N * F);
    gemm.nn(N, D, F, this.dgate, 0, F, p.wGate, 0, D, dxn, 0, D, false);
    gemm.nn(N, D, F, this.dup, 0, F, p.wUp, 0, D, dxn, 0, D, true);
    gemm.tn(F, D, N, this.dgate, 0, F, a.xn2, 0, D, g.wGate, 0, D, true);
    gemm.tn(F, D, N, this.dup, 0, F, a.xn2, 0, D, g.wUp, 0, D, true);
    rmsNormBackward(a.xMid, p.ffnNorm, a.rstd2, dxn, dx, g.ffnNorm, N, D, true);
    // Attention branch: xMid = xIn + o·Woᵀ.
    gemm.nn(N, qDim, D, dx, 0, D, p.wo, 0, qDim, this.dO, 0, qDim, false);
    gemm.tn(D, qDim, N, dx, 0, D, a.o, 0, qDim, g.wo, 0, qDim, true);
    this.attentionBackward(a);
    for (let n = 0; n < N; n++) {
      ropeRow(this.dq, n * qDim, cfg.heads, this.rope, n % T, cfg.ropeStyle, true);
      ropeRow(this.dk, n * kvDim, cfg.kvHeads, this.rope, n % T, cfg.ropeStyle, true);
    }
    gemm.nn(N, D, qDim, this.dq, 0, qDim, p.wq, 0, D, dxn, 0, D, false);
    gemm.nn(N, D, kvDim, this.dk, 0, kvDim, p.wk, 0, D, dxn, 0, D, true);
    gemm.nn(N, D, kvDim, this.dv, 0, kvDim, p.wv, 0, D, dxn, 0, D, true);
    gemm.tn(qDim, D, N, this.dq, 0, qDim, a.xn1, 0, D, g.wq, 0, D, true);
    gemm.tn(kvDim, D, N, this.dk, 0, kvDim, a.xn1, 0, D, g.wk, 0, D, true);
    gemm.tn(kvDim, D, N, this.dv, 0, kvDim, a.xn1, 0, D, g.wv, 0, D, true);
    rmsNormBackward(a.xIn, p.attnNorm, a.rstd1, dxn, dx, g.attnNorm, N, D, true);
  }

  private attentionBackward(a: LayerActs): void {
    const { B, T, cfg, gemm, qDim, kvDim, hd, dO, dq, dk, dv, dS } = this;
    const H = cfg.heads;
    const group = H / cfg.kvHeads;
    const scale = 1 / Math.sqrt(hd);
    dk.fill(0);
    dv.fill(0);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const qOff = b * T * qDim + h * hd;
        const kOff = b * T * kvDim + Math.floor(h / group) * hd;
        const pOff = (b * H + h) * T * T;
        for (let r0 = 0; r0 < T; r0 += ATT_BLOCK) {
          const rows = Math.min(ATT_BLOCK, T - r0);
          const w = r0 + rows;
          gemm.nt(rows, w, hd, dO, qOff + r0 * qDim, qDim, a.v, kOff, kvDim, dS, r0 * T, T, false);
          for (let i = r0; i < w; i++) causalSoftmaxBackwardRow(a.p, pOff + i * T, dS, i * T, i, T, scale);
          gemm.nn(rows, hd, w, dS, r0 * T, T, a.k, kOff, kvDim, dq, qOff + r0 * qDim, qDim, false);
        }
        // dK = dSᵀ·Q and dV = Pᵀ·dO; column block j0 only sees rows i ≥ j0.
        for (let j0 = 0; j0 < T; j0 += ATT_BLOCK) {
          const cols = Math.min(ATT_BLOCK, T - j0);
          const depth = T - j0;
          gemm.tn(
            cols,
            hd,
            depth,
            dS,
            j0 * T + j0,
            T,
            a.q,
            qOff + j0 * qDim,
            qDim,
            dk,
            kOff + j0 * kvDim,
            kvDim,
            true,
          );
          gemm.tn(
            cols,
            hd,
            depth,
            a.p,
            pOff + j0 * T + j0,
            T,
            dO,
            qOff + j0 * qDim,
            qDim,
            dv,
            kOff + j0 * kvDim,
            kvDim,
            true,
          );
        }
      }
    }
  }
}
