/**
 * llama.cpp's qwen2 pre-tokenizer (`LLAMA_VOCAB_PRE_TYPE_QWEN2`), ported from its hand-written
 * splitter (`unicode_regex_split_custom_qwen2`) so our pieces are exactly the ones llama.cpp makes.
 * Digits are split one per piece.
 */

/** The regex llama.cpp's splitter implements (from its tokenizer.json); kept as an independent reference. */
export const QWEN2_PRETOKENIZER_REGEX =
  /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
const WHITESPACE = /^\p{White_Space}$/u;
const UNASSIGNED = /^\p{Cn}$/u;

/** The unicode flags llama.cpp consults; `any` is false only for unassigned code points (and out of range). */
interface Flags {
  letter: boolean;
  number: boolean;
  space: boolean;
  any: boolean;
}

const NONE: Flags = { letter: false, number: false, space: false, any: false };
const flagCache = new Map<string, Flags>();

function flagsOf(cp: string | undefined): Flags {
  if (cp === undefined) return NONE;
  let f = flagCache.get(cp);
  if (!f) {
    f = {
      letter: LETTER.test(cp),
      number: NUMBER.test(cp),
      space: WHITESPACE.test(cp),
      any: !UNASSIGNED.test(cp),
    };
    if (flagCache.size < 65536) flagCache.set(cp, f);
  }
  return f;
}

/** Splits text (with no special tokens in it) into pre-tokenizer pieces, as llama.cpp does for qwen2. */
export function splitQwen2(text: string): string[] {
  const cps = Array.from(text);
  const n = cps.length;
  const out: string[] = [];
  let prevEnd = 0;
  const emit = (end: number): number => {
    const len = end - prevEnd;
    if (len > 0) out.push(cps.slice(prevEnd, end).join(''));
    prevEnd = end;
    return len;
  };
  const at = (p: number): string | undefined => (p < n ? cps[p] : undefined);
  const flagsAt = (p: number): Flags => flagsOf(at(p));

  for (let pos = 0; pos < n; ) {
    const cp = cps[pos];
    const flags = flagsAt(pos);

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (cp === "'" && pos + 1 < n) {
      const next = at(pos + 1)!.toLowerCase();
      if (next === 's' || next === 't' || next === 'm' || next === 'd') {
        pos += emit(pos + 2);
        continue;
      }
      if (pos + 2 < n) {
        const nextNext = at(pos + 2)!.toLowerCase();
        if (
          (next === 'r' && nextNext === 'e') ||
          (next === 'v' && nextNext === 'e') ||
          (next === 'l' && nextNext === 'l')
        ) {
          pos += emit(pos + 3);
          continue;
        }
      }
    }

    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(cp === '\r' || cp === '\n' || flags.number)) {
      if (flags.letter || flagsAt(pos + 1).letter) {
        pos++;
        while (flagsAt(pos).letter) pos++;
        emit(pos);
        continue;
      }
    }

    // \p{N}
    if (flags.number) {
      pos++;
      emit(pos);
      continue;
    }

    // <space>?[^\s\p{L}\p{N}]+[\r\n]*
    let flags2 = cp === ' ' ? flagsAt(pos + 1) : flags;
    if (!(flags2.space || flags2.letter || flags2.number) && flags.any) {
      if (cp === ' ') pos++;
      while (!(flags2.space || flags2.letter || flags2.number) && flags2.any) flags2 = flagsAt(++pos);
      while (at(pos) === '\r' || at(pos) === '\n') pos++;
      emit(pos);
      continue;
    }

    let spaces = 0;
    let lastNewlineEnd = 0;
    while (flagsAt(pos + spaces).space) {
      const c = at(pos + spaces);
      if (c === '\r' || c === '\n') lastNewlineEnd = pos + spaces + 1;
      spaces++;
    }
    // \s*[\r\n]+
    if (lastNewlineEnd > 0) {
      pos = lastNewlineEnd;
      emit(pos);
      continue;
    }
    // \s+(?!\S)
    if (spaces > 1 && pos + spaces < n) {
      pos += spaces - 1;
      emit(pos);
      continue;
    }
    // \s+
    if (spaces > 0) {
      pos += spaces;
      emit(pos);
      continue;
    }
    // no match: one code point on its own
    emit(++pos);
  }
  return out;
}
