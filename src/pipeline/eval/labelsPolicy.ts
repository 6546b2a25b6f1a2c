/**
 * The cue-label pass: a rollout that never exits and, at every cue, runs the forced exit LYNX would
 * run there (cut before the cue, exit cue, greedy answer), grades it and records the label in the
 * cue event (`details.correct`). Its look-ahead is not charged. Methods sample the same prefix, so
 * these labels say, for each cue a method met, whether exiting there would have been right — what
 * the premature-exit rate needs.
 */
import type { AnswerKind } from '../../answers/grade.ts';
import { gradeAnswer } from '../../answers/grade.ts';
import { gradeForcedExitAtCue } from '../../reason/policies/oracle.ts';
import { CONTINUE, type ExitPolicy, type PolicyDefaults } from '../../reason/types.ts';

/** A never-exiting policy that labels every cue by a graded forced exit. */
export function cueLabelPolicy(kind: AnswerKind, gold: string, defaults?: PolicyDefaults): ExitPolicy {
  return {
    name: 'labels',
    ...(defaults ? { defaults } : {}),
    onCue: async (ctx, _cue, record) => {
      await gradeForcedExitAtCue(ctx, record, (text) => gradeAnswer(kind, text, gold));
      return CONTINUE;
    },
  };
}
