/** Special tokens and forced single-token words of the testbed tokenizer. */

/** How llama.cpp treats a special token: control (only parsed when asked) or user-defined (always). */
export type SpecialKind = 'control' | 'user';

/** A special token: matched whole in text before pre-tokenization, never split by BPE. */
export interface SpecialToken {
  text: string;
  kind: SpecialKind;
}

/** ChatML specials plus the thinking delimiters, in vocabulary order. */
export const TESTBED_SPECIALS: readonly SpecialToken[] = Object.freeze([
  { text: '<|endoftext|>', kind: 'control' },
  { text: '<|im_start|>', kind: 'control' },
  { text: '<|im_end|>', kind: 'control' },
  { text: '<think>', kind: 'user' },
  { text: '</think>', kind: 'user' },
]);

/** End of a turn (EOS for generation). */
export const EOS_TEXT = '<|im_end|>';
/** Padding / BOS id holder, as in Qwen. */
export const PAD_TEXT = '<|endoftext|>';

/** The cue words, in every surface form the traces use, each forced to be one token. */
export const CUE_TOKENS: readonly string[] = Object.freeze([
  ' wait',
  ' Wait',
  'Wait',
  ' hmm',
  ' Hmm',
  'Hmm',
  ' alternatively',
  ' Alternatively',
  'Alternatively',
]);
