import { z } from 'zod';
import { lastBoxedContent } from '../boxed.ts';
import { parseJsonl, RowError } from '../jsonl.ts';
import type { Problem } from '../types.ts';

/** The seven MATH subjects, in the order LYNX walks them (the `EleutherAI/hendrycks_math` subsets). */
export const MATH_SUBJECTS = [
  'algebra',
  'counting_and_probability',
  'geometry',
  'intermediate_algebra',
  'number_theory',
  'prealgebra',
  'precalculus',
] as const;

/** One MATH subject, as a subset name. */
export type MathSubject = (typeof MATH_SUBJECTS)[number];

/**
 * A row of the hendrycks MATH release layout (problem, level, type, solution), optionally with the
 * `unique_id` and `answer` fields that prm800k-style exports add.
 */
export const mathTrainRowSchema = z.object({
  problem: z.string().min(1),
  level: z.string(),
  type: z.string().min(1),
  solution: z.string().min(1),
  unique_id: z.string().min(1).optional(),
  answer: z.string().optional(),
});

/** The subset name of a MATH `type` ("Counting & Probability" → "counting_and_probability"). */
export function mathSubjectOf(type: string): MathSubject {
  const key = type.trim().toLowerCase().replace(/&/g, 'and').replace(/\s+/g, '_');
  if (!(MATH_SUBJECTS as readonly string[]).includes(key)) {
    throw new RowError(`field "type": unknown MATH subject ${JSON.stringify(type)}`);
  }
  return key as MathSubject;
}

/**
 * Parses a MATH train JSONL file. Gold is the `answer` field, or else the content of the last
 * `\boxed{}` of the solution (nested braces kept whole, unlike the official regex). Ids are the
 * `unique_id`, or `line/<n>` when the row has none. A row whose answer is empty (`\boxed{}`; two
 * such rows are in the canonical train split, number_theory 7115 and 7117) cannot be graded and is
 * left out; a row with no boxed answer at all is an error.
 */
export function parseMathTrain(file: string, text: string): Problem[] {
  return parseJsonl(file, text, mathTrainRowSchema, (row, line) => {
    const gold = row.answer?.trim() ? row.answer : lastBoxedContent(row.solution);
    if (gold === undefined) throw new RowError('no "answer" field and no \\boxed{} answer in "solution"');
    if (gold.trim() === '') return undefined;
    const level = /^Level (\d)$/.exec(row.level);
    return {
      id: row.unique_id ?? `line/${line}`,
      task: 'math_train',
      question: row.problem,
      gold,
      meta: {
        subject: mathSubjectOf(row.type),
        level: level ? Number(level[1]) : null,
        solution: row.solution,
      },
    };
  });
}
