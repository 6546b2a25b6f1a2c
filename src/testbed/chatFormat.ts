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

/**
 * What follows `</think>` in the training traces, with the share of traces that use each: LYNX's
 * exit text, and the "blank line, then the answer" forms of R1-style models, so the model answers
 * after DEER's `\n</think>\n\n` exit and after NoThinking's prefill as a real reasoning model does.
 */
export const ANSWER_FORMATS: ReadonlyArray<{ share: number; render: (answer: string) => string }> = [
  { share: 0.4, render: (a) => ` Final Answer: \\boxed{${a}}` },
  { share: 0.3, render: (a) => `\n\n**Final Answer**\n\\boxed{${a}}` },
  { share: 0.2, render: (a) => `\n\nThe answer is \\boxed{${a}}.` },
  { share: 0.1, render: (a) => `\n\n\\boxed{${a}}` },
];

/** The whole assistant turn: `<think>\n{thinking}</think>{answerText}` (no end-of-turn token). */
export function assistantTurn(thinking: string, answerText: string): string {
  return `<think>\n${thinking}</think>${answerText}`;
}

/** The assistant turn after the prompt: thinking, `</think>`, the answer text and end of turn. */
export function completionText(thinking: string, answerText: string): string {
  return `${thinking}</think>${answerText}<|im_end|>`;
}

/** A whole training conversation. */
export function conversationText(question: string, thinking: string, answerText: string): string {
  return promptText(question) + completionText(thinking, answerText);
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
