import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractAnswer,
  extractChoice,
  extractTriggered,
  lastBoxed,
  lastNumber,
} from '../../src/answers/extract.ts';
import { type AnswerKind, gradeAnswer } from '../../src/answers/grade.ts';
import { normalizeMathAnswer } from '../../src/answers/normalizeMath.ts';

/** Strings built from LaTeX fragments, brackets, digits and odd unicode: the inputs graders choke on. */
const latexy = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\\boxed{',
        '\\fbox',
        '\\boxed ',
        '{',
        '}',
        '\\{',
        '\\}',
        '(',
        ')',
        '[',
        ']',
        '\\frac',
        '\\dfrac',
        '\\sqrt',
        '\\left',
        '\\right',
        '\\text{',
        '\\mbox{',
        '^',
        '_',
        '\\circ',
        '\\%',
        '\\$',
        '$',
        ',',
        '\\!',
        '\\,',
        '=',
        '\\in',
        '\\cup',
        '\\pm',
        '\\infty',
        '\\pi',
        '\\begin{pmatrix}',
        '\\end{pmatrix}',
        '\\\\',
        '&',
        '!',
        '9999',
        '0',
        '-',
        '.',
        '/',
        'x',
        'e',
        'i',
        'f(x)',
        'The answer is',
        'Final Answer:',
        '(C)',
        'a',
        ' ',
        '\n',
        '∞',
        '−',
        '😀',
        '\uD800',
        'İ',
        '\\sum_{n=1}^{10^9}',
        '10^{10^{10}}',
        '\\binom{',
        '\\operatorname{',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 25 },
  )
  .map((parts) => parts.join(''));
const anyText = fc.oneof(
  latexy,
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

describe('answers never throw', () => {
  it('extractors return a string or null on any input', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const f of [lastBoxed, extractTriggered, lastNumber, extractAnswer, extractChoice]) {
          const out = f(text);
          expect(out === null || typeof out === 'string').toBe(true);
        }
        expect(typeof normalizeMathAnswer(text).text).toBe('string');
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('graders return a boolean on any input, for every kind', () => {
    const kinds: AnswerKind[] = ['gsm8k', 'math', 'aime', 'mcq'];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), anyText, anyText, (kind, predicted, gold) => {
        expect(typeof gradeAnswer(kind, predicted, gold)).toBe('boolean');
      }),
      { numRuns: 500, seed: 12 },
    );
  });

  it('a boxed math answer always grades equal to itself', () => {
    fc.assert(
      fc.property(latexy, (text) => {
        const t = text.trim();
        const boxed = `\\boxed{${t}}`;
        // Identity must hold whenever the box reads back whole and normalizes to something.
        if (lastBoxed(boxed) === t && normalizeMathAnswer(t).text.length > 0) {
          expect(gradeAnswer('math', boxed, boxed)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
