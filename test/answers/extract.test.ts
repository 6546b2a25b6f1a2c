import { describe, expect, it } from 'vitest';
import {
  extractAnswer,
  extractChoice,
  extractTriggered,
  firstNumber,
  lastBoxed,
  lastNumber,
} from '../../src/answers/extract.ts';

describe('lastBoxed', () => {
  it('takes the last box, with nested braces', () => {
    expect(lastBoxed('first \\boxed{1} then \\boxed{\\frac{1}{2}}.')).toBe('\\frac{1}{2}');
    expect(lastBoxed('$\\boxed{\\{1, \\{2\\}\\}}$')).toBe('\\{1, \\{2\\}\\}');
    expect(lastBoxed('\\boxed{ \\left( 3, \\frac{\\pi}{2} \\right) }')).toBe(
      '\\left( 3, \\frac{\\pi}{2} \\right)',
    );
  });

  it('reads \\fbox and the brace-less \\boxed 5', () => {
    expect(lastBoxed('so \\fbox{42} done')).toBe('42');
    expect(lastBoxed('$\\boxed 5$')).toBe('5');
    expect(lastBoxed('answer \\boxed 17.')).toBe('17');
  });

  it('skips a box that is never closed, and words that only start with boxed', () => {
    expect(lastBoxed('\\boxed{7} ... Final: \\boxed{12')).toBe('7');
    expect(lastBoxed('\\boxedx{3}')).toBeNull();
    expect(lastBoxed('no box here')).toBeNull();
  });
});

describe('trigger phrases and numbers', () => {
  it('takes the text after the last trigger, to the end of its sentence', () => {
    expect(extractTriggered('The answer is 12. Wait, the answer is 13.')).toBe('13');
    expect(extractTriggered('Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.')).toBe(
      '\\frac{1}{2}',
    );
    expect(extractTriggered('**Final Answer:** 3.5\nmore text')).toBe('3.5');
    expect(extractTriggered('ANSWER: (C)')).toBe('(C)');
    expect(extractTriggered('no trigger')).toBeNull();
    expect(extractTriggered('the answer is')).toBeNull();
  });

  it('finds first and last numbers as written', () => {
    expect(lastNumber('we get 3, then 1,234.5 and finally -7.')).toBe('-7');
    expect(lastNumber('total 1,000,000 dollars')).toBe('1,000,000');
    expect(lastNumber('p = .25')).toBe('.25');
    expect(lastNumber('x = −4')).toBe('-4');
    expect(lastNumber('x − 4')).toBe('4');
    expect(firstNumber('3 apples, 4 pears')).toBe('3');
    expect(lastNumber('none')).toBeNull();
  });

  it('extractAnswer prefers box, then trigger, then last number', () => {
    expect(extractAnswer('answer is 4 but \\boxed{5}, 6')).toBe('5');
    expect(extractAnswer('the answer is 4. Then 6')).toBe('4');
    expect(extractAnswer('we get 4 and 6')).toBe('6');
    expect(extractAnswer('nothing at all')).toBeNull();
  });
});

describe('extractChoice', () => {
  const cases: Array<[string, string | null]> = [
    ['\\boxed{C}', 'C'],
    ['\\boxed{\\text{(E)}}', 'E'],
    ['so \\boxed{(b)}', 'B'],
    ['The answer is (C).', 'C'],
    ['the answer is option D.', 'D'],
    ['**Answer: B**', 'B'],
    ['I think B, no. The answer is A', 'A'],
    ['C', 'C'],
    ['C. mall', 'C'],
    ['(A) bank', 'A'],
    ['A revolving door is at a bank.', null],
    ['The answer is a bank', null],
    ['The answer is Bank', null],
    ['answer is F', null],
    ['', null],
  ];
  for (const [text, letter] of cases) {
    it(`${JSON.stringify(text)} → ${letter}`, () => {
      expect(extractChoice(text)).toBe(letter);
    });
  }

  it('prefers the box to a phrase', () => {
    expect(extractChoice('The answer is (A)... actually \\boxed{D}')).toBe('D');
  });
});
