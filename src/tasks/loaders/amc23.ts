import { z } from 'zod';
import { parseJsonl } from '../jsonl.ts';
import type { Problem } from '../types.ts';

/** A row of Qwen2.5-Math `amc23/test.jsonl` (answer a float such as 27.0). */
export const amc23RowSchema = z.object({
  id: z.union([z.number().int(), z.string()]),
  problem: z.string().min(1),
  answer: z.number().refine(Number.isFinite, 'must be a finite number'),
  url: z.string().optional(),
});

/** Parses an AMC 2023 JSONL file; whole-number answers are written without ".0" ("27"). */
export function parseAmc23(file: string, text: string): Problem[] {
  return parseJsonl(file, text, amc23RowSchema, (row) => ({
    id: String(row.id),
    task: 'amc23',
    question: row.problem,
    gold: String(row.answer),
    meta: { rawAnswer: row.answer, ...(row.url ? { url: row.url } : {}) },
  }));
}
