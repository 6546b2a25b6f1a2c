/**
 * The one place the CLI opens an engine from parsed options (`addEngineOptions`): the GGUF in this
 * process (llama.cpp), or an SGLang server at --url with the GGUF read for its tokenizer and shape
 * only. Every model-running command goes through it, so the flags mean the same everywhere.
 */
import { LlamaCppEngine } from '../engine/llamacpp/LlamaCppEngine.ts';
import { SglangEngine } from '../engine/sglang/SglangEngine.ts';
import type { Engine } from '../engine/types.ts';
import { UserError } from '../errors.ts';
import { DEFAULT_ENGINE, type EngineCommandOptions } from './options.ts';

/** What `openEngine` needs: the engine flags, the GGUF, and the command's seed and parallel sessions. */
export interface OpenEngineOptions extends EngineCommandOptions {
  /** The GGUF: run in-process, or (sglang) the served model's tokenizer and sizes. */
  model: string;
  /** Default sampling seed of requests that name none. */
  seed?: number;
  /** Sessions open at once (llama.cpp: sequences of one context; sglang: requests in flight). */
  parallel?: number;
}

/** Throws a UserError for flags that do not fit the engine (an SGLang flag without sglang, llama.cpp flags with it). */
export function checkEngineOptions(o: EngineCommandOptions): void {
  const engine = o.engine ?? DEFAULT_ENGINE;
  if (engine === 'sglang') {
    if (o.url === undefined)
      throw new UserError(
        '--engine sglang needs --url http://HOST:PORT (the SGLang server, or the Model Gateway in front of several)',
      );
    if (o.threads !== undefined)
      throw new UserError(
        '--threads sets the in-process engine; with --engine sglang the server has its own (drop --threads)',
      );
    if (o.gpu !== undefined && o.gpu !== 'auto')
      throw new UserError(
        '--gpu sets the in-process engine; with --engine sglang the server has its own (drop --gpu)',
      );
    return;
  }
  const stray = (
    [
      ['url', '--url'],
      ['sglangHidden', '--sglang-hidden'],
      ['sglangTimeout', '--sglang-timeout'],
      ['sglangApiKey', '--sglang-api-key'],
    ] as const
  ).find(([key]) => o[key] !== undefined);
  if (stray)
    throw new UserError(
      `${stray[1]} is for an SGLang server: add --engine sglang${stray[0] === 'url' ? '' : ' --url http://HOST:PORT'}, or drop ${stray[1]}`,
    );
}

/** Opens the engine the options name; the caller disposes it. */
export async function openEngine(o: OpenEngineOptions): Promise<Engine> {
  checkEngineOptions(o);
  if ((o.engine ?? DEFAULT_ENGINE) === 'llamacpp')
    return LlamaCppEngine.load(o.model, {
      threads: o.threads,
      contextSize: o.contextSize,
      seed: o.seed,
      chatFormat: o.chatFormat,
      gpu: o.gpu,
      parallel: o.parallel,
    });
  const tokenizer = await LlamaCppEngine.loadTokenizer(o.model, { chatFormat: o.chatFormat });
  const apiKey = o.sglangApiKey ?? process.env.SGLANG_API_KEY;
  return SglangEngine.connect({
    url: o.url as string,
    tokenizer,
    ownsTokenizer: true,
    ...(o.parallel !== undefined ? { parallel: o.parallel } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.contextSize !== undefined ? { contextSize: o.contextSize } : {}),
    ...(o.sglangHidden !== undefined ? { hiddenMode: o.sglangHidden } : {}),
    ...(o.sglangTimeout !== undefined ? { timeoutMs: o.sglangTimeout * 1000 } : {}),
    ...(apiKey ? { apiKey } : {}),
  });
}

/** Where the engine runs, for log lines: the llama.cpp device, or the SGLang server's URL. */
export function engineWhere(engine: Engine): string {
  if (engine instanceof LlamaCppEngine) return engine.device;
  if (engine instanceof SglangEngine)
    return `SGLang at ${engine.client.url}${engine.server.version ? ` (${engine.server.version})` : ''}`;
  return engine.info.name;
}

/** Every key of `EngineCommandOptions`: the type check below fails when a new engine flag is left off. */
const ENGINE_OPTION_KEYS = [
  'threads',
  'contextSize',
  'chatFormat',
  'gpu',
  'engine',
  'url',
  'sglangHidden',
  'sglangTimeout',
  'sglangApiKey',
] as const satisfies ReadonlyArray<keyof EngineCommandOptions>;
const everyEngineOption: Exclude<
  keyof EngineCommandOptions,
  (typeof ENGINE_OPTION_KEYS)[number]
> extends never
  ? true
  : false = true;
void everyEngineOption;

/** The engine options of a command's options (to hand them on to another command's runner). */
export function engineOptionsOf(o: EngineCommandOptions): EngineCommandOptions {
  return Object.fromEntries(ENGINE_OPTION_KEYS.map((k) => [k, o[k]])) as unknown as EngineCommandOptions;
}
