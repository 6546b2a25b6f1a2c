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
import { UserError } from '../../errors.ts';
import { DEER_EXIT_CUE, DEER_TRIAL_SUFFIX } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy, type PolicyDecision } from '../types.ts';

/** How trial-token probabilities become one confidence. */
export type DeerAggregate = 'avg1' | 'avg2' | 'min';

/** Options of `deerPolicy` (defaults: DEER's `parse_args`). */
export interface DeerOptions {
  threshold?: number;
  maxChecks?: number;
  trialMaxTokens?: number;
  aggregate?: DeerAggregate;
  points?: 'wait' | 'alternatively';
  thinkRatio?: number;
  /** A check this close to the thinking budget ends thinking (DEER: 50, sized for 16k budgets). */
  budgetMargin?: number;
  /** Only the capitalized "Wait" / "Alternatively" (DEER's stop string). Default true. */
  caseSensitive?: boolean;
}

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
  const threshold = opts.threshold ?? 0.95;
  const maxChecks = opts.maxChecks ?? 10;
  const trialMaxTokens = opts.trialMaxTokens ?? 20;
  const aggregate = opts.aggregate ?? 'avg1';
  const thinkRatio = opts.thinkRatio ?? 0.9;
  const budgetMargin = opts.budgetMargin ?? 50;
  const word = opts.points === 'alternatively' ? 'Alternatively' : 'Wait';
  const caseSensitive = opts.caseSensitive ?? true;
  if (!(threshold > 0 && threshold <= 1))
    throw new UserError(`deer: threshold must be in (0, 1], got ${threshold}.`);
  if (!(thinkRatio > 0 && thinkRatio <= 1))
    throw new UserError(`deer: thinkRatio must be in (0, 1], got ${thinkRatio}.`);
  if (!Number.isSafeInteger(maxChecks) || maxChecks < 0) throw new UserError(`deer: maxChecks must be >= 0.`);
  if (!Number.isSafeInteger(trialMaxTokens) || trialMaxTokens < 2)
    throw new UserError(`deer: trialMaxTokens must be >= 2.`);
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
  };
}
