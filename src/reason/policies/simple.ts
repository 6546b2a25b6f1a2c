/**
 * The anchors without a learned or probed signal: vanilla (never exit), a fixed thinking budget
 * (s1-style cut-off) and NoThinking (prefilled empty thinking).
 */
import { UserError } from '../../errors.ts';
import { NO_THINKING_TEXT, opensThinking, THINK_CLOSE, THINK_OPEN } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy } from '../types.ts';

/** Never exits: thinking runs until `</think>`, EOS or the token limit. */
export function vanillaPolicy(): ExitPolicy {
  return { name: 'vanilla' };
}

/**
 * Stops thinking after `budget` thinking tokens (whatever the problem), then appends the run's exit
 * cue and decodes the forced answer — the fixed-budget anchor of s1's budget forcing.
 */
export function fixedBudgetPolicy(budget: number): ExitPolicy {
  if (!Number.isSafeInteger(budget) || budget < 1) {
    throw new UserError(`fixedBudget: budget must be a positive integer, got ${String(budget)}.`);
  }
  return {
    name: `fixed-budget(${budget})`,
    onToken: (ctx) => (ctx.thinkingTokens >= budget ? { action: 'exit', reason: 'budget' } : CONTINUE),
  };
}

/** Options of `noThinkingPolicy`. */
export interface NoThinkingOptions {
  /** The dummy thought. Default NoThinking's "Okay, I think I have finished thinking." */
  text?: string;
}

/**
 * NoThinking (Ma et al., arXiv 2504.09858): prefill the thinking block with a dummy thought and
 * close it, then let the model answer as usual (sampled, up to the run's token limit). Opens the
 * block with `<think>` first when the prompt does not already end inside one.
 */
export function noThinkingPolicy(opts: NoThinkingOptions = {}): ExitPolicy {
  const thought = opts.text ?? NO_THINKING_TEXT;
  return {
    name: 'no-thinking',
    prefill: (_engine, promptText) =>
      `${opensThinking(promptText) ? '' : `${THINK_OPEN}\n`}${thought}\n${THINK_CLOSE}\n\n`,
  };
}
