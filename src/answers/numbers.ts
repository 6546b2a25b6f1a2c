/**
 * Reads a plain numeric answer the way a grade-school grader should: "$1,000.00", "1000", "18 dollars",
 * "50%", "−3", "3/4", "\frac{3}{4}", "\$18.90". Percent and currency signs and trailing unit words are
 * dropped (in word problems "50%" answers "what percent", i.e. 50). Null if the text is not one number.
 */
export function parseNumericAnswer(text: string): number | null {
  let s = text.trim();
  if (s.length === 0 || s.length > 200) return null;
  s = s
    .replace(/\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}/g, ' $1 ')
    .replace(/\\[,!;: ]|~/g, '')
    .replace(/\\\$|\$|\\%|%|€|£|¥/g, '')
    .replace(/−/g, '-')
    .replace(/\{,\}/g, ',')
    .replace(/\\(?:left|right)\b/g, '')
    .trim();
  // Trailing unit words ("18 dollars", "5 cm^2", "3 hours.") and a trailing period. A unit is
  // separated by a space: a letter glued to the number ("3x", "2n") is part of the answer.
  // (Words are separated by required spaces so the pattern cannot backtrack exponentially.)
  s = s
    .replace(/(?<=[\d}.)])\s+[a-zA-Z][a-zA-Z.'-]*(?:\s+[a-zA-Z][a-zA-Z.'-]*)*(?:\^\{?\d\}?)?$/, '')
    .replace(/\.$/, '')
    .trim();
  s = s.replace(/^\+/, '');
  let m = /^(-?)\s*\\[dt]?frac\s*\{\s*(\d+(?:\.\d+)?)\s*\}\s*\{\s*(\d+(?:\.\d+)?)\s*\}$/.exec(s);
  if (m) return ratio(m[1], m[2], m[3]);
  m = /^(-?)\s*\(?\s*(\d+(?:\.\d+)?)\s*\)?\s*\/\s*\(?\s*(\d+(?:\.\d+)?)\s*\)?$/.exec(s);
  if (m) return ratio(m[1], m[2], m[3]);
  // Thousands separators only in well-formed groups, so "1,2" is not read as 12.
  m = /^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^-?\.\d+$/.exec(s);
  if (!m) return null;
  const value = Number(s.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

function ratio(sign: string, num: string, den: string): number | null {
  const d = Number(den);
  if (d === 0) return null;
  return (sign === '-' ? -1 : 1) * (Number(num) / d);
}

/** True when two numbers agree to a relative tolerance (with a tiny absolute floor for zero). */
export function numbersClose(a: number, b: number, relTol = 1e-9): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  // Two integers are equal or not: 11111111101 is not 11111111100, however close relatively.
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return a === b;
  const diff = Math.abs(a - b);
  return diff <= 1e-12 || diff <= relTol * Math.max(Math.abs(a), Math.abs(b));
}
