// A wrong answer must never be graded right by normalization alone: letters glued to a number are
// part of the answer (not a unit), and decorations (units, degrees, percent, dollars, boxes) never
// make two different values equal.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradeAnswer, gradeMath } from '../../src/answers/grade.ts';

describe('no false positives from unit stripping', () => {
  it.each([
    ['3', '3x'],
    ['2n', '2'],
    ['\\frac{1}{2}x', '\\frac{1}{2}'],
    ['5a', '5'],
    ['7y^2', '7'],
    ['4\\pi', '4'],
    ['(3x)', '3'],
  ])('%s is not %s (either way round)', (a, b) => {
    expect(gradeMath(`\\boxed{${a}}`, b)).toBe(false);
    expect(gradeMath(`\\boxed{${b}}`, a)).toBe(false);
  });

  it('units written apart are still units', () => {
    expect(gradeMath('\\boxed{5 \\text{ cm}}', '5')).toBe(true);
    expect(gradeMath('\\boxed{18 dollars}', '18')).toBe(true);
    expect(gradeAnswer('gsm8k', 'She pays 18 dollars.', '18')).toBe(true);
  });

  it('property: a number with a letter glued on never equals the bare number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom(...'abcdefghjklmnpqrstuvwxyz'),
        (n, v) => {
          expect(gradeMath(`\\boxed{${n}${v}}`, String(n))).toBe(false);
          expect(gradeMath(`\\boxed{${n}}`, `${n}${v}`)).toBe(false);
        },
      ),
      { numRuns: 300, seed: 12 },
    );
  });

  it('property: decorations never make two different values equal', () => {
    const decorate = [
      (x: string) => x,
      (x: string) => `${x} \\text{ cm}`,
      (x: string) => `${x}^\\circ`,
      (x: string) => `${x}\\%`,
      (x: string) => `\\$${x}`,
      (x: string) => `x = ${x}`,
      (x: string) => `\\frac{${x}}{1}`,
      (x: string) => `${x}.`,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: -500, max: 500 }),
        fc.integer({ min: -500, max: 500 }),
        fc.nat(decorate.length - 1),
        fc.nat(decorate.length - 1),
        (a, b, i, j) => {
          fc.pre(a !== b);
          expect(gradeMath(`\\boxed{${decorate[i](String(a))}}`, decorate[j](String(b)))).toBe(false);
        },
      ),
      { numRuns: 400, seed: 13 },
    );
  });
});

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const haveData = existsSync(`${DATA}math500/test.jsonl`);

describe.skipIf(!haveData)('MATH-500 answers with a wrong change are graded wrong', () => {
  const rows = haveData
    ? readFileSync(`${DATA}math500/test.jsonl`, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { answer: string; unique_id: string })
    : [];

  it('a variable glued to a numeric answer, or a changed last digit, is never right', () => {
    const wrong: string[] = [];
    // Answers ending in 0 are left out (0x is 0), and those with a unit (the grader ignores units).
    for (const r of rows) {
      const a = r.answer;
      if (/[1-9]$/.test(a) && !/\\(?:text|mbox)/.test(a)) {
        const glued = `${a}x`;
        if (gradeMath(`\\boxed{${glued}}`, a)) wrong.push(`${glued} vs ${a}`);
        const changed = a.replace(/(\d)(?!.*\d)/, (d) => String((Number(d) + 1) % 10));
        if (gradeMath(`\\boxed{${changed}}`, a)) wrong.push(`${changed} vs ${a}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
