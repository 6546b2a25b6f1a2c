export {
  extractAnswer,
  extractChoice,
  extractTriggered,
  firstNumber,
  lastBoxed,
  lastNumber,
} from './extract.ts';
export {
  ANSWER_KINDS,
  type AnswerKind,
  gradeAime,
  gradeAnswer,
  gradeGsm8k,
  gradeMath,
  gradeMcq,
  gsm8kGoldAnswer,
  predictedMathAnswer,
} from './grade.ts';
export { mathAnswersEquivalent } from './mathEquivalence.ts';
export { type NormalizedAnswer, normalizeMathAnswer } from './normalizeMath.ts';
export { numbersClose, parseNumericAnswer } from './numbers.ts';
