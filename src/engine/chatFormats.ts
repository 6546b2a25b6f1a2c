/**
 * Chat prompt formats of reasoning models, written out by hand (no template engine), each ending
 * where the model starts thinking: right after `<think>\n`.
 */
import { UserError } from '../errors.ts';
import type { ChatMessage } from './types.ts';

/** The named formats. */
export const CHAT_FORMAT_NAMES = ['chatml-think', 'deepseek-r1', 'qwen3-thinking'] as const;
/** A named chat format. */
export type ChatFormatName = (typeof CHAT_FORMAT_NAMES)[number];
/** A chat format choice: a name, or 'auto' (detect from the model's template and vocabulary). */
export type ChatFormatOption = 'auto' | ChatFormatName;

/** DeepSeek-R1 special tokens (fullwidth bars, U+FF5C; spaces are U+2581). */
export const DEEPSEEK_TOKENS = {
  bos: '<｜begin▁of▁sentence｜>',
  eos: '<｜end▁of▁sentence｜>',
  user: '<｜User｜>',
  assistant: '<｜Assistant｜>',
} as const;

/** Checks a user-given format name. */
export function parseChatFormatOption(value: string): ChatFormatOption {
  if (value === 'auto' || (CHAT_FORMAT_NAMES as readonly string[]).includes(value))
    return value as ChatFormatOption;
  throw new UserError(`unknown chat format "${value}"; use one of: auto, ${CHAT_FORMAT_NAMES.join(', ')}`);
}

/** The answer part of an assistant message: what follows the last `</think>` (templates drop old thoughts). */
export function stripThinking(content: string): string {
  const i = content.lastIndexOf('</think>');
  return i < 0 ? content : content.slice(i + '</think>'.length);
}

/** ChatML turns; `lstrip` removes the newlines Qwen3's template strips after `</think>`. */
function chatml(messages: readonly ChatMessage[], lstrip: boolean): string {
  let out = '';
  for (const m of messages) {
    let content = m.content;
    if (m.role === 'assistant') {
      content = stripThinking(content);
      if (lstrip) content = content.replace(/^\n+/, '');
    }
    out += `<|im_start|>${m.role}\n${content}<|im_end|>\n`;
  }
  return `${out}<|im_start|>assistant\n<think>\n`;
}

/** DeepSeek-R1(-Distill): BOS, system text bare, then User/Assistant turns; old thoughts dropped. */
function deepseekR1(messages: readonly ChatMessage[]): string {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  let out = DEEPSEEK_TOKENS.bos + system;
  for (const m of messages) {
    if (m.role === 'user') out += DEEPSEEK_TOKENS.user + m.content;
    else if (m.role === 'assistant')
      out += DEEPSEEK_TOKENS.assistant + stripThinking(m.content) + DEEPSEEK_TOKENS.eos;
  }
  return `${out}${DEEPSEEK_TOKENS.assistant}<think>\n`;
}

/**
 * Formats `messages` as prompt text in `format`, with the generation prompt opened up to and
 * including `<think>\n`:
 * - chatml-think: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, assistant thoughts dropped;
 * - qwen3-thinking: the same, also stripping leading newlines of old answers like Qwen3's template
 *   (Qwen3 keeps thoughts of assistant turns after the last user turn in tool use; not modelled);
 * - deepseek-r1: `<｜begin▁of▁sentence｜>{system}<｜User｜>{u}<｜Assistant｜>{a}<｜end▁of▁sentence｜>…`.
 */
export function formatChat(format: ChatFormatName, messages: readonly ChatMessage[]): string {
  if (messages.length === 0) throw new UserError('a chat needs at least one message');
  switch (format) {
    case 'chatml-think':
      return chatml(messages, false);
    case 'qwen3-thinking':
      return chatml(messages, true);
    case 'deepseek-r1':
      return deepseekR1(messages);
  }
}

/**
 * Picks the format of a model from its Jinja chat template (if any) and its special tokens;
 * undefined when neither looks like a supported format.
 */
export function detectChatFormat(
  template: string | undefined,
  hasSpecialToken: (text: string) => boolean,
): ChatFormatName | undefined {
  if (template !== undefined) {
    if (template.includes(DEEPSEEK_TOKENS.assistant)) return 'deepseek-r1';
    if (template.includes('<|im_start|>')) {
      return template.includes('enable_thinking') || template.includes('reasoning_content')
        ? 'qwen3-thinking'
        : 'chatml-think';
    }
  }
  if (hasSpecialToken(DEEPSEEK_TOKENS.assistant)) return 'deepseek-r1';
  if (hasSpecialToken('<|im_start|>')) return 'chatml-think';
  return undefined;
}
