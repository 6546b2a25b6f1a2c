// MATH-500 answer styles, category by category: what a grader must accept as the same answer, and
// near misses it must reject (each pair is tried both ways). Extraction from whole replies with
// several boxes takes the last box, as the official graders do.
import { describe, expect, it } from 'vitest';
import { lastBoxed } from '../../src/answers/extract.ts';
import { gradeMath } from '../../src/answers/grade.ts';

type Pairs = Array<[string, string]>;

const same: Record<string, Pairs> = {
  intervals: [
    ['(-\\infty, 3]', '(-\\infty,3]'],
    ['\\left(-\\infty, -\\frac{1}{2}\\right)', '(-\\infty,-1/2)'],
    ['[0, \\infty)', '[0,\\infty)'],
    ['(-2, 2)', '\\left( -2, 2 \\right)'],
    ['[\\frac{1}{4}, 1]', '[0.25, 1]'],
  ],
  unions: [
    ['(-\\infty,-2)\\cup(2,\\infty)', '(2,\\infty)\\cup(-\\infty,-2)'],
    ['[-3,-1] \\cup [1,3]', '[-3,-1]\\cup[1,3]'],
    ['(0,1) \\cup (1, 2]', '(1,2] \\cup (0,1)'],
  ],
  'units in \\text{}': [
    ['12\\text{ cm}', '12'],
    ['4 \\text{ hours}', '4'],
    ['\\text{5 inches}', '5'],
    ['20\\text{ square units}', '20'],
    ['3.5 \\text{ miles}', '3.5'],
    ['7\\ \\text{days}', '7'],
  ],
  degrees: [
    ['45^\\circ', '45'],
    ['120^{\\circ}', '120'],
    ['30^\\circ', '30'],
    ['75\\text{ degrees}', '75'],
  ],
  percent: [
    ['25\\%', '25'],
    ['12.5\\%', '12.5'],
    ['40 \\%', '40'],
  ],
  pi: [
    ['2\\pi', '2 \\pi'],
    ['\\frac{\\pi}{3}', '\\frac{1}{3}\\pi'],
    ['\\frac{3\\pi}{4}', '\\frac34\\pi'],
    ['16\\pi', '\\pi \\cdot 16'],
    ['\\pi r^2', 'r^2\\pi'],
  ],
  tuples: [
    ['(3, -2)', '(3,-2)'],
    ['\\left(\\frac{1}{2}, 0\\right)', '(0.5, 0)'],
    ['(1, 2, 3)', '(1,2,3)'],
    ['(-\\frac{3}{2}, \\frac{1}{2})', '\\left(-1.5, 0.5\\right)'],
  ],
  matrices: [
    ['\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}'],
    ['\\begin{pmatrix} 0.5 \\\\ -1 \\end{pmatrix}', '\\begin{pmatrix} \\frac12 \\\\ -1 \\end{pmatrix}'],
    ['\\begin{bmatrix} 2 \\\\ 0 \\end{bmatrix}', '\\begin{pmatrix} 2 \\\\ 0 \\end{pmatrix}'],
  ],
  'unordered lists': [
    ['1, 2, 3', '3, 2, 1'],
    ['-1, 4', '4, -1'],
    ['\\frac12, -3', '-3, 0.5'],
    ['2, -2, 2i, -2i', '-2i, 2i, -2, 2'],
  ],
  'scientific notation': [
    ['3 \\times 10^5', '300000'],
    ['2.5 \\times 10^{-3}', '0.0025'],
    ['1.2\\cdot 10^{4}', '12000'],
  ],
  'mixed numbers': [
    ['2\\frac{1}{2}', '\\frac{5}{2}'],
    ['3\\frac34', '3.75'],
    ['1 \\frac{1}{3}', '\\frac{4}{3}'],
  ],
  'numbers and signs': [
    ['-\\frac{1}{2}', '\\frac{-1}{2}'],
    ['\\frac{-3}{4}', '-0.75'],
    ['0.\\overline{3}', '\\frac13'],
    ['10^{3}', '1000'],
    ['2^{10}', '1024'],
    ['\\sqrt{12}', '2\\sqrt{3}'],
    ['\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt{2}}'],
  ],
};

const different: Record<string, Pairs> = {
  intervals: [
    ['(-\\infty, 3]', '(-\\infty, 3)'],
    ['[0, \\infty)', '(0, \\infty)'],
    ['(-2, 2)', '(-2, 3)'],
    ['[1, 4]', '[1, 5]'],
  ],
  unions: [
    ['(-\\infty,-2)\\cup(2,\\infty)', '(-\\infty,-2]\\cup(2,\\infty)'],
    ['[-3,-1] \\cup [1,3]', '[-3,-1]'],
    ['(0,1) \\cup (1, 2]', '(0, 2]'],
  ],
  'units in \\text{}': [
    ['12\\text{ cm}', '13'],
    ['4 \\text{ hours}', '40'],
    ['3.5 \\text{ miles}', '35'],
  ],
  degrees: [
    ['45^\\circ', '46'],
    ['120^{\\circ}', '12'],
    ['30^\\circ', '\\frac{\\pi}{5}'],
  ],
  percent: [
    ['25\\%', '26'],
    ['12.5\\%', '1.25'],
  ],
  pi: [
    ['2\\pi', '2'],
    ['\\frac{\\pi}{3}', '\\frac{\\pi}{6}'],
    ['16\\pi', '16'],
    ['\\pi', '3.14'],
    ['4\\pi', '4\\pi^2'],
  ],
  tuples: [
    ['(3, -2)', '(-2, 3)'],
    ['(3, -2)', '(3, 2)'],
    ['(1, 2, 3)', '(1, 2)'],
    ['(1, 2)', '[1, 2]'],
  ],
  matrices: [
    ['\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}', '\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}'],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{pmatrix} 1 \\\\ 2 \\\\ 0 \\end{pmatrix}'],
    ['\\begin{pmatrix} 0.5 \\\\ -1 \\end{pmatrix}', '\\begin{pmatrix} 0.5 \\\\ 1 \\end{pmatrix}'],
  ],
  'unordered lists': [
    ['1, 2, 3', '1, 2, 4'],
    ['-1, 4', '1, 4'],
    ['1, 2', '1, 2, 2, 3'],
  ],
  'scientific notation': [
    ['3 \\times 10^5', '30000'],
    ['2.5 \\times 10^{-3}', '0.025'],
    ['1.2\\cdot 10^{4}', '1.2'],
  ],
  'mixed numbers': [
    ['2\\frac{1}{2}', '\\frac{2}{2}'],
    ['3\\frac34', '\\frac{9}{4}'],
    ['1 \\frac{1}{3}', '\\frac{1}{3}'],
  ],
  'numbers and signs': [
    ['-\\frac{1}{2}', '\\frac{1}{2}'],
    ['0.\\overline{3}', '0.3'],
    ['10^{3}', '30'],
    ['\\sqrt{12}', '3\\sqrt{2}'],
    ['2^{10}', '20'],
  ],
};

describe('grader: MATH-500 answer styles', () => {
  for (const [category, pairs] of Object.entries(same)) {
    describe(`${category}: the same answer`, () => {
      for (const [a, b] of pairs)
        it(`${a}  =  ${b}`, () => {
          expect(gradeMath(a, b)).toBe(true);
          expect(gradeMath(b, a)).toBe(true);
        });
    });
  }
  for (const [category, pairs] of Object.entries(different)) {
    describe(`${category}: a near miss`, () => {
      for (const [a, b] of pairs)
        it(`${a}  ≠  ${b}`, () => {
          expect(gradeMath(a, b)).toBe(false);
          expect(gradeMath(b, a)).toBe(false);
        });
    });
  }
});

describe('extraction from whole replies with several boxes', () => {
  const replies: Array<[string, string, string]> = [
    ['First I get $\\boxed{3}$, but wait, that is wrong. The answer is $\\boxed{5}$.', '5', '3'],
    ['Candidates: \\boxed{1} or \\boxed{2}. Checking both, only the second works: \\boxed{2}', '2', '1'],
    [
      'So $x = \\boxed{\\frac{1}{2}}$ and $y = \\boxed{\\frac{3}{4}}$; the question asks for y: $\\boxed{\\frac34}$.',
      '0.75',
      '0.5',
    ],
    ['Final answer: \\boxed{(1, \\{2\\})}', '(1, \\{2\\})', '(1,2)'],
    [
      '\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}} is the vector; check: \\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}',
      '\\begin{pmatrix}1\\\\2\\end{pmatrix}',
      '\\begin{pmatrix}2\\\\1\\end{pmatrix}',
    ],
  ];
  for (const [reply, right, wrong] of replies) {
    it(`last box of ${JSON.stringify(reply.slice(0, 40))}…`, () => {
      expect(gradeMath(reply, right)).toBe(true);
      expect(gradeMath(reply, wrong)).toBe(false);
    });
  }

  it('nested braces inside a box are kept whole', () => {
    expect(lastBoxed('so \\boxed{\\frac{\\sqrt{3}}{2}} done')).toBe('\\frac{\\sqrt{3}}{2}');
  });
});
