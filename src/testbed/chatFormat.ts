/**
 * The testbed's R1-style prompt and conversation format (ChatML with an opened `<think>` block),
 * shared by the trace generator, the tokenizer's GGUF export and whoever prompts the model.
 */

/** Appended to every question, exactly as in DeepSeek-R1's math prompt. */
export const R1_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** What the assistant turn opens with; generation starts right after it. */
export const ASSISTANT_PREFIX = '<|im_start|>assistant\n<think>\n';

/** The exit cue LYNX appends to force an answer; also what every trace ends its thinking with. */
export const EXIT_CUE = '</think> Final Answer: \\boxed{';

/** The user message for a question. */
export function userMessage(question: string): string {
  return `${question}\n${R1_INSTRUCTION}`;
}

/** The prompt up to where the model starts thinking (what `add_generation_prompt` renders). */
export function promptText(question: string): string {
  return `<|im_start|>user\n${userMessage(question)}<|im_end|>\n${ASSISTANT_PREFIX}`;
}

/** The whole assistant turn: `<think>\n{thinking}</think> Final Answer: \boxed{answer}` (no end-of-turn token). */
export function assistantTurn(thinking: string, answer: string): string {
  return `<think>\n${thinking}</think> Final Answer: \\boxed{${answer}}`;
}

/** The assistant turn after the prompt: thinking, exit, boxed answer and end of turn. */
export function completionText(thinking: string, answer: string): string {
  return `${thinking}</think> Final Answer: \\boxed{${answer}}<|im_end|>`;
}

/** A whole training conversation. */
export function conversationText(question: string, thinking: string, answer: string): string {
  return promptText(question) + completionText(thinking, answer);
}

/**
 * Jinja chat template for the GGUF: renders user/assistant/system turns in ChatML and, with
 * `add_generation_prompt`, ends in `<|im_start|>assistant\n<think>\n`. For a one-question
 * conversation it produces exactly `promptText(question)` when given `userMessage(question)`.
 * Earlier assistant turns keep only what follows `</think>` (thoughts are not fed back).
 */
export const TESTBED_CHAT_TEMPLATE =
  '{%- for message in messages -%}' +
  "{%- set content = message['content'] -%}" +
  "{%- if message['role'] == 'assistant' and '</think>' in content -%}" +
  "{%- set content = content.split('</think>')[-1] | trim -%}" +
  '{%- endif -%}' +
  "{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' -}}" +
  '{%- endfor -%}' +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n<think>\\n' -}}{%- endif -%}";
