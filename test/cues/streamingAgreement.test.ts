import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CueDetector, type CueDetectorOptions, type CueEvent, findCues } from '../../src/cues/index.ts';

/** Text made mostly of cue fragments, so that hits, near-misses and splits are frequent. */
const fragment = fc.constantFrom(
  'h',
  'H',
  'm',
  'M',
  'mm',
  'hmm',
  'Hmmm',
  'w',
  'wa',
  'ait',
  'WAIT',
  'wait',
  'await',
  'ing',
  'alter',
  'nat',
  'ively',
  'Alternatively',
  ' ',
  ',',
  '.',
  '\n',
  'é',
  '日',
  '_',
  '7',
  '😀',
  '\uD83D',
  '\uDE00',
  'İ',
  '',
);
const piecesArb = fc.array(
  fc.oneof(
    fc.array(fragment, { maxLength: 4 }).map((f) => f.join('')),
    fc.string(),
  ),
  {
    maxLength: 40,
  },
);
const optsArb: fc.Arbitrary<CueDetectorOptions> = fc.record({
  mode: fc.constantFrom('substring' as const, 'word' as const),
  startIndex: fc.nat(1000),
  lexicon: fc.option(fc.constantFrom(['hmm', 'wait', 'alternatively'], ['mm', 'hmm'], ['a', 'aa', 'wait']), {
    nil: undefined,
  }),
});

function streamAll(pieces: readonly string[], opts: CueDetectorOptions): CueEvent[] {
  const d = new CueDetector(opts);
  const out: CueEvent[] = [];
  pieces.forEach((p, i) => {
    const got = d.push(p);
    // Every event is returned no earlier than the token that completes it.
    for (const e of got) expect(e.tokenIndex).toBeLessThanOrEqual((opts.startIndex ?? 0) + i);
    out.push(...got);
  });
  out.push(...d.flush());
  return out;
}

describe('findCues agrees with the streaming CueDetector', () => {
  it('on random piece sequences, both modes, several lexicons', () => {
    fc.assert(
      fc.property(piecesArb, optsArb, (pieces, opts) => {
        expect(streamAll(pieces, opts)).toEqual(findCues(pieces, opts));
      }),
      { numRuns: 1000, seed: 20251124 },
    );
  });

  it('does not depend on how the text is cut into pieces (except token indices)', () => {
    fc.assert(
      fc.property(piecesArb, optsArb, fc.nat(), (pieces, opts, cutSeed) => {
        const text = pieces.join('');
        const cut = Math.min(text.length, cutSeed % (text.length + 1));
        const resplit = [text.slice(0, cut), text.slice(cut)];
        const strip = (e: CueEvent) => [e.cue, e.charStart, e.charEnd, e.text];
        const a = findCues(pieces, opts).map(strip);
        const b = streamAll(resplit, opts).map(strip);
        const order = (x: unknown[], y: unknown[]) =>
          (x[1] as number) - (y[1] as number) || String(x[0]).localeCompare(String(y[0]));
        expect(b.sort(order)).toEqual(a.sort(order));
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
