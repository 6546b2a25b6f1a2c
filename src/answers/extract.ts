import { closeOfBrace } from './latexGroups.ts';

/**
 * Content of the last complete `\boxed{…}` or `\fbox{…}` (balanced, nested braces allowed), or of a
 * brace-less `\boxed 5`. A `\boxed{` that is never closed is skipped, so an answer cut off by a token
 * budget falls back to the previous box. Null when there is none.
 */
export function lastBoxed(text: string): string | null {
  const starts = [...text.matchAll(/\\(?:boxed|fbox)(?![a-zA-Z])/g)];
  for (let k = starts.length - 1; k >= 0; k--) {
    const m = starts[k];
    let i = m.index + m[0].length;
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text[i] === '{') {
      const end = closeOfBrace(text, i);
      if (end >= 0) return text.slice(i + 1, end - 1).trim();
      continue;
    }
    // `\boxed 5`: needs a space, then runs to the next space or `$`.
    if (i === m.index + m[0].length) continue;
    const word = /^[^\s$]+/.exec(text.slice(i));
    if (word) return word[0].replace(/[.,;]+$/, '');
  }
  return null;
}

const TRIGGER =
  /(?:final\s+answer\s*(?:is|:)|the\s+(?:correct\s+)?answer\s+(?:is|should\s+be|would\s+be)|answer\s+is|answer\s*:)/gi;

/**
 * Text after the last trigger phrase ("Final Answer:", "the answer is", "answer is", "answer:"),
 * case-insensitive, up to the end of its line or sentence, without `$` and markdown emphasis.
 * Null when there is no trigger or nothing after it.
 */
export function extractTriggered(text: string): string | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(TRIGGER)) last = m;
  if (!last) return null;
  let rest = text.slice(last.index + last[0].length);
  rest = rest.replace(/^[\s:*_]+/, '');
  const line = rest.split('\n')[0];
  // A sentence ends at ". " or "." at the end, but not at a decimal point.
  const stop = line.search(/\.(?=\s|$)/);
  const sentence = stop >= 0 ? line.slice(0, stop) : line;
  const answer = sentence
    .replace(/(?<!\\)\$/g, '')
    .replace(/[*_]+$/g, '')
    .replace(/^\*+|\*+$/g, '')
    .trim();
  return answer.length > 0 ? answer : null;
}

const NUMBER = /[-−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|[-−]?\.\d+/g;

/** The last number in the text as written ("1,000", "-3.5", ".25"), or null. */
export function lastNumber(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(NUMBER)) last = m[0];
  return last === null ? null : last.replace('−', '-');
}

/** The first number in the text as written, or null. */
export function firstNumber(text: string): string | null {
  const m = text.match(new RegExp(NUMBER.source));
  return m ? m[0].replace('−', '-') : null;
}

/**
 * LYNX's extraction order for a model's answer text: the last `\boxed{}`, else the text after the
 * last trigger phrase, else the last number. Null if none of them is present.
 */
export function extractAnswer(text: string): string | null {
  return lastBoxed(text) ?? extractTriggered(text) ?? lastNumber(text);
}

/** `\text{C}`, `\textbf{(C)}`, `**C**` → the bare inside, for reading choice letters. */
function stripMarkup(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++)
    out = out.replace(/\\(?:text|textbf|mathrm|mathbf|textit|mbox)\s*\{([^{}]*)\}/g, '$1');
  return out.replace(/[*_`]/g, '').trim();
}

/** A letter that stands alone: "C", "(C)", "C.", "C)", "C: bank", "(C) bank". */
function leadingLetter(text: string, letters: string, anyCase = false): string | null {
  const m = /^\(?\s*([A-Za-z])\s*\)?(?=$|[.:)]|\s*\))/.exec(text) ?? /^\(([A-Za-z])\)/.exec(text);
  if (!m) return null;
  const letter = m[1];
  const bracketed = text.startsWith('(');
  // A bare lower-case letter is too often the article "a" or a variable.
  if (letter !== letter.toUpperCase() && !bracketed && !anyCase) return null;
  const up = letter.toUpperCase();
  return letters.includes(up) ? up : null;
}

const CHOICE_PHRASE =
  /(?:answer(?:\s*(?:is|:))?|answer\s+should\s+be|option|choice|choose|select|go\s+with)\s*(?:[:-]\s*)?(?:(?:option|choice)\s*)?(?:([([])\s*)?([A-Za-z])(?![A-Za-z0-9'])/gi;

/**
 * The multiple-choice letter a model chose, or null. Looks, in order, at the last `\boxed{}` (e.g.
 * `\boxed{C}`, `\boxed{\text{(C)}}`), the last phrase like "answer is (C)", "answer: C", "option C",
 * and a reply that is only the letter ("C", "(C) bank", "C."). Lower-case letters count only in
 * brackets or a box, so the article "a" is never taken for choice A.
 */
export function extractChoice(text: string, letters = 'ABCDE'): string | null {
  const allowed = letters.toUpperCase();
  const boxed = lastBoxed(text);
  if (boxed !== null) {
    // Inside a box a lone lower-case letter is a choice too.
    const letter = leadingLetter(stripMarkup(boxed), allowed, true);
    if (letter) return letter;
  }
  const plain = stripMarkup(text);
  let found: string | null = null;
  for (const m of plain.matchAll(CHOICE_PHRASE)) {
    const letter = m[2];
    if (letter !== letter.toUpperCase() && !m[1]) continue;
    if (allowed.includes(letter.toUpperCase())) found = letter.toUpperCase();
  }
  if (found) return found;
  return leadingLetter(plain, allowed);
}
