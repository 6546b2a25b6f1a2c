import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QWEN2_PRETOKENIZER_REGEX, splitQwen2 } from '../../src/testbed/tokenizer/pretokenize.ts';

/** The reference: the original regex, matched globally (it covers every character). */
const byRegex = (text: string) => Array.from(text.matchAll(QWEN2_PRETOKENIZER_REGEX), (m) => m[0]);

describe('splitQwen2 (port of llama.cpp qwen2 splitter)', () => {
  it('splits digits one per piece and keeps a leading space or punctuation on words', () => {
    expect(splitQwen2('12 * 3 = 36.')).toEqual(['1', '2', ' *', ' ', '3', ' =', ' ', '3', '6', '.']);
    expect(splitQwen2(' Final Answer: \\boxed{C}')).toEqual([
      ' Final',
      ' Answer',
      ':',
      ' \\',
      'boxed',
      '{C',
      '}',
    ]);
    expect(splitQwen2("it's.\n\nWait")).toEqual(['it', "'s", '.\n\n', 'Wait']);
    expect(splitQwen2('a  \n b')).toEqual(['a', '  \n', ' b']);
  });

  it('agrees with the regex on random text', () => {
    const alphabet = [
      ...'aZk09 \n\t\r.,!?\'"{}\\-_',
      "'s",
      "'Re",
      'é',
      'Ω',
      '中',
      '٣',
      '🙂',
      '\u00a0',
      '\u2003',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 50 }), (parts) => {
        const text = parts.join('');
        expect(splitQwen2(text)).toEqual(byRegex(text));
      }),
      { seed: 7, numRuns: 3000 },
    );
  });

  it('loses no characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        expect(splitQwen2(text).join('')).toBe(text);
      }),
      { seed: 8, numRuns: 1000 },
    );
  });
});
