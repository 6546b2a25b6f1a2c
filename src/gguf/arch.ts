/**
 * Architecture metadata and tensor layout for the llama-family models llama.cpp loads from our
 * files (llama, qwen2, qwen3). Counts are u32 and epsilon/frequency f32: llama.cpp checks types.
 */
import { f32, GgmlType, type GgufMetadata, str, u32 } from './types.ts';

/** Architectures we write. */
export type ArchName = 'llama' | 'qwen2' | 'qwen3';

/** Transformer hyper-parameters. `headDim` defaults to nEmbd / nHead. */
export interface ArchConfig {
  arch: ArchName;
  nLayers: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  contextLength: number;
  ropeFreqBase: number;
  rmsEps: number;
  headDim?: number;
}

/** The head dimension of a config. */
export function headDimOf(cfg: ArchConfig): number {
  if (cfg.headDim !== undefined) return cfg.headDim;
  if (cfg.nEmbd % cfg.nHead !== 0)
    throw new Error(`nEmbd ${cfg.nEmbd} is not divisible by nHead ${cfg.nHead}`);
  return cfg.nEmbd / cfg.nHead;
}

/** llama.cpp's `general.file_type` for a model whose matrices are all of one type. */
export function fileTypeOf(type: GgmlType): number {
  return type === GgmlType.F32 ? 0 : type === GgmlType.F16 ? 1 : 7;
}

/** The `general.*` and `{arch}.*` metadata for a config. */
export function archMetadata(
  cfg: ArchConfig,
  opts: { name?: string; fileType?: GgmlType } = {},
): GgufMetadata {
  const a = cfg.arch;
  const hd = headDimOf(cfg);
  if (cfg.nHead % cfg.nHeadKv !== 0)
    throw new Error(`nHead ${cfg.nHead} is not a multiple of nHeadKv ${cfg.nHeadKv}`);
  const md: GgufMetadata = {
    'general.architecture': str(a),
    'general.name': str(opts.name ?? `lynx-exit-${a}`),
    'general.file_type': u32(fileTypeOf(opts.fileType ?? GgmlType.F32)),
    [`${a}.block_count`]: u32(cfg.nLayers),
    [`${a}.context_length`]: u32(cfg.contextLength),
    [`${a}.embedding_length`]: u32(cfg.nEmbd),
    [`${a}.feed_forward_length`]: u32(cfg.nFf),
    [`${a}.attention.head_count`]: u32(cfg.nHead),
    [`${a}.attention.head_count_kv`]: u32(cfg.nHeadKv),
    [`${a}.attention.layer_norm_rms_epsilon`]: f32(cfg.rmsEps),
    [`${a}.rope.dimension_count`]: u32(hd),
    [`${a}.rope.freq_base`]: f32(cfg.ropeFreqBase),
  };
  if (a === 'qwen3' || hd !== cfg.nEmbd / cfg.nHead) {
    md[`${a}.attention.key_length`] = u32(hd);
    md[`${a}.attention.value_length`] = u32(hd);
  }
  return md;
}

/** Metadata for a llama model. */
export const llamaMetadata = (cfg: Omit<ArchConfig, 'arch'>, opts?: { name?: string; fileType?: GgmlType }) =>
  archMetadata({ ...cfg, arch: 'llama' }, opts);
/** Metadata for a qwen2 model. */
export const qwen2Metadata = (cfg: Omit<ArchConfig, 'arch'>, opts?: { name?: string; fileType?: GgmlType }) =>
  archMetadata({ ...cfg, arch: 'qwen2' }, opts);
/** Metadata for a qwen3 model. */
export const qwen3Metadata = (cfg: Omit<ArchConfig, 'arch'>, opts?: { name?: string; fileType?: GgmlType }) =>
  archMetadata({ ...cfg, arch: 'qwen3' }, opts);

/** What a tensor is for, so builders can pick its values and storage type. */
export type TensorRole = 'embedding' | 'output' | 'norm' | 'bias' | 'matrix';

/** Name, ggml dims and role of one model tensor. */
export interface TensorSpec {
  name: string;
  dims: number[];
  role: TensorRole;
}

/**
 * The tensors llama.cpp expects for a config, in file order. `output.weight` is always present
 * (untied); qwen2 gets q/k/v biases, qwen3 gets q/k norms.
 */
export function archTensors(cfg: ArchConfig, nVocab: number): TensorSpec[] {
  const hd = headDimOf(cfg);
  const qDim = cfg.nHead * hd;
  const kvDim = cfg.nHeadKv * hd;
  const e = cfg.nEmbd;
  const out: TensorSpec[] = [{ name: 'token_embd.weight', dims: [e, nVocab], role: 'embedding' }];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `blk.${l}.`;
    out.push({ name: `${p}attn_norm.weight`, dims: [e], role: 'norm' });
    out.push({ name: `${p}attn_q.weight`, dims: [e, qDim], role: 'matrix' });
    out.push({ name: `${p}attn_k.weight`, dims: [e, kvDim], role: 'matrix' });
    out.push({ name: `${p}attn_v.weight`, dims: [e, kvDim], role: 'matrix' });
    if (cfg.arch === 'qwen2') {
      out.push({ name: `${p}attn_q.bias`, dims: [qDim], role: 'bias' });
      out.push({ name: `${p}attn_k.bias`, dims: [kvDim], role: 'bias' });
      out.push({ name: `${p}attn_v.bias`, dims: [kvDim], role: 'bias' });
    }
    if (cfg.arch === 'qwen3') {
      out.push({ name: `${p}attn_q_norm.weight`, dims: [hd], role: 'norm' });
      out.push({ name: `${p}attn_k_norm.weight`, dims: [hd], role: 'norm' });
    }
    out.push({ name: `${p}attn_output.weight`, dims: [qDim, e], role: 'matrix' });
    out.push({ name: `${p}ffn_norm.weight`, dims: [e], role: 'norm' });
    out.push({ name: `${p}ffn_gate.weight`, dims: [e, cfg.nFf], role: 'matrix' });
    out.push({ name: `${p}ffn_up.weight`, dims: [e, cfg.nFf], role: 'matrix' });
    out.push({ name: `${p}ffn_down.weight`, dims: [cfg.nFf, e], role: 'matrix' });
  }
  out.push({ name: 'output_norm.weight', dims: [e], role: 'norm' });
  out.push({ name: 'output.weight', dims: [e, nVocab], role: 'output' });
  return out;
}
