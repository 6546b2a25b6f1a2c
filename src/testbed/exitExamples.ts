/**
 * Training rows that teach the testbed model to answer where early-exit methods cut its thinking,
 * in each method's published format: LYNX's forced exit, DEER's trial answer and its `</think>`
 * exit, Dynasor-CoT's probe, and NoThinking's prefill. The thinking is cut at a cue or anywhere (Dynasor
 * probes every k tokens), the method's text is appended, and the model answers with what the trace
 * believed at the cut: the stated result once there is one, else the running intermediate result
 * or a guess near it, so an exit before the answer settles gives the model's current, often wrong,
 * belief. The appended text carries no loss: the model learns to answer after it, not to write it.
 */

import type { SeededRandom } from '../random/SeededRandom.ts';
import {
  DEER_EXIT_CUE,
  DEER_TRIAL_SUFFIX,
  DYNASOR_PROBE_SUFFIX,
  LYNX_EXIT_CUE,
  NO_THINKING_CLOSE,
  NO_THINKING_TEXT,
} from '../reason/cueTexts.ts';
import { ANSWER_FORMATS } from './chatFormat.ts';
import { weighted } from './traces/generateTrace.ts';
import { logicOf } from './traces/problems.ts';
import type { Problem, Trace } from './traces/types.ts';

/** A piece of a training row's completion, tokenized on its own, with or without loss. */
export interface CompletionSegment {
  text: string;
  loss: boolean;
}

/** The formats an exit example is written in. */
export const EXIT_FORMATS = ['lynx', 'deer-trial', 'deer-exit', 'dynasor'] as const;
export type ExitFormat = (typeof EXIT_FORMATS)[number];

/** Shares of the formats, in `EXIT_FORMATS` order. */
const FORMAT_SHARES = [0.35, 0.2, 0.2, 0.25];
/** Share of exit examples cut right after a cue (the rest are cut at a random word boundary). */
const CUT_AT_CUE = 0.6;
/** Chance that an exit before the answer is stated answers with a guess instead of the running result. */
const UNSETTLED_GUESS = 0.4;
/** Chance that a NoThinking answer is the gold one (the rest are guesses near it). */
const NO_THINKING_RIGHT = 0.3;
const END = '<|im_end|>';

/** The "blank line, then the answer" formats, without their blank line: what follows `</think>\n\n`. */
const AFTER_BLANK_LINE = ANSWER_FORMATS.filter((f) => f.render('x').startsWith('\n\n'));
const BLANK_LINE_SHARES = AFTER_BLANK_LINE.map((f) => f.share);

/** An answer after `</think>\n\n`, in one of the blank-line formats, ending the turn. */
function answerAfterBlankLine(answer: string, rng: SeededRandom): string {
  const format = AFTER_BLANK_LINE[weighted(rng, BLANK_LINE_SHARES)];
  return format.render(answer).slice(2) + END;
}

/** The character offset of a cut: right after a random cue, or before a random space. */
function cutPoint(trace: Trace, rng: SeededRandom): number {
  const cues = trace.meta.cues;
  if (cues.length > 0 && rng.next() < CUT_AT_CUE) return rng.pick(cues).charEnd;
  const text = trace.thinking;
  const spaces: number[] = [];
  for (let i = 1; i < text.length; i++) if (text[i] === ' ') spaces.push(i);
  return spaces.length ? rng.pick(spaces) : text.length;
}

/** What a forced or trial exit at `cut` answers (see the file comment). */
export function beliefAt(problem: Problem, trace: Trace, cut: number, rng: SeededRandom): string {
  let belief: { answer: string; final: boolean } | null = null;
  for (const b of trace.meta.beliefs) if (b.charEnd <= cut) belief = b;
  const logic = logicOf(problem.family);
  if (belief === null) return logic.otherAnswer(problem, null, rng);
  if (!belief.final && rng.next() < UNSETTLED_GUESS) return logic.otherAnswer(problem, belief.answer, rng);
  return belief.answer;
}

/** The completion of an exit example made from `trace`, in `format` (random when not given). */
export function exitExample(
  problem: Problem,
  trace: Trace,
  rng: SeededRandom,
  format: ExitFormat = EXIT_FORMATS[weighted(rng, FORMAT_SHARES)],
): CompletionSegment[] {
  const cut = cutPoint(trace, rng);
  const prefix = trace.thinking.slice(0, cut);
  const x = beliefAt(problem, trace, cut, rng);
  const [suffix, answer] =
    format === 'lynx'
      ? [LYNX_EXIT_CUE, `${x}}${END}`]
      : format === 'deer-trial'
        ? [DEER_TRIAL_SUFFIX, `{${x}}`]
        : format === 'dynasor'
          ? [DYNASOR_PROBE_SUFFIX, `${x}}`]
          : [DEER_EXIT_CUE, answerAfterBlankLine(x, rng)];
  return [
    { text: prefix, loss: true },
    { text: suffix, loss: false },
    { text: answer, loss: true },
  ];
}

/** The completion of a NoThinking example: the prefilled thought, then an answer (often a wrong guess). */
export function noThinkingExample(problem: Problem, rng: SeededRandom): CompletionSegment[] {
  const x =
    rng.next() < NO_THINKING_RIGHT
      ? problem.gold
      : logicOf(problem.family).otherAnswer(problem, problem.gold, rng);
  return [
    { text: `${NO_THINKING_TEXT}${NO_THINKING_CLOSE}`, loss: false },
    { text: answerAfterBlankLine(x, rng), loss: true },
  ];
}
