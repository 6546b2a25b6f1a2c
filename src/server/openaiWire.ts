/** The JSON objects of OpenAI's chat completion API that this server sends. */
import type { ChatOutcome, LogprobEntry, ServiceDelta } from './ChatService.ts';

/** OpenAI's `logprobs` field of a choice: null unless the request asked for logprobs. */
function logprobsField(entries: LogprobEntry[] | undefined) {
  return entries === undefined ? null : { content: entries, refusal: null };
}

/** `usage`: completion tokens count every decoded token (thinking, probe/trial and answer). */
export function usageOf(o: ChatOutcome) {
  return {
    prompt_tokens: o.promptTokens,
    completion_tokens: o.counts.total,
    total_tokens: o.promptTokens + o.counts.total,
    completion_tokens_details: {
      reasoning_tokens: o.counts.thinking,
      probe_tokens: o.counts.probe,
      answer_tokens: o.counts.answer,
    },
  };
}

/** A whole (non-streaming) `chat.completion`. */
export function completionObject(id: string, created: number, model: string, o: ChatOutcome) {
  return {
    id,
    object: 'chat.completion' as const,
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: o.content,
          reasoning_content: o.reasoning,
          refusal: null,
        },
        logprobs: logprobsField(o.logprobs),
        finish_reason: o.finishReason,
      },
    ],
    usage: usageOf(o),
    lynx: o.lynx,
  };
}

/** One `chat.completion.chunk` with a delta (or the finishing chunk). */
export function chunkObject(
  id: string,
  created: number,
  model: string,
  delta: ServiceDelta & { role?: 'assistant' },
  finishReason: string | null = null,
  extra: Record<string, unknown> = {},
) {
  const d: Record<string, string> = {};
  if (delta.role) d.role = delta.role;
  if (delta.reasoning !== undefined) d.reasoning_content = delta.reasoning;
  if (delta.content !== undefined) d.content = delta.content;
  return {
    id,
    object: 'chat.completion.chunk' as const,
    created,
    model,
    choices: [{ index: 0, delta: d, logprobs: logprobsField(delta.logprobs), finish_reason: finishReason }],
    ...extra,
  };
}

/** The usage-only chunk sent last when `stream_options.include_usage` is set. */
export function usageChunk(id: string, created: number, model: string, o: ChatOutcome) {
  return {
    id,
    object: 'chat.completion.chunk' as const,
    created,
    model,
    choices: [],
    usage: usageOf(o),
    lynx: o.lynx,
  };
}
