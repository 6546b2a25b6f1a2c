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
 * Every text and word above is an option (`trialSuffix`, `exitCue`, `triggers`), as is the answer
 * mode (`answer`: free as published, forced, or the trial answer kept); the defaults are DEER's.
 */
import { z } from 'zod';
import { DEER_EXIT_CUE, DEER_TRIAL_SUFFIX } from '../cueTexts.ts';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { exitDecision, exitFields } from './exitOptions.ts';
import { parsePolicyOptions, wordList } from './policyOptions.ts';

/** DEER's transition word for each `--points` setting. */
const POINT_WORDS = { wait: 'Wait', alternatively: 'Alternatively' } as const;

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
    points: z
      .enum(['wait', 'alternatively'])
      .default('wait')
      .describe('the transition word checked: Wait, or Alternatively (--points 0)'),
    triggers: wordList
      .optional()
      .describe('transition words checked, a|b|c (default: the points word); e.g. Wait|wait|Hmm'),
    trialSuffix: z.string().min(1).default(DEER_TRIAL_SUFFIX).describe('text appended before a trial answer'),
    ...exitFields({ cue: { text: DEER_EXIT_CUE }, modes: ['free', 'forced', 'trial'], answer: 'free' }),
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
    caseSensitive: z
      .boolean()
      .default(true)
      .describe("match the trigger words' case exactly (DEER's vLLM stop strings)"),
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
  const o = parsePolicyOptions('deer', DEER_OPTIONS, opts);
  const { threshold, maxChecks, trialMaxTokens, aggregate, thinkRatio, budgetMargin, caseSensitive } = o;
  const triggers = o.triggers ?? [POINT_WORDS[o.points]];
  const lexicon = [...new Set(triggers.map((w) => w.toLowerCase()))];
  const isTrigger = (text: string) =>
    caseSensitive ? triggers.includes(text) : lexicon.includes(text.toLowerCase());
  const budgetOf = (maxTokens: number) => Math.floor(maxTokens * thinkRatio);
  const budgetExit = exitDecision(
    { ...o, answer: o.answer === 'trial' ? 'free' : o.answer },
    { reason: 'budget' },
  );
  return {
    name: 'deer',
    defaults: { cues: { lexicon } },
    init: () => ({ checks: 0 }),
    onCue: async (ctx, cue, record, state) => {
      if (!isTrigger(cue.text)) return CONTINUE;
      if (state.checks >= maxChecks) return CONTINUE;
      state.checks++;
      const trial = await ctx.trial({
        suffix: o.trialSuffix,
        maxTokens: trialMaxTokens,
        stopOnClose: true,
      });
      const confidence = deerConfidence(trial.logprobs, aggregate);
      record.details = { confidence, check: state.checks, trial: trial.text };
      if (confidence > threshold) return exitDecision(o, { trial });
      // DEER's own check: a trial this close to the thinking budget ends thinking as well.
      if (cue.position >= budgetOf(ctx.maxTokens) - budgetMargin) return budgetExit;
      return CONTINUE;
    },
    onToken: (ctx) => (ctx.thinkingTokens >= budgetOf(ctx.maxTokens) ? budgetExit : CONTINUE),
    tokenCheckpoint: (ctx) => budgetOf(ctx.maxTokens),
  };
}
