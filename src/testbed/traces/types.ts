/** Types of the synthetic R1-style traces. */

/** The task families. */
export type Family = 'arith' | 'word' | 'order';

/** All families, in a fixed order. */
export const FAMILIES: readonly Family[] = Object.freeze(['arith', 'word', 'order']);

/** One problem: a question and its checkable gold answer (an integer string or a letter). */
export interface Problem {
  /** Stable id: family + hash of the canonical form. */
  id: string;
  family: Family;
  question: string;
  gold: string;
  /** The problem's mathematical content without surface wording (decides the train/held-out split). */
  canonical: string;
  /** Family-specific structured data the trace generator works from. */
  data: unknown;
}

/** A cue word as it appears in a trace (lower case). */
export type CueWord = 'wait' | 'hmm' | 'alternatively';

/** One cue in a trace's thinking. */
export interface TraceCue {
  cue: CueWord;
  /** Char offset in `thinking` just past the cue word (where a forced exit would cut). */
  charEnd: number;
  /** Whether the final result believed at this point is already stated and equals the gold. */
  exitCorrect: boolean;
  /** Whether this cue comes before the (first) final result is stated. */
  beforeAnswer: boolean;
}

/** What happened in a trace. */
export interface TraceMeta {
  /** Solution steps of the problem. */
  steps: number;
  /** Wrong intermediate results written. */
  slips: number;
  /** Slips later corrected ("Wait, 12 * 3 is 36, not 35."). */
  caught: number;
  cueCount: number;
  cues: TraceCue[];
  /** Char index in `thinking` just past the first statement of the correct final result, or -1. */
  firstCorrectPos: number;
  /** Char index just past the first statement of any final result (right or wrong). */
  firstAnswerPos: number;
  /** Redundant re-verification rounds after the answer. */
  verifyRounds: number;
  /** Whether `answer` equals the gold. */
  correct: boolean;
}

/** A generated assistant turn. */
export interface Trace {
  /** The text between `<think>\n` and `</think>`. */
  thinking: string;
  /** The boxed answer (may be wrong when a slip was missed). */
  answer: string;
  /** The full assistant turn: `<think>\n{thinking}</think> Final Answer: \boxed{answer}`. */
  text: string;
  meta: TraceMeta;
}

/** Rates and sizes of the trace generator. */
export interface TraceOptions {
  /** Chance that a step's result is wrong. */
  slipRate: number;
  /** Chance that a slip is caught right away with "Wait, …". */
  catchRate: number;
  /** Chance that a missed slip is found during a later verification round. */
  lateCatchRate: number;
  /** Chance of a check ("Hmm, … yes.") after a correct intermediate step. */
  checkRate: number;
  /** Redundant verification rounds after the answer: uniform in [min, max]. */
  minVerify: number;
  maxVerify: number;
  /** Chance that a verification round is an "Alternatively, …" recomputation. */
  altRate: number;
  /**
   * Verification rounds after the first stop once question + thinking have this many qwen2
   * pre-tokenizer pieces (a tokenizer-independent stand-in for tokens: a piece is ≥ 1 token).
   * Short problems thus get more redundant re-checking, long ones fit the context.
   */
  maxPieces: number;
}

/** Default rates: about 3–5 cues per trace, most of them after the answer is already right. */
export const DEFAULT_TRACE_OPTIONS: Readonly<TraceOptions> = Object.freeze({
  slipRate: 0.1,
  catchRate: 0.6,
  lateCatchRate: 0.5,
  checkRate: 0.25,
  minVerify: 2,
  maxVerify: 5,
  altRate: 0.35,
  maxPieces: 250,
});
