import { z } from 'zod';
import { describeIssues, parseJsonl, RowError } from '../jsonl.ts';
import type { Choice, Problem } from '../types.ts';

const label = z.string().regex(/^[A-Z]$/, 'must be one capital letter');

/** A row of the official CommonsenseQA release (`dev_rand_split.jsonl`). */
export const csqaOfficialRowSchema = z.object({
  answerKey: label,
  id: z.string().min(1),
  question: z.object({
    stem: z.string().min(1),
    question_concept: z.string().optional(),
    choices: z.array(z.object({ label, text: z.string() })).min(2),
  }),
});

/** A row of the Hugging Face `tau/commonsense_qa` layout (choices as parallel label/text lists). */
export const csqaHfRowSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  question_concept: z.string().optional(),
  choices: z.object({ label: z.array(label).min(2), text: z.array(z.string()) }),
  answerKey: label,
});

/** Only the question field's type decides the layout, so each layout gets its own clear messages. */
const anyRowSchema = z.looseObject({ question: z.unknown() });

interface CsqaRow {
  id: string;
  stem: string;
  concept?: string;
  choices: Choice[];
  answerKey: string;
}

/** Validates one row in whichever of the two layouts it uses. */
function normalizeRow(row: Record<string, unknown>): CsqaRow {
  if (typeof row.question === 'object' && row.question !== null) {
    const parsed = csqaOfficialRowSchema.safeParse(row);
    if (!parsed.success) throw new RowError(`(official layout) ${describeIssues(parsed.error)}`);
    const r = parsed.data;
    return {
      id: r.id,
      stem: r.question.stem,
      concept: r.question.question_concept,
      choices: r.question.choices,
      answerKey: r.answerKey,
    };
  }
  const parsed = csqaHfRowSchema.safeParse(row);
  if (!parsed.success) throw new RowError(`(Hugging Face layout) ${describeIssues(parsed.error)}`);
  const r = parsed.data;
  if (r.choices.label.length !== r.choices.text.length) {
    throw new RowError(
      `field "choices": ${r.choices.label.length} labels but ${r.choices.text.length} texts`,
    );
  }
  return {
    id: r.id,
    stem: r.question,
    concept: r.question_concept,
    choices: r.choices.label.map((l, i) => ({ label: l, text: r.choices.text[i] })),
    answerKey: r.answerKey,
  };
}

/** Parses a CommonsenseQA JSONL file in the official or the Hugging Face layout; gold is the answer letter. */
export function parseCommonsenseQa(file: string, text: string): Problem[] {
  return parseJsonl(file, text, anyRowSchema, (raw) => {
    const row = normalizeRow(raw);
    const labels = row.choices.map((c) => c.label);
    if (new Set(labels).size !== labels.length) {
      throw new RowError(`field "choices": repeated labels ${labels.join(',')}`);
    }
    if (!labels.includes(row.answerKey)) {
      throw new RowError(
        `field "answerKey": "${row.answerKey}" is not one of the choices ${labels.join(',')}`,
      );
    }
    return {
      id: row.id,
      task: 'commonsenseqa',
      question: row.stem,
      gold: row.answerKey,
      choices: row.choices,
      meta: row.concept === undefined ? {} : { concept: row.concept },
    };
  });
}
