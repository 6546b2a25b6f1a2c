/**
 * The parts of SGLang's native HTTP API the SGLang engine uses, as zod schemas: `POST /generate`
 * (`GenerateReqInput` in python/sglang/srt/managers/io_struct.py; sampling fields from
 * python/sglang/srt/sampling/sampling_params.py), `GET /get_model_info`, `GET /get_server_info`,
 * `POST /abort_request`. Responses are parsed leniently (unknown keys kept) so newer servers that
 * add fields still work; what the engine reads is checked strictly.
 */
import { z } from 'zod';

/** `sampling_params` of a `/generate` request (only the fields this client sends). */
export interface WireSamplingParams {
  max_new_tokens: number;
  temperature: number;
  top_p?: number;
  /** -1: no limit. */
  top_k?: number;
  sampling_seed?: number;
  stop?: string[];
  stop_token_ids?: number[];
  /** Keep the matched stop string in `text` (the engine reads `output_ids` only, which run through it). */
  no_stop_trim?: boolean;
  skip_special_tokens?: boolean;
}

/** A single (non-batch) `/generate` request with token ids. */
export interface WireGenerateRequest {
  input_ids: number[];
  sampling_params: WireSamplingParams;
  rid: string;
  stream: false;
  return_logprob?: boolean;
  top_logprobs_num?: number;
  /** true: the prompt's uncomputed rows then one vector per decode step; 'last': only the final vector. */
  return_hidden_states?: boolean | 'last';
}

/** [logprob, token id, token text or null]: SGLang's logprob tuple. */
const LogprobEntry = z
  .tuple([z.number().nullable(), z.number().int(), z.string().nullable()])
  .rest(z.unknown());

const FinishReason = z
  .object({
    type: z.string(),
    matched: z.union([z.number(), z.string(), z.null()]).optional(),
    message: z.string().optional(),
    length: z.number().optional(),
  })
  .passthrough();

/** One vector, a 2-D block of rows, or (in 'last' mode on some builds) a vector wrapped once more. */
const HiddenEntry = z.union([z.array(z.number()), z.array(z.array(z.number()))]);

export const WireGenerateResponse = z
  .object({
    output_ids: z.array(z.number().int()),
    meta_info: z
      .object({
        id: z.string().optional(),
        finish_reason: FinishReason.nullable().optional(),
        prompt_tokens: z.number().int().optional(),
        completion_tokens: z.number().int().optional(),
        cached_tokens: z.number().int().optional(),
        output_token_logprobs: z.array(LogprobEntry).optional(),
        output_top_logprobs: z.array(z.array(LogprobEntry).nullable()).optional(),
        hidden_states: z.union([z.array(HiddenEntry), HiddenEntry]).optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type WireGenerateResponse = z.infer<typeof WireGenerateResponse>;

export const WireModelInfo = z
  .object({
    model_path: z.string(),
    tokenizer_path: z.string().nullable().optional(),
    is_generation: z.boolean().optional(),
  })
  .passthrough();
export type WireModelInfo = z.infer<typeof WireModelInfo>;

/** The server arguments `/get_server_info` reports that matter here (absent on some builds). */
export const WireServerInfo = z
  .object({
    enable_return_hidden_states: z.boolean().optional(),
    disable_radix_cache: z.boolean().optional(),
    speculative_algorithm: z.string().nullable().optional(),
    context_length: z.number().int().nullable().optional(),
    version: z.string().optional(),
  })
  .passthrough();
export type WireServerInfo = z.infer<typeof WireServerInfo>;

/**
 * The hidden state of the last input token from a `/generate` response with max_new_tokens 1:
 * the one vector of 'last' mode, or the last computed row of the prompt block (`hidden_states[0]`).
 * `computedRows` (prompt_tokens − cached_tokens) picks that row by position: builds before SGLang
 * PR #30177 slice the block by the prompt's length, so after a prefix-cache hit it runs past this
 * request's rows; from #30177 on the block has exactly `computedRows` rows.
 */
export function lastInputState(
  hidden: WireGenerateResponse['meta_info']['hidden_states'],
  computedRows?: number,
): number[] | undefined {
  if (hidden === undefined || hidden.length === 0) return undefined;
  const first = hidden[0];
  if (typeof first === 'number') return hidden as number[];
  if (first.length === 0) return undefined;
  if (typeof first[0] === 'number') return first as number[];
  const rows = first as number[][];
  const at =
    computedRows !== undefined &&
    Number.isInteger(computedRows) &&
    computedRows >= 1 &&
    computedRows <= rows.length
      ? computedRows - 1
      : rows.length - 1;
  return rows[at];
}

/** Number of hidden-state vectors a response carried (for the engine's transfer counters). */
export function hiddenVectorCount(hidden: WireGenerateResponse['meta_info']['hidden_states']): number {
  if (hidden === undefined || hidden.length === 0) return 0;
  if (typeof hidden[0] === 'number') return 1;
  let n = 0;
  for (const entry of hidden as Array<number[] | number[][]>) {
    n += entry.length > 0 && typeof entry[0] !== 'number' ? entry.length : 1;
  }
  return n;
}
