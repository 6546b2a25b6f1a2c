/**
 * The anchors without a learned or probed signal: vanilla (never exit), a fixed thinking budget
 * (s1-style cut-off) and NoThinking (prefilled empty thinking).
 */
import { z } from 'zod';
import { NO_THINKING_TEXT, opensThinking, THINK_CLOSE, THINK_OPEN } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { parsePolicyOptions } from './policyOptions.ts';

/** Vanilla takes no options. */
export const VANILLA_OPTIONS = z.object({}).strict();

/** Never exits: thinking runs until `</think>`, EOS or the token limit. */
export function vanillaPolicy(): ExitPolicy {
  return { name: 'vanilla' };
}

/** Options of the fixed thinking budget. */
export const FIXED_BUDGET_OPTIONS = z
  .object({ budget: z.int().positive().describe('thinking tokens before the forced exit') })
  .strict();

/**
 * Stops thinking after `budget` thinking tokens (whatever the problem), then appends the run's exit
 * cue and decodes the forced answer — the fixed-budget anchor of s1's budget forcing.
 */
export function fixedBudgetPolicy(budget: number): ExitPolicy {
  parsePolicyOptions('fixed-budget', FIXED_BUDGET_OPTIONS, { budget });
  return {
    name: `fixed-budget(${budget})`,
    onToken: (ctx) => (ctx.thinkingTokens >= budget ? { action: 'exit', reason: 'budget' } : CONTINUE),
    tokenCheckpoint: () => budget,
  };
}

/** Options of the position control. */
export const POSITION_OPTIONS = z
  .object({
    after: z.int().min(0).describe('exit at the first cue after this many thinking tokens'),
  })
  .strict();

/**
 * The position control: a model-blind rule that exits at the first cue once `after` thinking
 * tokens are decoded (cut before the cue, the run's exit cue, forced answer — LYNX's exit without
 * the probe). It tells what position alone predicts; a method that reads the model must beat it.
 */
export function positionPolicy(opts: z.input<typeof POSITION_OPTIONS>): ExitPolicy {
  const { after } = parsePolicyOptions('position', POSITION_OPTIONS, opts);
  return {
    name: `position(${after})`,
    onCue: (_ctx, cue) => (cue.position >= after ? { action: 'exit' } : CONTINUE),
  };
}

/** Options of `noThinkingPolicy`. */
export const NO_THINKING_OPTIONS = z
  .object({
    text: z.string().default(NO_THINKING_TEXT).describe('the dummy thought prefilled before </think>'),
  })
  .strict();

/** Options of `noThinkingPolicy` as a caller writes them. */
export type NoThinkingOptions = z.input<typeof NO_THINKING_OPTIONS>;

/**
 * NoThinking (Ma et al., arXiv 2504.09858): prefill the thinking block with a dummy thought and
 * close it, then let the model answer as usual (sampled, up to the run's token limit). Opens the
 * block with `<think>` first when the prompt does not already end inside one.
 */
export function noThinkingPolicy(opts: NoThinkingOptions = {}): ExitPolicy {
  const thought = parsePolicyOptions('no-thinking', NO_THINKING_OPTIONS, opts).text;
  return {
    name: 'no-thinking',
    prefill: (_engine, promptText) =>
      `${opensThinking(promptText) ? '' : `${THINK_OPEN}\n`}${thought}\n${THINK_CLOSE}\n\n`,
  };
}
