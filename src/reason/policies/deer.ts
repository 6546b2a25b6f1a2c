/**
 * DEER — Dynamic Early Exit in Reasoning (Yang et al., arXiv 2504.15895), as its `vllm-deer.py`
 * does it (docs/research/peers.md §1.1):
 * - thinking stops at each "Wait" (vLLM stop string: case-sensitive, excluded from the prefix) or,
 *   with `points: 'alternatively'`, at each "Alternatively";
 * - a trial answer is decoded after `\n**Final Answer**\n\boxed`, at most 20 tokens, stopping at
 *   the `}` that closes the box;
 * - confidence = mean max-token probability over the trial tokens from the second on (`avg1`;
 *   `avg2` geometric mean, `min`), exit if confidence > 0.95;
 * - at most 10 checks (`max_judge_steps`); later transition points are not checked;
 * - thinking budget = think_ratio (0.9) × the run's token limit; at a check within `budgetMargin`
 *   (50) tokens of it, or once it is reached, thinking ends too (reason 'budget');
 * - on exit `\n</think>\n\n` is appended and the final answer is decoded with the run's sampling
 *   up to the remaining token limit (the trial answer is not reused);
 * - on no exit the cue is restored ("Wait" re-appended) and thinking goes on.
 * Trial tokens are probe tokens. Differences from the official code: trials are greedy (the code's
 * comment says greedy, but its temperature line is commented out, so vLLM's default T=1 applies);
 * DEER's "answer forcing" after a final answer without EOS is not done.
 */
import { z } from 'zod';
import { DEER_EXIT_CUE, DEER_TRIAL_SUFFIX } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy, type PolicyDecision } from '../types.ts';
import { parsePolicyOptions } from './policyOptions.ts';

/** Options of `deerPolicy`; the defaults are DEER's `parse_args`. */
export const DEER_OPTIONS = z
  .object({
    threshold: z.number().gt(0).max(1).default(0.95).describe('exit when the trial confidence is above this'),
    maxChecks: z.int().min(0).default(10).describe('checks per run; later transition points are not checked'),
    trialMaxTokens: z.int().min(2).default(20).describe('tokens of each trial answer'),
    aggregate: z
      .enum(['avg1', 'avg2', 'min'])
      .default('avg1')
      .describe('trial-token probabilities to confidence: mean, geometric mean or min'),
    points: z.enum(['wait', 'alternatively']).default('wait').describe('the transition word checked'),
    thinkRatio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.9)
      .describe('thinking budget as a share of the token limit'),
    budgetMargin: z
      .int()
      .min(0)
      .default(50)
      .describe('a check this close to the thinking budget ends thinking'),
    caseSensitive: z.boolean().default(true).describe("only the capitalized word (DEER's stop string)"),
  })
  .strict();

/** How trial-token probabilities become one confidence. */
export type DeerAggregate = z.output<typeof DEER_OPTIONS>['aggregate'];

/** Options of `deerPolicy` as a caller writes them (every one optional). */
export type DeerOptions = z.input<typeof DEER_OPTIONS>;

/** DEER's confidence over trial-token logprobs, from the second token on (as `calculate_average_max_prob_from_logprobs`). */
export function deerConfidence(logprobs: readonly number[], aggregate: DeerAggregate = 'avg1'): number {
  const probs = logprobs.slice(1).map(Math.exp);
  if (probs.length === 0) return 0;
  if (aggregate === 'min') return Math.min(...probs);
  if (aggregate === 'avg2') {
    return Math.exp(probs.reduce((s, p) => s + Math.log(Math.max(p, 1e-10)), 0) / probs.length);
  }
  return probs.reduce((s, p) => s + p, 0) / probs.length;
}

interface DeerState {
  checks: number;
}

/** The DEER exit policy. */
export function deerPolicy(opts: DeerOptions = {}): ExitPolicy<DeerState> {
  const { threshold, maxChecks, trialMaxTokens, aggregate, thinkRatio, budgetMargin, caseSensitive, points } =
    parsePolicyOptions('deer', DEER_OPTIONS, opts);
  const word = points === 'alternatively' ? 'Alternatively' : 'Wait';
  const exitTo = (reason?: 'budget'): PolicyDecision => ({
    action: 'exit',
    exitCue: DEER_EXIT_CUE,
    answer: 'free',
    ...(reason ? { reason } : {}),
  });
  const budgetOf = (maxTokens: number) => Math.floor(maxTokens * thinkRatio);
  return {
    name: 'deer',
    defaults: { cues: { lexicon: [word.toLowerCase()] } },
    init: () => ({ checks: 0 }),
    onCue: async (ctx, cue, record, state) => {
      if (caseSensitive && cue.text !== word) return CONTINUE;
      if (state.checks >= maxChecks) return CONTINUE;
      state.checks++;
      const trial = await ctx.trial({
        suffix: DEER_TRIAL_SUFFIX,
        maxTokens: trialMaxTokens,
        stopOnClose: true,
      });
      const confidence = deerConfidence(trial.logprobs, aggregate);
      record.details = { confidence, check: state.checks, trial: trial.text };
      if (confidence > threshold) return exitTo();
      // DEER's own check: a trial this close to the thinking budget ends thinking as well.
      if (cue.position >= budgetOf(ctx.maxTokens) - budgetMargin) return exitTo('budget');
      return CONTINUE;
    },
    onToken: (ctx) => (ctx.thinkingTokens >= budgetOf(ctx.maxTokens) ? exitTo('budget') : CONTINUE),
    tokenCheckpoint: (ctx) => budgetOf(ctx.maxTokens),
  };
}
