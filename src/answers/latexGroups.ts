/** Small, total helpers for reading LaTeX argument groups; none of them throws. */

/**
 * Given `open` at the index of a `{`, returns the index just past its matching `}`, or -1 when it is
 * never closed. Escaped braces (`\{`, `\}`) are literal characters and do not count.
 */
export function closeOfBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** One LaTeX macro argument read at `from`: its content and where it ends. */
export interface LatexArg {
  content: string;
  end: number;
  braced: boolean;
}

/**
 * Reads one macro argument starting at `from` (spaces skipped): a `{…}` group, a control word such
 * as `\pi`, or a single character, the way TeX reads `\frac12`. Null at the end of the text or on an
 * unclosed group.
 */
export function readArg(text: string, from: number): LatexArg | null {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i >= text.length) return null;
  const ch = text[i];
  if (ch === '{') {
    const end = closeOfBrace(text, i);
    return end < 0 ? null : { content: text.slice(i + 1, end - 1), end, braced: true };
  }
  if (ch === '}') return null;
  if (ch === '\\') {
    const m = /^\\(?:[a-zA-Z]+|.)/s.exec(text.slice(i));
    const word = m ? m[0] : '\\';
    return { content: word, end: i + word.length, braced: false };
  }
  // One code point (keep surrogate pairs whole).
  const cp = String.fromCodePoint(text.codePointAt(i) ?? 0);
  return { content: cp, end: i + cp.length, braced: false };
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);

/**
 * Splits `text` at every top-level occurrence of `sep` (outside (), [], {} and `\{ \}`). Brackets
 * are matched loosely, so half-open intervals such as `[2,5)` still count as one level.
 */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      if (
        depth === 0 &&
        text.startsWith(sep, i) &&
        sep.startsWith('\\') &&
        !/[a-zA-Z]/.test(text[i + sep.length] ?? '')
      ) {
        parts.push(text.slice(last, i));
        last = i + sep.length;
        i = last - 1;
        continue;
      }
      const next = text[i + 1];
      if (next === '{') depth++;
      else if (next === '}') depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (ch in OPENERS) depth++;
    else if (CLOSERS.has(ch)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(last, i));
      last = i + sep.length;
      i = last - 1;
    }
  }
  parts.push(text.slice(last));
  return parts;
}

/**
 * If the whole text is one bracketed group — `(…)`, `[…]`, `(…]`, `[…)` or `\{…\}` — returns its
 * opening and closing delimiters and inner text; otherwise null (`(a+5)(b+2)` is not one group).
 */
export function outerBrackets(text: string): { open: string; close: string; inner: string } | null {
  const setLike = text.startsWith('\\{') && text.endsWith('\\}') && text.length >= 4;
  const open = setLike ? '\\{' : text[0];
  const close = setLike ? '\\}' : text[text.length - 1];
  if (!setLike && (!(open === '(' || open === '[') || !(close === ')' || close === ']'))) return null;
  if (!setLike && text.length < 2) return null;
  // The group opened at 0 must close at the very end.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === '{') depth++;
      else if (next === '}') depth--;
      i++;
    } else if (ch in OPENERS) depth++;
    else if (CLOSERS.has(ch)) depth--;
    if (depth === 0 && i < text.length - 1) return null;
  }
  if (depth !== 0) return null;
  return { open, close, inner: text.slice(open.length, text.length - close.length) };
}
