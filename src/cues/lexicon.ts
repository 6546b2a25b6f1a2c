import { UserError } from '../errors.ts';

/** The cue words of the official LYNX code (`probing_utils.py`), in its order. */
export const DEFAULT_CUE_LEXICON: readonly string[] = Object.freeze(['hmm', 'wait', 'alternatively']);

/** How a cue must sit in the text: LYNX's plain substring match, or a whole word. */
export type CueMatchMode = 'substring' | 'word';

/**
 * Lower-cases one UTF-16 code unit at a time, keeping any unit whose lower case has another length
 * (e.g. "İ") and every surrogate. Offsets in the folded text therefore equal offsets in the original,
 * and folding piece by piece gives exactly the folding of the whole string.
 */
export function foldCase(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text[i];
    const code = unit.charCodeAt(0);
    if (code < 0x80) {
      out += code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : unit;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += unit;
      continue;
    }
    const lower = unit.toLowerCase();
    out += lower.length === 1 ? lower : unit;
  }
  return out;
}

const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;

/** True for a letter, digit, combining mark or underscore: what continues a word. */
export function isWordCodePoint(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char);
}

/**
 * Checks a cue lexicon and returns its case-folded words. Throws UserError on an empty list, a
 * word that is not a non-empty string, or two words that fold to the same text (they would fire twice).
 */
export function normalizeLexicon(lexicon: readonly unknown[]): string[] {
  if (!Array.isArray(lexicon) || lexicon.length === 0) {
    throw new UserError('Cue lexicon must be a non-empty list of words.');
  }
  const seen = new Set<string>();
  return lexicon.map((word, i) => {
    if (typeof word !== 'string' || word.length === 0) {
      throw new UserError(`Cue lexicon entry ${i} must be a non-empty string, got ${JSON.stringify(word)}.`);
    }
    const folded = foldCase(word);
    if (seen.has(folded)) {
      throw new UserError(`Cue lexicon has "${word}" twice (matching ignores case).`);
    }
    seen.add(folded);
    return folded;
  });
}
