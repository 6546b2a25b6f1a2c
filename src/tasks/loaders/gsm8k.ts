import { z } from 'zod';
import { parseJsonl, RowError } from '../jsonl.ts';
import type { Problem } from '../types.ts';

/** A row of openai/grade-school-math `test.jsonl` / `train.jsonl`. */
export const gsm8kRowSchema = z.object({
  question: z.string().min(1),
  answer: z.string().min(1),
});

/** The gold of a GSM8K worked solution: the text after its last `####`, with thousands commas removed. */
export function gsm8kGold(answer: string): string {
  const at = answer.lastIndexOf('####');
  if (at < 0) throw new RowError('field "answer" has no "####" line with the final answer');
  const gold = answer
    .slice(at + 4)
    .trim()
    .replace(/,/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(gold)) {
    throw new RowError(`field "answer": the text after "####" is not a number: ${JSON.stringify(gold)}`);
  }
  return gold;
}

/** Parses a GSM8K JSONL file; ids are `<split>/<row index>`. */
export function parseGsm8k(file: string, text: string, split: string): Problem[] {
  return parseJsonl(file, text, gsm8kRowSchema, (row, _line, index) => ({
    id: `${split}/${index}`,
    task: 'gsm8k',
    question: row.question,
    gold: gsm8kGold(row.answer),
    meta: { solution: row.answer },
  }));
}
