/**
 * Hyper-parameters of the reference transformer (llama / qwen2 layout: RMSNorm, RoPE, grouped-query
 * attention, SwiGLU, untied output projection, no biases).
 */
import { UserError } from '../errors.ts';

/** How RoPE pairs the dimensions of a head: 'neox' rotates (i, i + hd/2) (llama.cpp for qwen2/qwen3),
 * 'normal' rotates adjacent pairs (2i, 2i+1) (llama.cpp for llama). */
export type RopeStyle = 'neox' | 'normal';

/** A complete model configuration. */
export interface ModelConfig {
  vocabSize: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  contextLength: number;
  ropeTheta: number;
  rmsEps: number;
  ropeStyle: RopeStyle;
}

/** Config fields with defaults (ropeTheta 10000, rmsEps 1e-6, ropeStyle 'neox', kvHeads = heads). */
export type ModelConfigInput = Omit<ModelConfig, 'ropeTheta' | 'rmsEps' | 'ropeStyle' | 'kvHeads'> &
  Partial<Pick<ModelConfig, 'ropeTheta' | 'rmsEps' | 'ropeStyle' | 'kvHeads'>>;

/** The testbed model: ~0.9M parameters plus vocab-sized embedding and output rows. */
export function testbedConfig(vocabSize: number, contextLength = 256): ModelConfig {
  return resolveConfig({ vocabSize, dim: 128, layers: 4, heads: 4, kvHeads: 2, ffn: 384, contextLength });
}

/** Fills defaults and checks every field; throws UserError naming the bad field. */
export function resolveConfig(input: ModelConfigInput): ModelConfig {
  const cfg: ModelConfig = {
    ropeTheta: 10000,
    rmsEps: 1e-6,
    ropeStyle: 'neox',
    kvHeads: input.heads,
    ...input,
  };
  for (const key of ['vocabSize', 'dim', 'layers', 'heads', 'kvHeads', 'ffn', 'contextLength'] as const) {
    const v = cfg[key];
    if (!Number.isInteger(v) || v <= 0)
      throw new UserError(`model config: ${key} must be a positive integer, got ${v}`);
  }
  if (cfg.dim % cfg.heads !== 0)
    throw new UserError(`model config: dim ${cfg.dim} is not divisible by heads ${cfg.heads}`);
  if (cfg.heads % cfg.kvHeads !== 0)
    throw new UserError(`model config: heads ${cfg.heads} is not a multiple of kvHeads ${cfg.kvHeads}`);
  if ((cfg.dim / cfg.heads) % 2 !== 0)
    throw new UserError(`model config: head dim ${cfg.dim / cfg.heads} must be even`);
  if (!(cfg.ropeTheta > 0)) throw new UserError(`model config: ropeTheta must be > 0, got ${cfg.ropeTheta}`);
  if (!(cfg.rmsEps > 0)) throw new UserError(`model config: rmsEps must be > 0, got ${cfg.rmsEps}`);
  if (cfg.ropeStyle !== 'neox' && cfg.ropeStyle !== 'normal')
    throw new UserError(`model config: ropeStyle must be 'neox' or 'normal', got ${String(cfg.ropeStyle)}`);
  return cfg;
}

/** Dimension of one attention head. */
export function headDim(cfg: ModelConfig): number {
  return cfg.dim / cfg.heads;
}

/** Number of parameters of a config. */
export function parameterCount(cfg: ModelConfig): number {
  const hd = headDim(cfg);
  const perLayer =
    2 * cfg.dim + 2 * cfg.heads * hd * cfg.dim + 2 * cfg.kvHeads * hd * cfg.dim + 3 * cfg.ffn * cfg.dim;
  return 2 * cfg.vocabSize * cfg.dim + cfg.dim + cfg.layers * perLayer;
}
