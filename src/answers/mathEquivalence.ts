import { outerBrackets, splitTopLevel } from './latexGroups.ts';
import { normalizeMathAnswer } from './normalizeMath.ts';
import { numbersClose, parseNumericAnswer } from './numbers.ts';
import { proportional, symbolicEquivalent } from './symbolic.ts';

/** Recursion guard for nested structures (tuples of sets of …). */
const MAX_DEPTH = 4;
/** Longest answer compared at all. */
const MAX_ANSWER_CHARS = 1000;

/**
 * Whether two MATH-style answers are the same: normalized strings, then structure (unions of
 * intervals, tuples, intervals, sets and bare lists, matrices, equations), then numbers, then the
 * Compute Engine. Word answers ("Evelyn", `\text{even}`) are compared as words only.
 */
export function mathAnswersEquivalent(predicted: string, gold: string): boolean {
  // No real answer is this long; refusing keeps every regex below cheap on runaway replies.
  if (predicted.length > MAX_ANSWER_CHARS || gold.length > MAX_ANSWER_CHARS) return false;
  const a = normalizeMathAnswer(predicted);
  const b = normalizeMathAnswer(gold);
  if (a.text === b.text) return a.text.length > 0;
  if (a.isWords || b.isWords) return false;
  return normalizedEquivalent(a.text, b.text, 0);
}

function normalizedEquivalent(a: string, b: string, depth: number): boolean {
  if (a === b) return a.length > 0;
  if (a.length === 0 || b.length === 0 || depth > MAX_DEPTH) return false;

  const unionA = splitTopLevel(a, '\\cup');
  const unionB = splitTopLevel(b, '\\cup');
  if (unionA.length > 1 || unionB.length > 1) {
    return unionA.length === unionB.length && sameMultiset(unionA, unionB, depth);
  }

  const matA = matrixCells(a);
  const matB = matrixCells(b);
  if (matA || matB) {
    if (!matA || !matB || matA.length !== matB.length) return false;
    return matA.every(
      (row, r) => row.length === matB[r].length && row.every((cell, c) => scalarEq(cell, matB[r][c], depth)),
    );
  }

  const eqA = splitTopLevel(a, '=');
  const eqB = splitTopLevel(b, '=');
  if (eqA.length === 2 && eqB.length === 2) {
    return equationsEquivalent(eqA, eqB, depth);
  }
  if (eqA.length > 1 || eqB.length > 1) return false;

  const groupA = outerBrackets(a);
  const groupB = outerBrackets(b);
  const itemsA = groupA ? splitTopLevel(groupA.inner, ',') : splitTopLevel(a, ',');
  const itemsB = groupB ? splitTopLevel(groupB.inner, ',') : splitTopLevel(b, ',');
  const setA = !groupA || groupA.open === '\\{';
  const setB = !groupB || groupB.open === '\\{';
  if (itemsA.length > 1 || itemsB.length > 1 || (groupA && groupB)) {
    if (groupA && groupB && !setA && !setB) {
      // Tuples and intervals: same brackets, same items in the same order.
      return (
        groupA.open === groupB.open &&
        groupA.close === groupB.close &&
        itemsA.length === itemsB.length &&
        itemsA.every((item, i) => scalarEq(item, itemsB[i], depth))
      );
    }
    if (setA && setB) {
      // Sets and bare lists of solutions: order does not matter, "a \pm b" stands for two items.
      const ea = expandPlusMinus(itemsA);
      const eb = expandPlusMinus(itemsB);
      return ea.length === eb.length && sameMultiset(ea, eb, depth);
    }
    // A one-item group against a bare answer: "(5)" vs "5" is still the number 5.
    if (itemsA.length === 1 && itemsB.length === 1)
      return scalarEq(groupA ? groupA.inner : a, groupB ? groupB.inner : b, depth);
    return false;
  }

  if (/\\pm(?![a-zA-Z])/.test(a) || /\\pm(?![a-zA-Z])/.test(b)) {
    const ea = expandPlusMinus([a]);
    const eb = expandPlusMinus([b]);
    return ea.length === eb.length && ea.length > 1 && sameMultiset(ea, eb, depth);
  }
  return scalarEq(a, b, depth);
}

/** One value: exact string, plain number, or the Compute Engine (numeric fallback inside). */
function scalarEq(a: string, b: string, depth: number): boolean {
  a = a.trim();
  b = b.trim();
  if (a === b) return a.length > 0;
  if (a.length === 0 || b.length === 0) return false;
  const groupA = outerBrackets(a);
  const groupB = outerBrackets(b);
  if (
    (groupA && splitTopLevel(groupA.inner, ',').length > 1) ||
    (groupB && splitTopLevel(groupB.inner, ',').length > 1)
  ) {
    return normalizedEquivalent(a, b, depth + 1);
  }
  const na = parseNumericAnswer(a);
  const nb = parseNumericAnswer(b);
  if (na !== null && nb !== null) return numbersClose(na, nb);
  return symbolicEquivalent(a, b) === true;
}

/** Equal as multisets under `scalarEq`/structure, by greedy matching. */
function sameMultiset(a: string[], b: string[], depth: number): boolean {
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    const j = b.findIndex((y, k) => !used[k] && normalizedEquivalent(x.trim(), y.trim(), depth + 1));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}

/** "1 \pm \sqrt{2}" → "1+\sqrt{2}", "1-\sqrt{2}" (first top-level ± of each item). */
function expandPlusMinus(items: string[]): string[] {
  return items.flatMap((item) => {
    const parts = splitTopLevel(item, '\\pm');
    if (parts.length !== 2) return [item];
    const [left, right] = parts;
    return [`${left}+${right}`, `${left}-(${right})`].map((s) => s.replace(/^\+/, ''));
  });
}

/** Equations are the same if both sides agree, or their differences (lhs − rhs) are proportional. */
function equationsEquivalent(a: string[], b: string[], depth: number): boolean {
  if (scalarEq(a[0], b[0], depth) && scalarEq(a[1], b[1], depth)) return true;
  const da = `(${a[0]})-(${a[1]})`;
  const db = `(${b[0]})-(${b[1]})`;
  return symbolicEquivalent(da, db) === true || proportional(da, db) === true;
}

/** Cells of a `\begin{pmatrix}…\end{pmatrix}` (or bmatrix, matrix, …), or null for non-matrices. */
function matrixCells(s: string): string[][] | null {
  const m = /^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(s.trim());
  if (!m) return null;
  return m[2]
    .split(/\\\\/)
    .map((row) => row.trim())
    .filter((row) => row.length > 0)
    .map((row) => row.split('&').map((cell) => cell.trim()));
}
