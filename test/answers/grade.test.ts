import { describe, expect, it } from 'vitest';
import {
  gradeAime,
  gradeAnswer,
  gradeGsm8k,
  gradeMath,
  gradeMcq,
  gsm8kGoldAnswer,
} from '../../src/answers/grade.ts';
import { UserError } from '../../src/errors.ts';

const mathEqual: Array<[string, string]> = [
  ['\\frac12', '0.5'],
  ['\\dfrac{1}{2}', '\\frac{1}{2}'],
  ['\\tfrac{3}{4}', '0.75'],
  ['2\\sqrt{2}', '\\sqrt{8}'],
  ['11\\sqrt2', '11\\sqrt{2}'],
  ['[2,5)', '[2, 5)'],
  ['(1,2)', '\\left( 1, 2 \\right)'],
  ['10^\\circ', '10'],
  ['10^{\\circ}', '10'],
  ['\\text{Evelyn}', 'Evelyn'],
  ['\\text{east}', 'East'],
  ['x^2+2x+1', '(x+1)^2'],
  ['x^5 - x^4 + x^3 - x^2 + x - 1', '(x-1)(x^4+x^2+1)'],
  ['2k+2', '2(k+1)'],
  ['\\cot x', '\\frac{\\cos x}{\\sin x}'],
  ['1,000', '1000'],
  ['10,\\!080', '10080'],
  ['\\$32,\\!348', '32348'],
  ['5.4 \\text{ cents}', '5.4'],
  ['15\\mbox{ cm}^2', '15'],
  ['864 \\mbox{ inches}^2', '864'],
  ['\\frac{270}7\\text{ degrees}', '\\frac{270}{7}'],
  ['10 inches', '10'],
  ['x=5', '5'],
  ['x \\in [-2,7]', '[-2,7]'],
  ['y = 2x + 3', 'y=3+2x'],
  ['\\$18.90', '18.90'],
  ['5\\%', '5'],
  ['\\frac 59', '\\frac{5}{9}'],
  ['1\\frac{4}{5}', '\\frac95'],
  ['137 \\frac{1}{2}', '137.5'],
  ['.35625', '0.35625'],
  ['1 \\pm \\sqrt{19}', '1+\\sqrt{19}, 1-\\sqrt{19}'],
  ['\\{1\\pm\\sqrt{5},-2\\}', '\\{-2, 1-\\sqrt5, 1+\\sqrt5\\}'],
  ['-2,1', '1,-2'],
  ['(-\\infty, 2) \\cup (3, \\infty)', '(3,\\infty)\\cup(-\\infty,2)'],
  ['\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]', '[\\pi^2/8, 5\\pi^2/4]'],
  [
    '\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}',
    '\\begin{pmatrix} -\\frac13 \\\\ \\frac{2}{3} \\end{pmatrix}',
  ],
  ['5x - 7y + 11z + 4 = 0', '10x-14y+22z+8=0'],
  ['\\text{(B)}', 'B'],
  ['-2 + 7i', '7i-2'],
  ['4210_{5}', '4210_5'],
  ['\\infty', '∞'],
];

/** Whole replies: graded one way only (a reply is not a gold answer). */
const mathReplies: Array<[string, string]> = [
  ['Thus the final answer is $\\boxed{\\frac{3}{4}}$.', '0.75'],
  ['So she needs 12 more apples.', '12'],
  ['The answer is $x = 3$.', '3'],
];

const mathDifferent: Array<[string, string]> = [
  ['(1,2)', '(2,1)'],
  ['[2,5)', '(2,5)'],
  ['(3,4]', '(3,4)'],
  ['\\text{Evelyn}', '\\text{Navin}'],
  ['even', 'neve'],
  ['x^2+2x', '(x+1)^2'],
  ['0.0000672', '0.0000673'],
  ['\\frac12', '\\frac13'],
  ['1,2', '1,2,3'],
  ['\\sqrt{2}', '1.414'],
  ['5', '-5'],
  ['5', ''],
  ['', ''],
  ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}2\\\\1\\end{pmatrix}'],
  ['1 \\pm \\sqrt{19}', '1+\\sqrt{19}'],
  ['x=5', 'x=6'],
  ['2x+3y=1', '2x+3y=2'],
  ['\\text{(B)}', '\\text{(C)}'],
  ['3\\pi', '3'],
  ['e', '2.71'],
  ['\\boxed{7', '7'],
  ['x', '|x|'],
  ['\\sqrt{x^2}', 'x'],
  ['\\frac{11+9a}{20}', '\\frac{9a+12}{20}'],
];

describe('gradeMath', () => {
  for (const [pred, gold] of mathEqual) {
    it(`${JSON.stringify(pred)} = ${JSON.stringify(gold)}`, () => {
      expect(gradeMath(pred, gold)).toBe(true);
      expect(gradeMath(gold, pred)).toBe(true);
    });
  }
  for (const [pred, gold] of mathReplies) {
    it(`reply ${JSON.stringify(pred)} = ${JSON.stringify(gold)}`, () =>
      expect(gradeMath(pred, gold)).toBe(true));
  }
  for (const [pred, gold] of mathDifferent) {
    it(`${JSON.stringify(pred)} ≠ ${JSON.stringify(gold)}`, () => {
      expect(gradeMath(pred, gold)).toBe(false);
    });
  }

  it('accepts a boxed gold (the solution text) as well as a bare one', () => {
    expect(gradeMath('\\boxed{\\frac{1}{4}}', 'so the probability is $\\boxed{\\dfrac14}$.')).toBe(true);
  });

  it('is not confused by symbols an earlier answer declared (each compare has its own scope)', () => {
    expect(gradeMath('f(x)+1', 'f(x)+1')).toBe(true);
    expect(gradeMath('f+1', '1+f')).toBe(true);
  });
});

describe('gradeGsm8k', () => {
  it('reads the gold after ####', () => {
    expect(gsm8kGoldAnswer('She makes 9 * 2 = $18.\n#### 18')).toBe('18');
    expect(gsm8kGoldAnswer('7')).toBe('7');
  });

  const equal: Array<[string, string | number]> = [
    ['1,000', '1000'],
    ['$1000.00', '#### 1000'],
    ['1000', '#### 1,000'],
    ['50%', '50'],
    ['18 dollars', '18'],
    ['The answer is 18.', '18'],
    ['so \\boxed{1,234}', '1234'],
    ['\\boxed{\\$18}', 18],
    ['He has 5 apples and 7 pears, 12 in total', '12'],
    ['Final Answer: 42 minutes', '42'],
    ['-3', '-3'],
    ['2.50', '2.5'],
  ];
  for (const [pred, gold] of equal) {
    it(`${JSON.stringify(pred)} = ${JSON.stringify(gold)}`, () => expect(gradeGsm8k(pred, gold)).toBe(true));
  }
  const different: Array<[string, string]> = [
    ['17', '18'],
    ['1,2', '12'],
    ['', '0'],
    ['The answer is 18. Check: 19', '19'],
    ['0.5', '50'],
  ];
  for (const [pred, gold] of different) {
    it(`${JSON.stringify(pred)} ≠ ${JSON.stringify(gold)}`, () => expect(gradeGsm8k(pred, gold)).toBe(false));
  }
});

describe('gradeAime and gradeMcq', () => {
  it('compares AIME answers as integers', () => {
    expect(gradeAime('25', '025')).toBe(true);
    expect(gradeAime('\\boxed{025}', 25)).toBe(true);
    expect(gradeAime('The answer is 204.', '204')).toBe(true);
    expect(gradeAime('24', '025')).toBe(false);
    expect(gradeAime('25.5', '025')).toBe(false);
  });

  it('compares choice letters', () => {
    expect(gradeMcq('The answer is (C).', 'C')).toBe(true);
    expect(gradeMcq('\\boxed{c}', ' c ')).toBe(true);
    expect(gradeMcq('A bank is where it is.', 'A')).toBe(false);
    expect(gradeMcq('B', 'A')).toBe(false);
    expect(gradeMcq('B', 'not a letter')).toBe(false);
  });

  it('dispatches by kind and rejects an unknown kind', () => {
    expect(gradeAnswer('gsm8k', '$1,000', '#### 1000')).toBe(true);
    expect(gradeAnswer('math', '\\dfrac{1}{2}', '0.5')).toBe(true);
    expect(gradeAnswer('aime', '7', '007')).toBe(true);
    expect(gradeAnswer('mcq', '(E)', 'E')).toBe(true);
    expect(() => gradeAnswer('trivia' as 'math', 'x', 'x')).toThrow(UserError);
  });
});
