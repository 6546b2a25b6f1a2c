export { BpeTokenizer, type BpeTokenizerJson, type SpecialOptions } from './BpeTokenizer.ts';
export { fromByteLevel, toByteLevel } from './byteLevel.ts';
export { QWEN2_PRETOKENIZER_REGEX, splitQwen2 } from './pretokenize.ts';
export {
  CUE_TOKENS,
  EOS_TEXT,
  PAD_TEXT,
  type SpecialKind,
  type SpecialToken,
  TESTBED_SPECIALS,
} from './specials.ts';
export { type TrainBpeOptions, trainBpe } from './trainBpe.ts';
