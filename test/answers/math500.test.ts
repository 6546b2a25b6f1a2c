import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lastBoxed } from '../../src/answers/extract.ts';
import { gradeAime, gradeGsm8k, gradeMath, gradeMcq, gsm8kGoldAnswer } from '../../src/answers/grade.ts';
import { parseNumericAnswer } from '../../src/answers/numbers.ts';

/** The shared benchmark data beside the repository; these tests skip where it is absent. */
const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const haveData = existsSync(`${DATA}math500/test.jsonl`);

function readJsonl<T>(file: string): T[] {
  return readFileSync(`${DATA}${file}`, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

interface MathRow {
  solution: string;
  answer: string;
  unique_id: string;
}

describe.skipIf(!haveData)('graders on the real benchmark answers', () => {
  const math = haveData ? readJsonl<MathRow>('math500/test.jsonl') : [];

  it('MATH-500: the last \\boxed{} of every solution grades equal to its answer (500/500)', () => {
    expect(math).toHaveLength(500);
    const misses = math.filter((row) => {
      const boxed = lastBoxed(row.solution);
      return boxed === null || !gradeMath(`\\boxed{${boxed}}`, row.answer);
    });
    expect(misses.map((row) => row.unique_id)).toEqual([]);
  });

  it('MATH-500: equivalent rewrites of every answer grade equal', () => {
    // Each rewrite keeps the value but changes the surface form a model might use.
    const rewrites: Record<string, (a: string) => string | null> = {
      inlineMath: (a) => `$${a}$`,
      inSentence: (a) => `Thus the final answer is $\\boxed{${a}}$.`,
      dfrac: (a) => (a.includes('\\frac') ? a.replace(/\\frac/g, '\\dfrac') : null),
      spaced: (a) => a.replace(/,\s*/g, ', ').replace(/([+=])/g, ' $1 '),
      leftRight: (a) =>
        /^[([].*[)\]]$/.test(a) ? `\\left${a[0]}${a.slice(1, -1)}\\right${a[a.length - 1]}` : null,
      decimal: (a) => {
        const n = parseNumericAnswer(a);
        return n !== null && !Number.isInteger(n) ? String(n) : null;
      },
      prose: (a) => (/^-?\d+$/.test(a) ? `So she needs ${a} more.` : null),
    };
    const misses: string[] = [];
    let tried = 0;
    for (const [name, rewrite] of Object.entries(rewrites)) {
      for (const row of math) {
        const variant = rewrite(row.answer);
        if (variant === null || variant === row.answer) continue;
        tried++;
        if (!gradeMath(variant, row.answer)) misses.push(`${name}: ${variant} vs ${row.answer}`);
      }
    }
    expect(tried).toBeGreaterThan(1400);
    expect(misses).toEqual([]);
  });

  it('MATH-500: wrong answers are rejected (next row’s answer; integer answers off by one)', () => {
    let accepted = 0;
    for (let i = 0; i < math.length; i++) {
      if (gradeMath(math[(i + 1) % math.length].answer, math[i].answer)) accepted++;
    }
    // A few neighbours really are equal (e.g. "7" and "7"), so not 0.
    expect(accepted / math.length).toBeLessThan(0.05);
    const integers = math.filter((row) => /^-?\d+$/.test(row.answer));
    expect(integers.length).toBeGreaterThan(250);
    for (const row of integers) expect(gradeMath(String(Number(row.answer) + 1), row.answer)).toBe(false);
  });

  it('GSM8K test: the final number and reworded replies grade equal; neighbours and +1 do not', () => {
    const rows = readJsonl<{ answer: string }>('gsm8k/test.jsonl');
    expect(rows).toHaveLength(1319);
    let neighbourAccepted = 0;
    rows.forEach((row, i) => {
      const gold = gsm8kGoldAnswer(row.answer);
      const value = parseNumericAnswer(gold);
      expect(value, gold).not.toBeNull();
      const n = value as number;
      expect(gradeGsm8k(gold, row.answer)).toBe(true);
      expect(gradeGsm8k(row.answer, row.answer)).toBe(true); // the worked solution itself, last number
      expect(gradeGsm8k(`The answer is $${n.toLocaleString('en-US')}.`, row.answer)).toBe(true);
      expect(gradeGsm8k(`\\boxed{${n}}`, gold)).toBe(true);
      expect(gradeGsm8k(String(n + 1), row.answer)).toBe(false);
      if (gradeGsm8k(gsm8kGoldAnswer(rows[(i + 1) % rows.length].answer), row.answer)) neighbourAccepted++;
    });
    expect(neighbourAccepted / rows.length).toBeLessThan(0.05);
  });

  it('AIME 2024 (zero-padded) and 2025: the answer grades equal, as a box and bare', () => {
    const aime24 = readJsonl<{ answer: string }>('aime24/test.jsonl');
    const aime25 = readJsonl<{ answer: number }>('aime25/test.jsonl');
    expect(aime24).toHaveLength(30);
    expect(aime24.some((row) => /^0/.test(row.answer))).toBe(true);
    for (const row of aime24) {
      const n = Number.parseInt(row.answer, 10);
      expect(gradeAime(`\\boxed{${n}}`, row.answer)).toBe(true);
      expect(gradeAime(String(n), row.answer)).toBe(true);
      expect(gradeAime(String(n + 1), row.answer)).toBe(false);
    }
    for (const row of aime25) {
      expect(gradeAime(`The answer is ${row.answer}.`, row.answer)).toBe(true);
      expect(gradeAime(`\\boxed{${row.answer - 1}}`, row.answer)).toBe(false);
    }
  });

  it('CommonsenseQA dev: the gold letter, stated several ways, grades equal; other letters do not', () => {
    const rows = readJsonl<{ answerKey: string; choices: { label: string[]; text: string[] } }>(
      'commonsenseqa/validation_hf_format.jsonl',
    );
    expect(rows).toHaveLength(1221);
    for (const row of rows) {
      const key = row.answerKey;
      const text = row.choices.text[row.choices.label.indexOf(key)];
      expect(gradeMcq(`\\boxed{${key}}`, key)).toBe(true);
      expect(gradeMcq(`The answer is (${key}) ${text}.`, key)).toBe(true);
      expect(gradeMcq(`${key}. ${text}`, key)).toBe(true);
      const other = key === 'A' ? 'B' : 'A';
      expect(gradeMcq(`The answer is (${other}).`, key)).toBe(false);
    }
  });
});
