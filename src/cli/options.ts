/**
 * Option parsers and option groups shared by the subcommands, so every command validates numbers
 * the same way and names bad values with the same messages.
 */
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { type RiskLevel, type RiskLevelInput, riskLevel } from '../conformal/riskLevel.ts';
import { type ChatFormatOption, parseChatFormatOption } from '../engine/chatFormats.ts';
import { type GpuSetting, parseGpuSetting } from '../engine/llamacpp/LlamaCppEngine.ts';
import { DEFAULT_SGLANG_TIMEOUT_MS } from '../engine/sglang/client.ts';
import {
  DEFAULT_SGLANG_HIDDEN_MODE,
  SGLANG_HIDDEN_MODES,
  type SglangHiddenMode,
} from '../engine/sglang/SglangEngine.ts';
import { UserError } from '../errors.ts';
import { LYNX_OPTIONS } from '../reason/policies/lynx.ts';
import { DEFAULT_ANSWER_MAX_TOKENS, DEFAULT_MAX_TOKENS } from '../reason/runReasoning.ts';
import { DEFAULT_SAMPLE } from '../reason/sampling.ts';
import { TESTBED_SLICES, type TestbedSlice } from '../tasks/testbedTasks.ts';

/** Bounds of a number option; `open` makes both bounds exclusive. */
export interface NumberBounds {
  integer?: boolean;
  min?: number;
  max?: number;
  open?: boolean;
}

/** Parses a number option, or throws a UserError naming it. */
export function numberOption(name: string, opts: NumberBounds) {
  return (value: string): number => {
    const x = Number(value);
    const inRange =
      (opts.min === undefined || (opts.open ? x > opts.min : x >= opts.min)) &&
      (opts.max === undefined || (opts.open ? x < opts.max : x <= opts.max));
    if (value.trim() === '' || !Number.isFinite(x) || (opts.integer && !Number.isInteger(x)) || !inRange) {
      const lo = opts.min === undefined ? '' : `${opts.open ? '>' : '>='} ${opts.min}`;
      const hi = opts.max === undefined ? '' : `${opts.open ? '<' : '<='} ${opts.max}`;
      const range = [lo, hi].filter(Boolean).join(' and ');
      throw new UserError(
        `--${name} must be ${opts.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${value}"`,
      );
    }
    return x;
  };
}

/** Parses a comma-separated number list ("9,16,-1"), or throws a UserError naming the option. */
export function numberListOption(name: string, opts: NumberBounds) {
  const one = numberOption(name, opts);
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => p === '')) {
      throw new UserError(`--${name} must be a comma-separated list of numbers, got "${value}"`);
    }
    return parts.map((p) => {
      try {
        return one(p);
      } catch {
        throw new UserError(
          `--${name}: "${p}" in "${value}" is not ${opts.integer ? 'an integer' : 'a number'} in range`,
        );
      }
    });
  };
}

/** The engines a model-running command can run on: llama.cpp in-process, or an SGLang server. */
export const ENGINE_KINDS = ['llamacpp', 'sglang'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];
/** The engine when --engine is not given: the GGUF in this process. */
export const DEFAULT_ENGINE: EngineKind = 'llamacpp';

/** The parsed engine options that `addEngineOptions` declares (absent: the engine's default). */
export interface EngineCommandOptions {
  threads?: number;
  contextSize?: number;
  chatFormat: ChatFormatOption;
  gpu?: GpuSetting;
  /** Default `DEFAULT_ENGINE`. */
  engine?: EngineKind;
  /** SGLang: base URL of the server or of the Model Gateway in front of several. */
  url?: string;
  /** SGLang: how hidden states are asked for. */
  sglangHidden?: SglangHiddenMode;
  /** SGLang: seconds one request may take. */
  sglangTimeout?: number;
  /** SGLang: the server's --api-key. */
  sglangApiKey?: string;
}

/** -m/--model: the GGUF; with --engine sglang only its tokenizer and sizes are read. `note` adds to the help. */
export function modelOption(required = true, note = ''): Option {
  const o = new Option(
    '-m, --model <file>',
    `GGUF model file${note} (with --engine sglang: the served model's GGUF, read for its tokenizer and sizes only; a vocab-only GGUF is enough)`,
  );
  return required ? o.makeOptionMandatory() : o;
}

/** --engine: llamacpp (the GGUF in this process) or sglang (a server at --url). */
export function engineOption(): Option {
  return new Option(
    '--engine <name>',
    'llamacpp (run the GGUF in this process) or sglang (an SGLang server at --url)',
  )
    .argParser((value: string): EngineKind => {
      if ((ENGINE_KINDS as readonly string[]).includes(value)) return value as EngineKind;
      const why =
        value === 'vllm' ? ' (vLLM does not return per-token hidden states inline; see the README)' : '';
      throw new UserError(`--engine must be ${ENGINE_KINDS.join(' or ')}, got "${value}"${why}`);
    })
    .default(DEFAULT_ENGINE);
}

/** The SGLang flags: --url, --sglang-hidden, --sglang-timeout, --sglang-api-key (no defaults, so misuse shows). */
export function sglangOptions(): Option[] {
  return [
    new Option('--url <url>', 'with --engine sglang: the SGLang server (or Model Gateway), http://HOST:PORT'),
    new Option(
      '--sglang-hidden <mode>',
      `with --engine sglang: ask for hidden states as "full" (any build) or "last" (builds with SGLang PR #30177) (default: ${DEFAULT_SGLANG_HIDDEN_MODE})`,
    ).argParser((value: string): SglangHiddenMode => {
      if ((SGLANG_HIDDEN_MODES as readonly string[]).includes(value)) return value as SglangHiddenMode;
      throw new UserError(`--sglang-hidden must be ${SGLANG_HIDDEN_MODES.join(' or ')}, got "${value}"`);
    }),
    new Option(
      '--sglang-timeout <s>',
      `with --engine sglang: seconds one request may take (default: ${DEFAULT_SGLANG_TIMEOUT_MS / 1000})`,
    ).argParser(numberOption('sglang-timeout', { min: 0, open: true })),
    new Option(
      '--sglang-api-key <key>',
      "with --engine sglang: the server's --api-key (default: $SGLANG_API_KEY if set)",
    ),
  ];
}

/** --gpu: where the model's layers run (default auto, as node-llama-cpp: a GPU when found, else CPU). */
export function gpuOption(): Option {
  return new Option(
    '--gpu <where>',
    'auto (a GPU when one is found, else CPU), off, or a number of layers to offload',
  )
    .argParser(parseGpuSetting)
    .default('auto');
}

/** --parallel: problems or requests decoded side by side in shared batches. */
export function parallelOption(defaultValue: number, what: string): Option {
  return new Option('--parallel <n>', `${what} decoded at once, batched together`)
    .argParser(numberOption('parallel', { integer: true, min: 1, max: 256 }))
    .default(defaultValue);
}

/** --threads: CPU threads of the llama.cpp engine. */
export function threadsOption(): Option {
  return new Option('--threads <n>', 'CPU threads (default: 1 for tiny models, else 2)').argParser(
    numberOption('threads', { integer: true, min: 1 }),
  );
}

/** --context-size: the engine's context in tokens. */
export function contextSizeOption(): Option {
  return new Option('--context-size <n>', 'context size in tokens').argParser(
    numberOption('context-size', { integer: true, min: 16 }),
  );
}

/** --chat-format: which chat template wraps the prompt ('auto' reads the model's). */
export function chatFormatOption(): Option {
  return new Option('--chat-format <name>', 'auto, chatml-think, deepseek-r1 or qwen3-thinking')
    .argParser(parseChatFormatOption)
    .default('auto');
}

/** -t/--temperature with the shared default (DEFAULT_SAMPLE). */
export function temperatureOption(help: string): Option {
  return new Option('-t, --temperature <t>', help)
    .argParser(numberOption('temperature', { min: 0 }))
    .default(DEFAULT_SAMPLE.temperature);
}

/** --top-p with the shared default (DEFAULT_SAMPLE). */
export function topPOption(help: string): Option {
  return new Option('--top-p <p>', help)
    .argParser(numberOption('top-p', { min: 0, max: 1 }))
    .default(DEFAULT_SAMPLE.topP);
}

/** --top-k: the same meaning and default wherever a command samples per token. */
export function topKOption(): Option {
  return new Option('--top-k <k>', 'keep the k most likely tokens (0 = all)')
    .argParser(numberOption('top-k', { integer: true, min: 0 }))
    .default(DEFAULT_SAMPLE.topK);
}

/** The LYNX risk level from --delta / --alpha / --epsilon (δ DEFAULT_DELTA when neither is given). */
export function lynxLevelFromFlags(o: RiskLevelInput): RiskLevel {
  return riskLevel(o, { orDefault: true, what: 'options' });
}

/** A number flag parsed and checked by a zod field (the policy's own schema), errors naming the flag. */
export function schemaNumberOption(flag: string, field: z.ZodType) {
  return (value: string): number => {
    const res = field.safeParse(value.trim() === '' ? Number.NaN : Number(value));
    if (!res.success) throw new UserError(`--${flag}: ${res.error.issues[0].message}, got "${value}"`);
    return res.data as number;
  };
}

/**
 * The --delta / --alpha / --epsilon options, derived from LYNX's option schema (ranges and help);
 * `prefix` words the help (e.g. "default " for a server).
 */
export function lynxLevelOptions(prefix = ''): Option[] {
  return (['delta', 'alpha', 'epsilon'] as const).map((key) => {
    const field = LYNX_OPTIONS.shape[key];
    const help = key === 'epsilon' ? (field.description ?? '') : `${prefix}${field.description ?? ''}`;
    return new Option(`--${key} <${key[0]}>`, help).argParser(schemaNumberOption(key, field.unwrap()));
  });
}

/** Parses --slice (train, calib, dev, test or all). */
export function parseSlice(value: string): TestbedSlice | 'all' {
  if (value === 'all' || (TESTBED_SLICES as readonly string[]).includes(value)) return value as TestbedSlice;
  throw new UserError(`--slice must be ${TESTBED_SLICES.join(', ')} or all, got "${value}"`);
}

/**
 * Adds the engine options every model-running command shares: the engine and its SGLang flags, then
 * llama.cpp's threads and GPU, parallel sessions (when the command runs several), context and chat
 * format. `openEngine` (src/cli/openEngine.ts) reads them.
 */
export function addEngineOptions(cmd: Command, parallel?: { default: number; what: string }): Command {
  cmd.addOption(engineOption());
  for (const o of sglangOptions()) cmd.addOption(o);
  cmd.addOption(threadsOption()).addOption(gpuOption());
  if (parallel) cmd.addOption(parallelOption(parallel.default, parallel.what));
  return cmd.addOption(contextSizeOption()).addOption(chatFormatOption());
}

/** --data-seed: the seed of testbed problem generation and of slice permutations (default 42). */
export function dataSeedOption(help = 'testbed problem generation seed'): Option {
  return new Option('--data-seed <n>', help)
    .argParser(numberOption('data-seed', { integer: true, min: 0 }))
    .default(42);
}

/** -n, --max-tokens: most thinking + answer tokens of one run (default: the reasoning loop's). */
/** (`null`: no default, the caller decides.) */
export function maxTokensOption(help: string, defaultValue: number | null = DEFAULT_MAX_TOKENS): Option {
  const o = new Option('-n, --max-tokens <n>', help).argParser(
    numberOption('max-tokens', { integer: true, min: 1 }),
  );
  return defaultValue === null ? o : o.default(defaultValue);
}

/** --exit-max-tokens: most tokens of a forced-exit answer (default: the reasoning loop's). */
export function exitMaxTokensOption(
  help = 'most tokens of a forced-exit answer',
  defaultValue: number | null = DEFAULT_ANSWER_MAX_TOKENS,
): Option {
  const o = new Option('--exit-max-tokens <n>', help).argParser(
    numberOption('exit-max-tokens', { integer: true, min: 1 }),
  );
  return defaultValue === null ? o : o.default(defaultValue);
}
