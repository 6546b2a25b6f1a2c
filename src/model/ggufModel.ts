/**
 * Loads a llama / qwen2 / qwen3 GGUF (F32, F16 or Q8_0 tensors) into the reference transformer, and
 * exports trained weights as a GGUF llama.cpp runs (arch qwen2 for NEOX RoPE, llama for normal RoPE).
 */
import { UserError } from '../errors.ts';
import { type ArchName, archMetadata } from '../gguf/arch.ts';
import { dequantize, metaNumber, metaString, readGguf } from '../gguf/reader.ts';
import { type GgufTokenizer, tokenizerMetadata } from '../gguf/tokenizer.ts';
import { GgmlType, type GgufMetadata, type GgufTensor, type GgufTensorInfo } from '../gguf/types.ts';
import { writeGguf } from '../gguf/writer.ts';
import { headDim, type ModelConfig, resolveConfig } from './config.ts';
import type { LayerExtras, ReferenceModel } from './infer.ts';
import { ModelParams } from './params.ts';
import { createRuntime, type KernelKind } from './runtime.ts';

/** A model loaded from GGUF, with the file's metadata (tokenizer included). */
export interface LoadedGgufModel extends ReferenceModel {
  arch: ArchName;
  metadata: GgufMetadata;
  extras: LayerExtras[];
}

const ROPE_STYLE: Record<ArchName, ModelConfig['ropeStyle']> = {
  llama: 'normal',
  qwen2: 'neox',
  qwen3: 'neox',
};

/** Reads a GGUF model file into the reference transformer. */
export async function loadGgufModel(
  path: string,
  opts: { kernels?: KernelKind } = {},
): Promise<LoadedGgufModel> {
  const file = await readGguf(path, { tensors: true });
  const md = file.metadata;
  const arch = metaString(md, 'general.architecture') as ArchName | undefined;
  if (arch !== 'llama' && arch !== 'qwen2' && arch !== 'qwen3')
    throw new UserError(
      `${path}: architecture ${String(arch)} is not supported by the reference engine (llama, qwen2, qwen3)`,
    );
  const num = (key: string, fallback?: number): number => {
    const v = metaNumber(md, `${arch}.${key}`) ?? fallback;
    if (v === undefined) throw new UserError(`${path}: metadata ${arch}.${key} is missing`);
    return v;
  };
  const byName = new Map<string, GgufTensorInfo>(file.tensors.map((t) => [t.name, t]));
  const embd = byName.get('token_embd.weight');
  if (!embd) throw new UserError(`${path}: tensor token_embd.weight is missing`);
  const config = resolveConfig({
    vocabSize: embd.dims[1],
    dim: num('embedding_length'),
    layers: num('block_count'),
    heads: num('attention.head_count'),
    kvHeads: num('attention.head_count_kv'),
    ffn: num('feed_forward_length'),
    contextLength: num('context_length'),
    ropeTheta: num('rope.freq_base', 10000),
    rmsEps: num('attention.layer_norm_rms_epsilon'),
    ropeStyle: ROPE_STYLE[arch],
  });
  const hd = headDim(config);
  const keyLength = metaNumber(md, `${arch}.attention.key_length`);
  if (keyLength !== undefined && keyLength !== hd)
    throw new UserError(
      `${path}: head dim ${keyLength} differs from embedding_length / head_count (${hd}); not supported`,
    );
  const ropeDims = metaNumber(md, `${arch}.rope.dimension_count`);
  if (ropeDims !== undefined && ropeDims !== hd)
    throw new UserError(`${path}: partial RoPE (${ropeDims} of ${hd} dims) is not supported`);
  const runtime = createRuntime(opts.kernels ?? 'wasm');
  const params = new ModelParams(config, runtime.heap);
  const decode = (name: string, size: number): Float32Array | undefined => {
    const t = byName.get(name);
    if (!t) return undefined;
    const values = dequantize(t);
    if (values.length !== size)
      throw new UserError(`${path}: tensor ${name} has ${values.length} values, expected ${size}`);
    return values;
  };
  for (const e of params.layout) {
    // An absent output.weight means the output projection is tied to the embedding.
    const values =
      decode(e.name, e.size) ??
      (e.name === 'output.weight' ? decode('token_embd.weight', e.size) : undefined);
    if (!values) throw new UserError(`${path}: tensor ${e.name} is missing`);
    params.get(e.name).set(values);
  }
  const extras: LayerExtras[] = [];
  const qDim = config.heads * hd;
  const kvDim = config.kvHeads * hd;
  for (let l = 0; l < config.layers; l++) {
    const p = `blk.${l}.`;
    const get = (name: string, size: number) => {
      const v = decode(p + name, size);
      if (!v) return undefined;
      const out = runtime.heap.alloc(size);
      out.set(v);
      return out;
    };
    extras.push({
      bq: get('attn_q.bias', qDim),
      bk: get('attn_k.bias', kvDim),
      bv: get('attn_v.bias', kvDim),
      qNorm: get('attn_q_norm.weight', hd),
      kNorm: get('attn_k_norm.weight', hd),
    });
  }
  return { arch, config, params, runtime, extras, metadata: md };
}

/** Options of exportGguf. */
export interface ExportOptions {
  tokenizer: GgufTokenizer;
  name?: string;
  /** Storage of matrices and the embedding (norms stay F32). Q8_0 needs row lengths divisible by 32. */
  type?: 'f32' | 'f16' | 'q8_0';
  /** Extra metadata entries (e.g. provenance under `lynx.*`). */
  metadata?: GgufMetadata;
}

const GGML_TYPES = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 } as const;

/** Writes trained parameters as a GGUF: arch qwen2 (NEOX RoPE) or llama (normal RoPE), untied output, no biases. */
export async function exportGguf(path: string, params: ModelParams, opts: ExportOptions): Promise<void> {
  const cfg = params.config;
  if (opts.tokenizer.tokens.length !== cfg.vocabSize)
    throw new UserError(
      `tokenizer has ${opts.tokenizer.tokens.length} tokens but the model's vocabulary is ${cfg.vocabSize}`,
    );
  const arch: ArchName = cfg.ropeStyle === 'neox' ? 'qwen2' : 'llama';
  const type = GGML_TYPES[opts.type ?? 'f32'];
  const tensors: GgufTensor[] = params.layout.map((e) => {
    const v = params.get(e.name);
    return {
      name: e.name,
      // ggml's ne[] lists the contiguous dimension first: [in, out] for a row-major [out, in] matrix.
      dims: [...e.shape].reverse(),
      type: e.kind === 'norm' ? GgmlType.F32 : type,
      data: v instanceof Float32Array ? v : Float32Array.from(v),
    };
  });
  await writeGguf(path, {
    version: 3,
    metadata: {
      ...archMetadata(
        {
          arch,
          nLayers: cfg.layers,
          nEmbd: cfg.dim,
          nHead: cfg.heads,
          nHeadKv: cfg.kvHeads,
          nFf: cfg.ffn,
          contextLength: cfg.contextLength,
          ropeFreqBase: cfg.ropeTheta,
          rmsEps: cfg.rmsEps,
        },
        { name: opts.name ?? 'lynx-exit-testbed', fileType: type },
      ),
      ...tokenizerMetadata(opts.tokenizer),
      ...opts.metadata,
    },
    tensors,
  });
}
