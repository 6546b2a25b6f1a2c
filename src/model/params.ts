/**
 * The model's parameters as one flat vector (so AdamW, clipping and checkpoints are single loops) with
 * a named view per tensor. Names are GGUF's; matrices are row-major [out, in] (GGUF ne = [in, out]).
 */
import { SeededRandom } from '../random/SeededRandom.ts';
import { headDim, type ModelConfig } from './config.ts';
import type { Heap, Vec } from './heap.ts';

/** One block's tensors. */
export interface LayerParams {
  attnNorm: Vec;
  wq: Vec;
  wk: Vec;
  wv: Vec;
  wo: Vec;
  ffnNorm: Vec;
  wGate: Vec;
  wUp: Vec;
  wDown: Vec;
}

/** Description of one tensor inside the flat vector. */
export interface TensorEntry {
  name: string;
  /** [rows, cols] for matrices ([out, in]); [n] for vectors. */
  shape: number[];
  offset: number;
  size: number;
  kind: 'embedding' | 'norm' | 'matrix';
}

/** Tensor names, shapes and kinds for a config, in a fixed order. */
export function tensorLayout(cfg: ModelConfig): TensorEntry[] {
  const hd = headDim(cfg);
  const q = cfg.heads * hd;
  const kv = cfg.kvHeads * hd;
  const D = cfg.dim;
  const list: Array<[string, number[], TensorEntry['kind']]> = [
    ['token_embd.weight', [cfg.vocabSize, D], 'embedding'],
  ];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `blk.${l}.`;
    list.push([`${p}attn_norm.weight`, [D], 'norm']);
    list.push([`${p}attn_q.weight`, [q, D], 'matrix']);
    list.push([`${p}attn_k.weight`, [kv, D], 'matrix']);
    list.push([`${p}attn_v.weight`, [kv, D], 'matrix']);
    list.push([`${p}attn_output.weight`, [D, q], 'matrix']);
    list.push([`${p}ffn_norm.weight`, [D], 'norm']);
    list.push([`${p}ffn_gate.weight`, [cfg.ffn, D], 'matrix']);
    list.push([`${p}ffn_up.weight`, [cfg.ffn, D], 'matrix']);
    list.push([`${p}ffn_down.weight`, [D, cfg.ffn], 'matrix']);
  }
  list.push(['output_norm.weight', [D], 'norm']);
  list.push(['output.weight', [cfg.vocabSize, D], 'matrix']);
  const out: TensorEntry[] = [];
  let offset = 0;
  for (const [name, shape, kind] of list) {
    const size = shape.reduce((a, b) => a * b, 1);
    out.push({ name, shape, offset, size, kind });
    // Keep every tensor 16-float aligned so WASM rows start on cache-line boundaries.
    offset += Math.ceil(size / 16) * 16;
  }
  return out;
}

/** A flat parameter (or gradient, or optimizer-moment) vector with named views. */
export class ModelParams {
  readonly layout: TensorEntry[];
  readonly flat: Vec;
  readonly tokEmb: Vec;
  readonly layers: LayerParams[];
  readonly outNorm: Vec;
  readonly output: Vec;
  private readonly byName = new Map<string, Vec>();

  constructor(
    readonly config: ModelConfig,
    heap: Heap,
  ) {
    this.layout = tensorLayout(config);
    const last = this.layout[this.layout.length - 1];
    this.flat = heap.alloc(Math.ceil((last.offset + last.size) / 16) * 16);
    for (const t of this.layout) this.byName.set(t.name, this.flat.subarray(t.offset, t.offset + t.size));
    const g = (n: string) => this.byName.get(n)!;
    this.tokEmb = g('token_embd.weight');
    this.outNorm = g('output_norm.weight');
    this.output = g('output.weight');
    this.layers = [];
    for (let l = 0; l < config.layers; l++) {
      const p = `blk.${l}.`;
      this.layers.push({
        attnNorm: g(`${p}attn_norm.weight`),
        wq: g(`${p}attn_q.weight`),
        wk: g(`${p}attn_k.weight`),
        wv: g(`${p}attn_v.weight`),
        wo: g(`${p}attn_output.weight`),
        ffnNorm: g(`${p}ffn_norm.weight`),
        wGate: g(`${p}ffn_gate.weight`),
        wUp: g(`${p}ffn_up.weight`),
        wDown: g(`${p}ffn_down.weight`),
      });
    }
  }

  /** The view of a tensor by GGUF name (throws for an unknown name). */
  get(name: string): Vec {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no tensor named ${name}`);
    return v;
  }

  /** Number of parameters (excluding alignment padding). */
  get count(): number {
    return this.layout.reduce((a, t) => a + t.size, 0);
  }
}

/**
 * Random initialization: N(0, 0.02) for embeddings and matrices, with the two residual-branch outputs
 * (attn_output, ffn_down) scaled by 1/sqrt(2·layers) so the residual stream does not grow with depth;
 * norms start at 1.
 */
export function initParams(p: ModelParams, seed: number, std = 0.02): void {
  const rng = new SeededRandom(seed);
  const residualScale = 1 / Math.sqrt(2 * p.config.layers);
  for (const t of p.layout) {
    const v = p.get(t.name);
    if (t.kind === 'norm') {
      v.fill(1);
      continue;
    }
    const s = /attn_output|ffn_down/.test(t.name) ? std * residualScale : std;
    for (let i = 0; i < v.length; i++) v[i] = rng.normal() * s;
  }
}
