import { lastBoxed } from './extract.ts';
import { readArg } from './latexGroups.ts';

/** A MATH answer after string normalization, plus whether it is a word answer ("Evelyn", "even"). */
export interface NormalizedAnswer {
  text: string;
  isWords: boolean;
}

const TEXT_MACROS =
  '(?:text|textbf|textit|textrm|textnormal|mbox|mathrm|mathbf|mathit|boldsymbol|operatorname)';
const TEXT_GROUP = new RegExp(`\\\\${TEXT_MACROS}\\s*\\{`, 'g');

/**
 * Replaces every `\text{…}`-like group. A group that ends the answer after some math is a unit
 * ("5.4 \text{ cents}", "15\mbox{ cm}^2") and is dropped with its exponent; any other is unwrapped.
 */
function resolveTextGroups(s: string): string {
  let out = s;
  for (let guard = 0; guard < 50; guard++) {
    TEXT_GROUP.lastIndex = 0;
    const m = TEXT_GROUP.exec(out);
    if (!m) break;
    const arg = readArg(out, m.index + m[0].length - 1);
    if (!arg) {
      out = out.slice(0, m.index) + out.slice(m.index + m[0].length - 1);
      continue;
    }
    const before = out.slice(0, m.index).trim();
    let after = out.slice(arg.end);
    const unitExponent = /^\s*\^\s*(?:\{\s*[23]\s*\}|[23])/.exec(after);
    const isUnit =
      before.length > 0 &&
      /[\d}).]$|\\pi$/.test(before) &&
      /^[\sa-zA-Z.]*$/.test(arg.content) &&
      /[a-zA-Z]/.test(arg.content);
    if (
      isUnit &&
      (after.trim() === '' || (unitExponent && after.slice(unitExponent[0].length).trim() === ''))
    ) {
      out = before;
      continue;
    }
    if (isUnit && unitExponent) after = after.slice(unitExponent[0].length);
    out = out.slice(0, m.index) + arg.content + after;
  }
  return out;
}

/** Rewrites `\frac12`, `\frac 34`, `\frac9{19}`, `\sqrt2` into fully braced form. */
function braceMacroArgs(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const m = /^\\(frac|binom|sqrt)(?![a-zA-Z])/.exec(s.slice(i));
    if (!m) {
      out += s[i];
      i++;
      continue;
    }
    i += m[0].length;
    out += m[0];
    // \sqrt[n]{x}: keep the optional index as written.
    if (m[1] === 'sqrt') {
      const idx = /^\s*\[[^\]]*\]/.exec(s.slice(i));
      if (idx) {
        out += idx[0].trim();
        i += idx[0].length;
      }
    }
    const nArgs = m[1] === 'sqrt' ? 1 : 2;
    for (let a = 0; a < nArgs; a++) {
      const arg = readArg(s, i);
      if (!arg) break;
      out += `{${braceMacroArgs(arg.content)}}`;
      i = arg.end;
    }
  }
  return out;
}

/** Drops spaces, except the one that separates a control word from a following letter (`\cot x`). */
function squeezeSpaces(s: string): string {
  return s.replace(/\s+/g, (space, offset: number, whole: string) => {
    const before = whole.slice(0, offset);
    const next = whole[offset + space.length] ?? '';
    return /\\[a-zA-Z]+$/.test(before) && /[a-zA-Z]/.test(next) ? ' ' : '';
  });
}

/**
 * String normalization of a MATH answer, in the spirit of the Hendrycks/PRM800K graders: strips
 * `$`, `\left`/`\right`, spacing macros, `\dfrac`/`\tfrac`, degree marks, `\%`, `\$`, unit text,
 * `x =` and `x \in` prefixes, thousands separators and a trailing period; braces macro arguments.
 */
export function normalizeMathAnswer(raw: string): NormalizedAnswer {
  let s = raw.trim();
  const boxed = /^\\(?:boxed|fbox)/.test(s) ? lastBoxed(s) : null;
  if (boxed !== null) s = boxed;
  const wholeText = new RegExp(`^\\\\${TEXT_MACROS}\\s*\\{[^{}]*\\}$`).test(s);
  s = s
    .replace(/\\\[|\\\]|\\\(|\\\)/g, ' ')
    .replace(/(?<!\\)\$/g, '')
    .replace(/\\displaystyle|\\limits/g, '')
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\.?/g, '')
    .replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac')
    .replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom')
    // Spacing macros; `(?<!\\)` keeps the row break `\\` of matrices intact.
    .replace(/(?<!\\)\\[,!;:>](?![a-zA-Z])/g, '')
    .replace(/\\q?quad(?![a-zA-Z])|~|(?<!\\)\\ /g, ' ')
    .replace(/\{,\}/g, ',')
    // Degree marks, in any of their spellings.
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree(?![a-zA-Z])/g, '')
    .replace(/\\%|%/g, '')
    .replace(/\\\$/g, '')
    .replace(/−/g, '-')
    .replace(/∞/g, '\\infty')
    .replace(/π/g, '\\pi')
    .replace(/\\infinity(?![a-zA-Z])|\\inf(?![a-zA-Z])/g, '\\infty');
  s = resolveTextGroups(s);
  s = s.replace(/\s*(?:degrees?|deg)\s*$/i, '');
  s = s
    .trim()
    .replace(/[.\s]+$/, '')
    .replace(/^[\s]+/, '');
  // A trailing unit word after a number ("10 inches", "5 square units").
  s = s.replace(/(?<=[\d}])\s+(?:(?:square|sq|cubic)\s+)?[a-zA-Z]{2,}(?:\s*\^\s*\{?[23]\}?)?$/, (unit) =>
    /^\s+(?:and|or|pi|i)$/i.test(unit) ? unit : '',
  );
  // "x = 5", "k=3", "\theta = 30", "x \in [a,b]": keep the right-hand side.
  const prefix = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?\s*(?:=|\\in(?![a-zA-Z]))\s*/.exec(s);
  if (prefix && !s.slice(prefix[0].length).includes('=')) s = s.slice(prefix[0].length);
  const trimmed = s.trim();
  const isWords =
    (wholeText && /[a-zA-Z]{2,}/.test(trimmed) && !/[\\\d^_{}]/.test(trimmed)) ||
    (/^[a-zA-Z][a-zA-Z' ]*$/.test(trimmed) && /[a-zA-Z]{3,}/.test(trimmed));
  if (isWords) return { text: trimmed.toLowerCase().replace(/\s+/g, ' '), isWords };
  s = squeezeSpaces(braceMacroArgs(trimmed));
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  s = s.replace(/_\{(\w)\}/g, '_$1');
  // `\text{(B)}` and friends as a bare letter.
  const letter = /^\(([A-Z])\)$/.exec(s);
  if (letter) s = letter[1];
  return { text: s, isWords: false };
}
