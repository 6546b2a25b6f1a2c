import {
  type CueDetectorOptions,
  type CueEvent,
  compareCueEvents,
  resolveCueOptions,
} from './CueDetector.ts';
import { foldCase } from './lexicon.ts';

const WORD_CLASS = '[\\p{L}\\p{N}\\p{M}_]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Finds every cue in a whole sequence of decoded pieces at once (the way LYNX's
 * `find_pattern_positions_by_tokens` does it). Gives the same events, in the same order, as feeding
 * the pieces one by one to a `CueDetector` and calling `flush()` at the end.
 */
export function findCues(pieces: readonly string[], opts: CueDetectorOptions = {}): CueEvent[] {
  const { lexicon, mode, startIndex } = resolveCueOptions(opts);
  const original = pieces.join('');
  const folded = foldCase(original);
  // ends[i] = char offset just past token i.
  const ends: number[] = [];
  let total = 0;
  for (const piece of pieces) {
    total += piece.length;
    ends.push(total);
  }
  const events: CueEvent[] = [];
  for (const word of lexicon) {
    for (const start of hitStarts(folded, word, mode)) {
      const charEnd = start + word.length;
      events.push({
        tokenIndex: startIndex + firstEndAtLeast(ends, charEnd),
        cue: word,
        text: original.slice(start, charEnd),
        charStart: start,
        charEnd,
      });
    }
  }
  return events.sort(compareCueEvents);
}

function hitStarts(folded: string, word: string, mode: 'substring' | 'word'): number[] {
  const starts: number[] = [];
  if (mode === 'substring') {
    // Python's str.find loop, continuing after each hit.
    for (let k = folded.indexOf(word); k >= 0; k = folded.indexOf(word, k + word.length)) starts.push(k);
    return starts;
  }
  const re = new RegExp(`(?<!${WORD_CLASS})${escapeRegExp(word)}(?!${WORD_CLASS})`, 'gu');
  for (const m of folded.matchAll(re)) starts.push(m.index);
  return starts;
}

/** Index of the first token whose end offset reaches `charEnd` (the token holding char charEnd-1). */
function firstEndAtLeast(ends: readonly number[], charEnd: number): number {
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] >= charEnd) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
