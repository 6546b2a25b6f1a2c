import { z } from 'zod';
import { parseJsonl, RowError } from '../jsonl.ts';
import type { Problem, TaskName } from '../types.ts';

/**
 * A row of an AIME file: Qwen2.5-Math `aime24/test.jsonl` (id int, answer a zero-padded string such
 * as "025") or AReaL `aime25/test.jsonl` (id string, answer int).
 */
export const aimeRowSchema = z.object({
  id: z.union([z.string(), z.number().int()]).optional(),
  problem: z.string().min(1),
  answer: z.union([z.string(), z.number()]),
  solution: z.string().optional(),
  url: z.string().optional(),
});

/** An AIME answer as a plain integer string ("025" → "25"); AIME answers are integers 0–999. */
export function aimeGold(answer: string | number): string {
  const text = String(answer).trim();
  if (!/^\d{1,3}$/.test(text)) {
    throw new RowError(
      `field "answer": an AIME answer must be an integer 0-999, got ${JSON.stringify(answer)}`,
    );
  }
  return String(Number.parseInt(text, 10));
}

/** Parses an AIME JSONL file; ids are the row's `id`, or its index when it has none. */
export function parseAime(file: string, text: string, task: TaskName & ('aime24' | 'aime25')): Problem[] {
  return parseJsonl(file, text, aimeRowSchema, (row, _line, index) => ({
    id: String(row.id ?? index),
    task,
    question: row.problem,
    gold: aimeGold(row.answer),
    meta: {
      rawAnswer: row.answer,
      ...(row.url ? { url: row.url } : {}),
      ...(row.solution ? { solution: row.solution } : {}),
    },
  }));
}
