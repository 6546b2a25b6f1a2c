/**
 * The oracle (an upper bound, needs the gold answer): at every cue run the forced exit LYNX would
 * run there (cut before the cue, the run's exit cue, greedy, the run's answer limit), grade it, and
 * exit at the earliest cue whose forced exit is correct, keeping that forced answer. Its look-ahead
 * forced exits are not charged (`counts.freeProbe`, trials with `charged: false`); the one it keeps
 * counts as the answer.
 */

import { z } from 'zod';
import { type AnswerKind, gradeAnswer } from '../../answers/grade.ts';
import { UserError } from '../../errors.ts';
import { CONTINUE, type ExitPolicy, type PolicyContext, type TraceCueEvent, type Trial } from '../types.ts';

/**
 * Decodes the forced exit LYNX would run at this cue (uncharged look-ahead), grades it and records
 * `{ correct, answer }` in the cue event; the oracle and the eval's cue-label pass share it.
 */
export async function gradeForcedExitAtCue(
  ctx: PolicyContext,
  record: TraceCueEvent,
  isCorrect: (answerText: string) => boolean,
): Promise<{ trial: Trial; correct: boolean }> {
  const trial = await ctx.trial({
    suffix: ctx.exitCue,
    maxTokens: ctx.answerMaxTokens,
    stopOnClose: ctx.answerStopOnClose,
    charged: false,
  });
  const correct = isCorrect(ctx.exitCue + trial.text);
  record.details = { correct, answer: trial.text };
  return { trial, correct };
}

/** Options a user sets on the oracle: none (the gold answer is supplied per problem by eval). */
export const ORACLE_OPTIONS = z.object({}).strict();

/** Options of `oraclePolicy`: a grader, or an answer kind and gold answer for `gradeAnswer`. */
export type OracleOptions =
  | { isCorrect: (answerText: string) => boolean }
  | { kind: AnswerKind; gold: string | number };

/** The oracle exit policy. */
export function oraclePolicy(opts: OracleOptions): ExitPolicy {
  let isCorrect: (text: string) => boolean;
  if ('isCorrect' in opts && typeof opts.isCorrect === 'function') isCorrect = opts.isCorrect;
  else if ('kind' in opts && opts.gold !== undefined)
    isCorrect = (text) => gradeAnswer(opts.kind, text, opts.gold);
  else throw new UserError('oracle policy needs the gold answer: give { kind, gold } or { isCorrect }.');
  return {
    name: 'oracle',
    onCue: async (ctx, _cue, record) => {
      const { trial, correct } = await gradeForcedExitAtCue(ctx, record, isCorrect);
      return correct ? { action: 'exit', reuse: trial } : CONTINUE;
    },
  };
}
