import type { ChatMessage } from '../engine/types.ts';
import type { Problem } from './types.ts';

/** The R1-style ("zst") instruction LYNX appends to every math problem. */
export const MATH_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** The instruction LYNX puts under a multiple-choice question, for the given choice letters. */
export function multipleChoiceInstruction(labels: readonly string[]): string {
  return `Please think step by step, then give your final answer as \\boxed{<LETTER>} where <LETTER> is one of ${labels.join(',')}.`;
}

/** The user message for a problem: `question\n<instruction>`, or LYNX's CommonsenseQA layout when it has choices. */
export function userPrompt(problem: Problem): string {
  if (problem.choices && problem.choices.length > 0) {
    const lines = problem.choices.map((c) => `${c.label}. ${c.text}`);
    const labels = problem.choices.map((c) => c.label);
    return `Question: ${problem.question}\nChoices:\n${lines.join('\n')}\n${multipleChoiceInstruction(labels)}`;
  }
  return `${problem.question}\n${MATH_INSTRUCTION}`;
}

/** The chat for a problem: a single user message, no system message (as in LYNX's zst prompt style). */
export function buildPrompt(problem: Problem): ChatMessage[] {
  return [{ role: 'user', content: userPrompt(problem) }];
}
