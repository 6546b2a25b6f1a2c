import { UserError } from '../errors.ts';
import { extractChoice, extractTriggered, firstNumber, lastBoxed, lastNumber } from './extract.ts';
import { mathAnswersEquivalent } from './mathEquivalence.ts';
import { numbersClose, parseNumericAnswer } from './numbers.ts';

/** The answer formats lynx-exit grades. */
export type AnswerKind = 'gsm8k' | 'math' | 'aime' | 'mcq';
export const ANSWER_KINDS: readonly AnswerKind[] = ['gsm8k', 'math', 'aime', 'mcq'];

/** The final number of a GSM8K `answer` field (the text after `####`), or the whole text if none. */
export function gsm8kGoldAnswer(answerField: string): string {
  const at = answerField.lastIndexOf('####');
  return (at >= 0 ? answerField.slice(at + 4) : answerField).trim();
}

/** Reads the number a reply gives: its box, else its "answer is" phrase, else its last number. */
function predictedNumber(text: string): number | null {
  const segment = lastBoxed(text) ?? extractTriggered(text);
  if (segment !== null) {
    const n = parseNumericAnswer(segment);
    if (n !== null) return n;
    const first = firstNumber(segment);
    return first === null ? null : parseNumericAnswer(first);
  }
  const whole = parseNumericAnswer(text);
  if (whole !== null) return whole;
  const last = lastNumber(text);
  return last === null ? null : parseNumericAnswer(last);
}

/** Words outside LaTeX commands and `\text{}`: a reply in prose rather than a bare answer. */
function looksLikeProse(text: string): boolean {
  const bare = text.replace(/\\[a-zA-Z]+\s*\{[^{}]*\}|\\[a-zA-Z]+/g, ' ');
  return /[A-Za-z]{2,}[\s,]+[A-Za-z]{2,}/.test(bare);
}

/**
 * The answer a MATH reply gives: its last box, else its "answer is" phrase; a reply in prose
 * without either gives its last number, and anything else is taken as the answer itself.
 */
export function predictedMathAnswer(text: string): string | null {
  const segment = lastBoxed(text) ?? extractTriggered(text);
  if (segment !== null) return segment;
  if (looksLikeProse(text)) return lastNumber(text);
  const trimmed = text.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/** GSM8K: the reply's number equals the gold number ("1,000" = "$1000.00"; "50%" = 50; "18 dollars" = 18). */
export function gradeGsm8k(predicted: string, gold: string | number): boolean {
  return neverThrows(() => {
    const goldValue = typeof gold === 'number' ? gold : parseNumericAnswer(gsm8kGoldAnswer(gold));
    const value = predictedNumber(predicted);
    return goldValue !== null && value !== null && numbersClose(value, goldValue);
  });
}

/** MATH / MATH-500: LaTeX answers equal after normalization, by structure or symbolically. */
export function gradeMath(predicted: string, gold: string): boolean {
  return neverThrows(() => {
    const answer = predictedMathAnswer(predicted);
    const goldAnswer = lastBoxed(gold) ?? gold;
    return answer !== null && mathAnswersEquivalent(answer, goldAnswer);
  });
}

/** AIME: the same integer (gold may be zero-padded, "025" = 25). */
export function gradeAime(predicted: string, gold: string | number): boolean {
  return neverThrows(() => {
    const goldValue = typeof gold === 'number' ? gold : parseNumericAnswer(gold);
    const value = predictedNumber(predicted);
    return (
      goldValue !== null &&
      value !== null &&
      Number.isInteger(goldValue) &&
      Number.isInteger(value) &&
      value === goldValue
    );
  });
}

/** Multiple choice (CommonsenseQA): the chosen letter equals the gold letter. */
export function gradeMcq(predicted: string, gold: string): boolean {
  return neverThrows(() => {
    const goldLetter = gold
      .trim()
      .replace(/^\(|\)$/g, '')
      .toUpperCase();
    if (!/^[A-Z]$/.test(goldLetter)) return false;
    const letters = goldLetter > 'E' ? 'ABCDEFGHIJ' : 'ABCDE';
    return extractChoice(predicted, letters) === goldLetter;
  });
}

/**
 * Grades a reply against gold for a task kind. Never throws on any text (a failure is "wrong");
 * only an unknown kind is an error.
 */
export function gradeAnswer(kind: AnswerKind, predicted: string, gold: string | number): boolean {
  switch (kind) {
    case 'gsm8k':
      return gradeGsm8k(predicted, gold);
    case 'math':
      return gradeMath(predicted, String(gold));
    case 'aime':
      return gradeAime(predicted, gold);
    case 'mcq':
      return gradeMcq(predicted, String(gold));
    default:
      throw new UserError(
        `Unknown answer kind ${JSON.stringify(kind)}; expected one of ${ANSWER_KINDS.join(', ')}.`,
      );
  }
}

function neverThrows(grade: () => boolean): boolean {
  try {
    return grade();
  } catch {
    return false;
  }
}
