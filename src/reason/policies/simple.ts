/**
 * The anchors without a learned or probed signal: vanilla (never exit), a fixed thinking budget
 * (s1-style cut-off) and NoThinking (prefilled empty thinking).
 */
import { z } from 'zod';
import { NO_THINKING_CLOSE, NO_THINKING_TEXT, opensThinking, THINK_OPEN } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { exitDecision, exitFields, RUN_EXIT } from './exitOptions.ts';
import { parsePolicyOptions } from './policyOptions.ts';
import { type RelativeTo, resolveTokens, tokenCount } from './tokenCount.ts';

/** Vanilla takes no options. */
export const VANILLA_OPTIONS = z.object({}).strict();

/** Never exits: thinking runs until `</think>`, EOS or the token limit. */
export function vanillaPolicy(): ExitPolicy {
  return { name: 'vanilla' };
}

/** Options of the fixed thinking budget. */
export const FIXED_BUDGET_OPTIONS = z
  .object({
    budget: tokenCount(1).describe(
      'thinking tokens before the forced exit (N%: share of the reference thinking)',
    ),
    ...exitFields({ cue: RUN_EXIT, modes: ['forced', 'free'], answer: 'forced' }),
  })
  .strict();

/** Options of `fixedBudgetPolicy` as a caller writes them. */
export type FixedBudgetOptions = z.input<typeof FIXED_BUDGET_OPTIONS> & RelativeTo;

/**
 * Stops thinking after `budget` thinking tokens (whatever the problem), then appends the exit cue
 * and decodes the answer — the fixed-budget anchor of s1's budget forcing. `budget: '50%'` is half
 * the reference thinking length (eval: vanilla's mean on the dev slice).
 */
export function fixedBudgetPolicy(opts: number | FixedBudgetOptions): ExitPolicy {
  const { reference, ...rest } = typeof opts === 'number' ? { budget: opts } : opts;
  const o = parsePolicyOptions('fixed-budget', FIXED_BUDGET_OPTIONS, rest);
  const budget = resolveTokens('fixed-budget', 'budget', o.budget, reference, 1);
  const exit = exitDecision(o, { reason: 'budget' });
  return {
    name: `fixed-budget(${budget})`,
    onToken: (ctx) => (ctx.thinkingTokens >= budget ? exit : CONTINUE),
    tokenCheckpoint: () => budget,
  };
}

/** Options of the position control. */
export const POSITION_OPTIONS = z
  .object({
    after: tokenCount(0).describe(
      'exit at the first cue after this many thinking tokens (N%: share of the reference thinking)',
    ),
    ...exitFields({ cue: RUN_EXIT, modes: ['forced', 'free'], answer: 'forced' }),
  })
  .strict();

/** Options of `positionPolicy` as a caller writes them. */
export type PositionOptions = z.input<typeof POSITION_OPTIONS> & RelativeTo;

/**
 * The position control: a model-blind rule that exits at the first cue once `after` thinking
 * tokens are decoded (cut before the cue, the exit cue, the answer — LYNX's exit without the
 * probe). It tells what position alone predicts; a method that reads the model must beat it.
 */
export function positionPolicy(opts: PositionOptions): ExitPolicy {
  const { reference, ...rest } = opts;
  const o = parsePolicyOptions('position', POSITION_OPTIONS, rest);
  const after = resolveTokens('position', 'after', o.after, reference, 0);
  const exit = exitDecision(o);
  return {
    name: `position(${after})`,
    onCue: (_ctx, cue) => (cue.position >= after ? exit : CONTINUE),
  };
}

/** Options of `noThinkingPolicy`. */
export const NO_THINKING_OPTIONS = z
  .object({
    text: z.string().default(NO_THINKING_TEXT).describe('the dummy thought prefilled in the thinking block'),
    close: z
      .string()
      .min(1)
      .default(NO_THINKING_CLOSE)
      .describe('what follows the dummy thought: the end of thinking the model answers after'),
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
  const { text, close } = parsePolicyOptions('no-thinking', NO_THINKING_OPTIONS, opts);
  return {
    name: 'no-thinking',
    prefill: (_engine, promptText) => `${opensThinking(promptText) ? '' : `${THINK_OPEN}\n`}${text}${close}`,
  };
}
