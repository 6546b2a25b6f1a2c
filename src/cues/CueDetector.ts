import { UserError } from '../errors.ts';
import {
  type CueMatchMode,
  DEFAULT_CUE_LEXICON,
  foldCase,
  isWordCodePoint,
  normalizeLexicon,
} from './lexicon.ts';

/** One cue found in the decoded stream. */
export interface CueEvent {
  /** Index of the token holding the cue's last character (0-based, plus `startIndex`). */
  tokenIndex: number;
  /** The lexicon word that matched, lower-cased. */
  cue: string;
  /** The matched text as generated (original case). */
  text: string;
  /** Character offsets of the match in the concatenated pieces since the last reset (end exclusive). */
  charStart: number;
  charEnd: number;
}

/** Options shared by the streaming detector and `findCues`. */
export interface CueDetectorOptions {
  /** Cue words, matched case-insensitively. Default: LYNX's "hmm", "wait", "alternatively". */
  lexicon?: readonly string[];
  /**
   * 'substring' (default) is LYNX's matching: any occurrence counts, so "awaiting" fires "wait".
   * 'word' needs a non-word character (or the stream's start/end) on both sides of the cue.
   */
  mode?: CueMatchMode;
  /** Index given to the first pushed token, e.g. the prompt length for absolute positions. Default 0. */
  startIndex?: number;
}

interface PatternState {
  word: string;
  /** Absolute char offset where the next search for this word starts (keeps hits non-overlapping). */
  next: number;
  /** Word mode: a complete hit at the end of the text, waiting for the next char to show a boundary. */
  pending: { start: number; tokenIndex: number } | null;
}

/** Chars kept behind the earliest search point: the lookbehind needs at most one code point (2 units). */
const LOOKBEHIND_UNITS = 2;
/** Trim the buffers only once this much text is dead, so trimming costs O(1) amortized per char. */
const TRIM_SLACK = 4096;

/** Validates the options and fills in defaults. */
export function resolveCueOptions(opts: CueDetectorOptions = {}): Required<CueDetectorOptions> {
  const mode = opts.mode ?? 'substring';
  if (mode !== 'substring' && mode !== 'word') {
    throw new UserError(`Cue match mode must be "substring" or "word", got ${JSON.stringify(mode)}.`);
  }
  const startIndex = opts.startIndex ?? 0;
  if (!Number.isSafeInteger(startIndex) || startIndex < 0) {
    throw new UserError(`Cue startIndex must be a non-negative integer, got ${String(startIndex)}.`);
  }
  return { lexicon: normalizeLexicon(opts.lexicon ?? DEFAULT_CUE_LEXICON), mode, startIndex };
}

/**
 * Streaming cue detection over decoded token pieces, with LYNX semantics: case-insensitive matches
 * over the concatenated pieces, non-overlapping hits per word, each event at the token holding the
 * cue's last character (so a cue split over several tokens, like "h|mm", fires on its last token).
 *
 * In 'substring' mode an event is returned by the `push` of the token that completes the cue.
 * In 'word' mode a cue that ends exactly at the end of the text so far cannot be confirmed yet
 * ("wait" might become "waiting"): it is returned by the next `push` that adds a character (one
 * token later, typically), or by `flush()` at the end of the stream. Its `tokenIndex` is still the
 * token that completed it.
 */
export class CueDetector {
  private readonly lexicon: readonly string[];
  private readonly mode: CueMatchMode;
  private startIndex: number;
  private patterns: PatternState[] = [];
  /** Folded and original text from absolute offset `base` on. */
  private folded = '';
  private original = '';
  private base = 0;
  private tokens = 0;
  private flushed = false;

  constructor(opts: CueDetectorOptions = {}) {
    const resolved = resolveCueOptions(opts);
    this.lexicon = resolved.lexicon;
    this.mode = resolved.mode;
    this.startIndex = resolved.startIndex;
    this.reset();
  }

  /** The case-folded cue words in use. */
  get words(): readonly string[] {
    return this.lexicon;
  }

  /** Number of tokens pushed since the last reset. */
  get tokenCount(): number {
    return this.tokens;
  }

  /** Forgets all text; the next push is token `startIndex` (the given one, or the current one). */
  reset(startIndex: number = this.startIndex): void {
    if (!Number.isSafeInteger(startIndex) || startIndex < 0) {
      throw new UserError(`Cue startIndex must be a non-negative integer, got ${String(startIndex)}.`);
    }
    this.startIndex = startIndex;
    this.patterns = this.lexicon.map((word) => ({ word, next: 0, pending: null }));
    this.folded = '';
    this.original = '';
    this.base = 0;
    this.tokens = 0;
    this.flushed = false;
  }

  /** Feeds the decoded piece of the next token; returns the cue events completed or confirmed by it. */
  push(piece: string): CueEvent[] {
    if (this.flushed) throw new Error('CueDetector.push after flush(): call reset() to start a new stream.');
    const tokenIndex = this.startIndex + this.tokens;
    this.tokens++;
    if (piece.length === 0) return [];
    this.folded += foldCase(piece);
    this.original += piece;
    const events = this.scan(tokenIndex, false);
    this.trim();
    return events;
  }

  /**
   * True when pushing `piece` next could complete a cue: some cue word would end inside it
   * (word boundaries and overlaps ignored, so this never misses a cue `push` would return).
   */
  mayComplete(piece: string): boolean {
    if (piece.length === 0) return false;
    const folded = foldCase(piece);
    for (const word of this.lexicon) {
      const tail = this.folded.slice(Math.max(0, this.folded.length - (word.length - 1)));
      if ((tail + folded).indexOf(word, 0) >= 0) return true;
    }
    return false;
  }

  /** Ends the stream: returns the word-mode cues that were waiting for a following character. */
  flush(): CueEvent[] {
    if (this.flushed) return [];
    const events = this.scan(this.startIndex + this.tokens - 1, true);
    this.flushed = true;
    return events;
  }

  private scan(tokenIndex: number, atEnd: boolean): CueEvent[] {
    const events: CueEvent[] = [];
    const end = this.base + this.folded.length;
    for (const p of this.patterns) {
      const len = p.word.length;
      for (;;) {
        const rel = this.folded.indexOf(p.word, p.next - this.base);
        if (rel < 0) {
          // A later hit cannot start before this point, so never rescan older text.
          p.next = Math.max(p.next, end - len + 1);
          break;
        }
        const start = this.base + rel;
        const hitEnd = start + len;
        // Only a hit found in an earlier push is pending; it was completed by that push's token.
        const owner = p.pending && p.pending.start === start ? p.pending.tokenIndex : tokenIndex;
        p.pending = null;
        if (this.mode === 'word') {
          if (isWordCodePoint(this.codePointBefore(rel))) {
            p.next = start + 1;
            continue;
          }
          const after = this.codePointAt(rel + len);
          if (after === undefined && !atEnd) {
            p.pending = { start, tokenIndex: owner };
            p.next = start;
            break;
          }
          if (isWordCodePoint(after)) {
            p.next = start + 1;
            continue;
          }
        }
        events.push({
          tokenIndex: owner,
          cue: p.word,
          text: this.original.slice(rel, rel + len),
          charStart: start,
          charEnd: hitEnd,
        });
        p.next = hitEnd;
      }
    }
    return events.sort(compareCueEvents);
  }

  /** The code point ending just before relative offset `rel` (undefined at the stream start). */
  private codePointBefore(rel: number): string | undefined {
    if (rel <= 0) return undefined;
    const low = this.folded.charCodeAt(rel - 1);
    if (low >= 0xdc00 && low <= 0xdfff && rel >= 2) {
      const high = this.folded.charCodeAt(rel - 2);
      if (high >= 0xd800 && high <= 0xdbff) return this.folded.slice(rel - 2, rel);
    }
    return this.folded[rel - 1];
  }

  /**
   * The code point starting at relative offset `rel`, or undefined when the text does not yet hold it
   * whole (a high surrogate at the very end still waits for its partner).
   */
  private codePointAt(rel: number): string | undefined {
    if (rel >= this.folded.length) return undefined;
    const high = this.folded.charCodeAt(rel);
    if (high >= 0xd800 && high <= 0xdbff) {
      if (rel + 1 >= this.folded.length) return undefined;
      const low = this.folded.charCodeAt(rel + 1);
      if (low >= 0xdc00 && low <= 0xdfff) return this.folded.slice(rel, rel + 2);
    }
    return this.folded[rel];
  }

  private trim(): void {
    let keepFrom = Number.POSITIVE_INFINITY;
    for (const p of this.patterns) keepFrom = Math.min(keepFrom, p.next - LOOKBEHIND_UNITS);
    const dead = keepFrom - this.base;
    if (dead < TRIM_SLACK) return;
    this.folded = this.folded.slice(dead);
    this.original = this.original.slice(dead);
    this.base = keepFrom;
  }
}

/** Orders events by token, then position, then word (the order LYNX's sorted (pos, label) pairs give). */
export function compareCueEvents(a: CueEvent, b: CueEvent): number {
  return (
    a.tokenIndex - b.tokenIndex || a.charStart - b.charStart || (a.cue < b.cue ? -1 : a.cue > b.cue ? 1 : 0)
  );
}
