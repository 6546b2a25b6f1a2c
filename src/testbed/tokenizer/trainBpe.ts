/**
 * Trains a byte-level BPE on texts: forced words get their merge chains first (so each is one
 * token), then the most frequent adjacent pair is merged until the vocabulary is full. Deterministic:
 * ties go to the lexicographically smallest pair.
 */

import { BpeTokenizer } from './BpeTokenizer.ts';
import { toByteLevel } from './byteLevel.ts';
import { splitQwen2 } from './pretokenize.ts';
import { CUE_TOKENS, type SpecialToken, TESTBED_SPECIALS } from './specials.ts';

/** Options of `trainBpe`. */
export interface TrainBpeOptions {
  /** Total vocabulary size: 256 bytes + merges + specials. Default 768. */
  vocabSize?: number;
  /** Specials, in vocabulary order. Default: ChatML + `<think>`/`</think>`. */
  specialTokens?: readonly SpecialToken[];
  /** Words that must end up as single tokens. Default: the cue words in all their forms. */
  forcedTokens?: readonly string[];
  /**
   * Characters after which nothing is merged. Default ["{"], so `\boxed{` + a letter answer
   * tokenizes the same whether the letter follows in text or is generated after a forced exit.
   */
  noMergeAfter?: readonly string[];
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minPairCount?: number;
}

/** Counts the pre-tokenized pieces of the texts (specials cut out first). */
function countPieces(texts: Iterable<string>, specials: readonly SpecialToken[]): Map<string, number> {
  const counts = new Map<string, number>();
  const order = [...specials].sort((a, b) => b.text.length - a.text.length);
  for (const text of texts) {
    let frags = [text];
    for (const s of order) frags = frags.flatMap((f) => f.split(s.text));
    for (const f of frags) {
      if (!f) continue;
      for (const p of splitQwen2(f)) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  }
  return counts;
}

/** Applies one merge to every word, left to right. */
function applyMerge(words: string[][], a: string, b: string): void {
  const ab = a + b;
  for (const w of words) {
    for (let i = 0; i + 1 < w.length; i++) {
      if (w[i] === a && w[i + 1] === b) w.splice(i, 2, ab);
    }
  }
}

/** Checks that a forced word stays one piece under the qwen2 pre-tokenizer (merges never cross pieces). */
function checkForced(word: string): void {
  const pieces = splitQwen2(word);
  if (pieces.length !== 1)
    throw new Error(
      `forced token ${JSON.stringify(word)} is split by the pre-tokenizer into ${JSON.stringify(pieces)}`,
    );
}

/** Trains a tokenizer on the texts. */
export function trainBpe(texts: Iterable<string>, opts: TrainBpeOptions = {}): BpeTokenizer {
  const specials = opts.specialTokens ?? TESTBED_SPECIALS;
  const forced = [...new Set(opts.forcedTokens ?? CUE_TOKENS)];
  const vocabSize = opts.vocabSize ?? 768;
  const minCount = opts.minPairCount ?? 2;
  const stopChars = new Set((opts.noMergeAfter ?? ['{']).map(toByteLevel));
  const maxMerges = vocabSize - 256 - specials.length;
  if (maxMerges < 0)
    throw new Error(`vocabSize ${vocabSize} is smaller than 256 bytes + ${specials.length} specials`);

  const counts = countPieces(texts, specials);
  const entries = [...counts.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const words = entries.map(([p]) => Array.from(toByteLevel(p)));
  const freq = entries.map(([, c]) => c);

  const merges: string[] = [];
  const made = new Set<string>();
  const addMerge = (a: string, b: string) => {
    merges.push(`${a} ${b}`);
    made.add(a + b);
    applyMerge(words, a, b);
  };

  // Space-prefixed words first: a chain like "W a" ranked before "Ġ W" would split " Wait".
  const ordered = [...forced.filter((w) => w.startsWith(' ')), ...forced.filter((w) => !w.startsWith(' '))];
  for (const w of ordered) {
    checkForced(w);
    const chars = Array.from(toByteLevel(w));
    let prefix = chars[0];
    for (let k = 1; k < chars.length; k++) {
      if (!made.has(prefix + chars[k])) addMerge(prefix, chars[k]);
      prefix += chars[k];
    }
  }
  if (merges.length > maxMerges)
    throw new Error(
      `forced tokens need ${merges.length} merges but vocabSize ${vocabSize} leaves room for ${maxMerges}`,
    );

  const banned = new Set<string>();
  while (merges.length < maxMerges) {
    const pairCounts = new Map<string, number>();
    words.forEach((w, wi) => {
      for (let i = 0; i + 1 < w.length; i++) {
        const left = w[i];
        if (stopChars.has(left[left.length - 1])) continue;
        const key = `${left} ${w[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + freq[wi]);
      }
    });
    let best = '';
    let bestCount = 0;
    for (const [key, c] of pairCounts) {
      if (banned.has(key)) continue;
      if (c > bestCount || (c === bestCount && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (bestCount < minCount) break;
    const [a, b] = best.split(' ');
    if (made.has(a + b)) {
      // Another pair already makes this string; a second merge would duplicate the token.
      banned.add(best);
      continue;
    }
    addMerge(a, b);
  }

  const tok = new BpeTokenizer(merges, specials);
  for (const w of forced) {
    const ids = tok.encode(w, { special: false });
    if (ids.length !== 1)
      throw new Error(`forced token ${JSON.stringify(w)} encodes to ${ids.length} tokens`);
  }
  return tok;
}
