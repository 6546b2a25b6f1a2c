/**
 * The options every policy that force-exits shares, defined once: the text appended to end
 * thinking (`exitCue`) and how the answer after it is decoded (`answer`).
 */
import { z } from 'zod';
import type { ExitDecision, ExitReason, Trial } from '../types.ts';

/** How the answer after an exit is decoded (`trial`: the method's last trial/probe answer is kept). */
export type AnswerMode = 'forced' | 'free' | 'trial';

const ANSWER_HELP: Record<AnswerMode, string> = {
  forced: "forced: greedy, at most --exit-max-tokens (LYNX's forced exit)",
  free: "free: the run's sampling until EOS or --max-tokens (DEER's final answer)",
  trial: 'trial: the trial/probe answer that decided the exit is the answer',
};

/** Where a control's exit cue comes from when it is not given: the run's (LYNX's forced exit). */
export const RUN_EXIT = {
  from: "the run's: the bundle's in eval, else LYNX's </think> Final Answer: \\boxed{",
} as const;

/**
 * The `exitCue` and `answer` fields of a policy schema. `cue` is the default exit cue, or a
 * description of where it comes from when it is not fixed (the bundle's, the run's).
 */
export function exitFields<const M extends readonly [AnswerMode, ...AnswerMode[]]>(o: {
  cue: { text: string } | { from: string };
  modes: M;
  answer: M[number];
}) {
  const cueHelp = 'text appended to end thinking before the answer';
  return {
    exitCue:
      'text' in o.cue
        ? z.string().min(1).default(o.cue.text).describe(cueHelp)
        : z.string().min(1).optional().describe(`${cueHelp} (default: ${o.cue.from})`),
    answer: z
      .enum(o.modes)
      .default(o.answer as never)
      .describe(`how the answer is decoded; ${o.modes.map((m) => ANSWER_HELP[m]).join('; ')}`),
  };
}

/** The exit a policy's `exitCue`/`answer` options ask for (`trial` keeps `trial` as the answer). */
export function exitDecision(
  o: { exitCue?: string; answer: AnswerMode },
  extra: { reason?: ExitReason; trial?: Trial } = {},
): ExitDecision {
  if (o.answer === 'trial' && extra.trial)
    return { action: 'exit', reuse: extra.trial, ...(extra.reason ? { reason: extra.reason } : {}) };
  return {
    action: 'exit',
    answer: o.answer === 'free' ? 'free' : 'forced',
    ...(o.exitCue !== undefined ? { exitCue: o.exitCue } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
}
