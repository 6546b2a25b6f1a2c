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

/**
 * What the trace believes the answer is from `charEnd` on: an intermediate result (`final` false,
 * the answer the running state would give) or a stated final result. Forced and trial exits in the
 * training data answer with the belief at their cut, as a real model answers with its current guess.
 */
export interface TraceBelief {
  charEnd: number;
  answer: string;
  final: boolean;
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
  /** Planning paragraphs written before solving (each with a cue). */
  exploreRounds: number;
  /** Beliefs in order of `charEnd` (see `TraceBelief`). */
  beliefs: TraceBelief[];
  /** Char index in `thinking` from which every later cue's forced exit is correct (the settle point), or -1. */
  settlePos: number;
}

/** A generated assistant turn. */
export interface Trace {
  /** The text between `<think>\n` and `</think>`. */
  thinking: string;
  /** The boxed answer (may be wrong when a slip was missed). */
  answer: string;
  /** What follows `</think>`: one of the answer formats (`ANSWER_FORMATS`), e.g. ` Final Answer: \boxed{7}`. */
  answerText: string;
  /** The full assistant turn: `<think>\n{thinking}</think>{answerText}`. */
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
   * Verification rounds stop once question + thinking have this many qwen2 pre-tokenizer pieces
   * (a tokenizer-independent stand-in for tokens: a piece is ≥ 1 token), so traces fit the context.
   */
  maxPieces: number;
  /**
   * The thinking's length target in pieces, uniform in [min, max] and drawn independently of the
   * problem: verification rounds go on until it is reached, so a trace's length says nothing about
   * where its answer settles (short solutions re-check more, long ones less).
   */
  minThinkPieces: number;
  maxThinkPieces: number;
  /** Chances of 0, 1, 2, … planning paragraphs ("Hmm, let me reread the question …") before solving. */
  exploreWeights: readonly number[];
  /** Chance that a paragraph starts after a single newline instead of a blank line. */
  singleNewlineRate: number;
  /** Chance that a cue word at the start of a paragraph or sentence is written in lower case. */
  lowerCueRate: number;
}

/**
 * Default rates: 4–7 cues per trace; where the answer settles varies from the first cue (short
 * solutions without planning) to near the end (planning, long solutions, slips caught late).
 */
export const DEFAULT_TRACE_OPTIONS: Readonly<TraceOptions> = Object.freeze({
  slipRate: 0.1,
  catchRate: 0.6,
  lateCatchRate: 0.6,
  checkRate: 0.25,
  minVerify: 1,
  maxVerify: 8,
  altRate: 0.35,
  maxPieces: 400,
  minThinkPieces: 220,
  maxThinkPieces: 300,
  exploreWeights: Object.freeze([0.6, 0.2, 0.1, 0.06, 0.04]),
  singleNewlineRate: 0.3,
  lowerCueRate: 0.15,
});
