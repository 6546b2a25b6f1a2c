import { z } from 'zod';
import { parseJsonl } from '../jsonl.ts';
import type { Problem } from '../types.ts';

/** A row of openai/prm800k `math_splits/test.jsonl` (MATH-500). */
export const math500RowSchema = z.object({
  problem: z.string().min(1),
  solution: z.string(),
  answer: z.string().min(1),
  subject: z.string().min(1),
  level: z.number().int(),
  unique_id: z.string().min(1),
});

/** Parses a MATH-500 JSONL file; gold is the `answer` field, id the `unique_id`. */
export function parseMath500(file: string, text: string): Problem[] {
  return parseJsonl(file, text, math500RowSchema, (row) => ({
    id: row.unique_id,
    task: 'math500',
    question: row.problem,
    gold: row.answer,
    meta: { subject: row.subject, level: row.level, solution: row.solution },
  }));
}
