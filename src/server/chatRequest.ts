/**
 * Validation of `POST /v1/chat/completions` bodies into a normalized request. Known fields of the
 * wrong type or out of range are 400s naming the parameter. Parameters that would change what the
 * output means and that this server does not implement (tools, structured output, penalties,
 * logit_bias) are refused with a 400 naming them, never silently ignored; harmless ones (user,
 * metadata, store, ...) are accepted and ignored.
 */
import { z } from 'zod';
import type { ChatMessage } from '../engine/types.ts';
import { LYNX_OPTIONS } from '../reason/policies/lynx.ts';
import { badRequest } from './apiError.ts';

/** Per-request early-exit setting: off, the server default, or a risk level. */
export type ExitSetting =
  | { kind: 'off' }
  | { kind: 'default' }
  | { kind: 'on' }
  | { kind: 'delta'; delta: number }
  | { kind: 'alpha'; alpha: number; epsilon?: number };

/** A validated chat completion request. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  seed?: number;
  stop: string[];
  exit: ExitSetting;
  /** OpenAI `logprobs`: undefined when off, else how many alternatives (`top_logprobs`, 0–20). */
  logprobs?: number;
}

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(TextPart)]),
  name: z.string().optional(),
});

const Body = z.object({
  model: z.string().min(1),
  messages: z.array(z.unknown()).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  seed: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer').nullish(),
  n: z.literal(1).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  lynx: z.union([z.literal(false), z.literal(true), LYNX_OPTIONS]).nullish(),
});

/** "messages[0].content" from a zod path. */
function paramOf(path: readonly PropertyKey[]): string | null {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || null;
}

function firstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): never {
  const issue = error.issues[0];
  const param = paramOf([...prefix, ...issue.path]);
  throw badRequest(`Invalid value for '${param ?? 'body'}': ${issue.message}`, param);
}

function parseMessage(raw: unknown, i: number): ChatMessage {
  const m = Message.safeParse(raw);
  if (!m.success) {
    const role = (raw as { role?: unknown } | null)?.role;
    if (typeof role === 'string' && (role === 'tool' || role === 'function'))
      throw badRequest(
        `messages[${i}]: role '${role}' is not supported by this server`,
        `messages[${i}].role`,
      );
    firstIssue(m.error, ['messages', i]);
  }
  const { role, content } = m.data;
  const text = typeof content === 'string' ? content : content.map((p) => p.text).join('');
  return { role: role === 'developer' ? 'system' : role, content: text };
}

/** Parameters that change what the output means and that this server refuses when they are set. */
function refuseUnsupported(b: Record<string, unknown>): void {
  const set = (v: unknown) =>
    v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && v !== 'none';
  for (const name of ['tools', 'tool_choice', 'functions', 'function_call', 'parallel_tool_calls'])
    if (set(b[name]) && !(name === 'parallel_tool_calls' && b[name] === false))
      throw badRequest(`'${name}': tool and function calling is not supported by this server.`, name);
  const format = b.response_format as { type?: unknown } | null | undefined;
  if (format != null && !(typeof format === 'object' && format.type === 'text'))
    throw badRequest(
      '\'response_format\': only {"type": "text"} is supported (no JSON mode or schemas).',
      'response_format',
    );
  for (const name of ['frequency_penalty', 'presence_penalty'])
    if (typeof b[name] === 'number' && b[name] !== 0)
      throw badRequest(
        `'${name}': repetition penalties are not supported by this server (send 0 or omit it).`,
        name,
      );
  if (b.logit_bias != null && Object.keys(b.logit_bias as object).length > 0)
    throw badRequest("'logit_bias' is not supported by this server.", 'logit_bias');
  for (const name of ['audio', 'modalities', 'prediction', 'web_search_options'])
    if (set(b[name]) && !(name === 'modalities' && JSON.stringify(b[name]) === '["text"]'))
      throw badRequest(`'${name}' is not supported by this server.`, name);
}

/**
 * Validates a parsed JSON body; `contextSize` bounds max_tokens. Throws ApiError (400) on the first
 * problem found.
 */
export function parseChatRequest(body: unknown, contextSize: number): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('The request body must be a JSON object.');
  const parsed = Body.safeParse(body);
  if (!parsed.success) firstIssue(parsed.error);
  const b = parsed.data;
  refuseUnsupported(body as Record<string, unknown>);
  if (b.top_logprobs != null && b.logprobs !== true)
    throw badRequest("'top_logprobs' needs 'logprobs': true.", 'top_logprobs');
  const messages = b.messages.map(parseMessage);
  if (!messages.some((m) => m.role === 'user'))
    throw badRequest("'messages' must contain at least one message with role 'user'.", 'messages');
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? undefined;
  if (maxTokens !== undefined && maxTokens > contextSize) {
    const param = b.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    throw badRequest(
      `Invalid value for '${param}': ${maxTokens} is more than the model's context size (${contextSize} tokens).`,
      param,
    );
  }
  let exit: ExitSetting = { kind: 'default' };
  if (b.lynx === false) exit = { kind: 'off' };
  else if (b.lynx === true) exit = { kind: 'on' };
  else if (b.lynx && typeof b.lynx === 'object') {
    const { delta, alpha, epsilon } = b.lynx;
    if (delta !== undefined && alpha !== undefined)
      throw badRequest("'lynx' takes either 'delta' or 'alpha', not both.", 'lynx');
    if (epsilon !== undefined && alpha === undefined)
      throw badRequest("'lynx.epsilon' goes with 'lynx.alpha' (trajectory-level risk).", 'lynx.epsilon');
    if (delta !== undefined) exit = { kind: 'delta', delta };
    else if (alpha !== undefined)
      exit = { kind: 'alpha', alpha, ...(epsilon !== undefined ? { epsilon } : {}) };
  }
  return {
    model: b.model,
    messages,
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
    temperature: b.temperature ?? undefined,
    topP: b.top_p ?? undefined,
    topK: b.top_k ?? undefined,
    maxTokens,
    seed: b.seed ?? undefined,
    stop: b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop,
    exit,
    ...(b.logprobs === true ? { logprobs: b.top_logprobs ?? 0 } : {}),
  };
}
