/**
 * A path-deviation rule in the spirit of "Reasoning Path Deviation Monitoring" (arXiv 2603.14251,
 * peers.md §1.3). That paper has no public code and only its abstract was readable: overthinking
 * comes with frequent high-entropy transition tokens, a "path deviation index" is computed over
 * them and the trajectory is cut when the index signals deviation. Our exact, simple rule:
 *
 *   H_t   = entropy (nats) of the distribution thinking token t was drawn from;
 *   PDI_t = fraction of the last `window` thinking tokens with H > `tau`;
 *   exit at a cue iff at least `minThinking` thinking tokens were decoded, the window is full and
 *   PDI ≥ `rate` (direction `above`: the path deviates) or PDI ≤ `rate` (direction `below`: the
 *   model has settled); then the loop cuts before the cue and forces the answer, as for LYNX.
 *
 * Defaults (tau 1.0 nats, rate 0.2, window and minThinking 25% of the reference thinking length)
 * are ours, not published: sized relative to the trace, so the rule can fire on short traces and
 * long ones alike. The entropy bookkeeping is counted as probe-scoring time.
 */
import { z } from 'zod';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { exitDecision, exitFields, RUN_EXIT } from './exitOptions.ts';
import { parsePolicyOptions } from './policyOptions.ts';
import { type RelativeTo, resolveTokens, tokenCount } from './tokenCount.ts';

/** Options of `entropyPolicy` (our defaults, not published: tune them per model). */
export const ENTROPY_OPTIONS = z
  .object({
    tau: z.number().min(0).default(1.0).describe('entropy (nats) above which a token counts as high-entropy'),
    window: tokenCount(1)
      .default('25%')
      .describe('thinking tokens the high-entropy share is taken over (N%: share of the reference thinking)'),
    rate: z.number().min(0).max(1).default(0.2).describe('the high-entropy share at which the rule exits'),
    direction: z
      .enum(['above', 'below'])
      .default('above')
      .describe('exit once the share is ≥ rate (above: the path deviates) or ≤ rate (below: it has settled)'),
    minThinking: tokenCount(0)
      .default('25%')
      .describe('thinking tokens before the rule may exit (N%: share of the reference thinking)'),
    ...exitFields({ cue: RUN_EXIT, modes: ['forced', 'free'], answer: 'forced' }),
  })
  .strict();

/** Options of `entropyPolicy` as a caller writes them (`reference` sizes the `N%` values). */
export type EntropyOptions = z.input<typeof ENTROPY_OPTIONS> & RelativeTo;

interface EntropyState {
  /** Entropies already folded into `high`. */
  seen: number;
  /** High-entropy flags of the last `window` tokens (ring) and their count. */
  ring: Uint8Array;
  high: number;
}

/** The path-deviation (entropy-rate) exit policy. */
export function entropyPolicy(opts: EntropyOptions = {}): ExitPolicy<EntropyState> {
  const { reference, ...rest } = opts;
  const o = parsePolicyOptions('entropy', ENTROPY_OPTIONS, rest);
  const window = resolveTokens('entropy', 'window', o.window, reference, 1);
  const minThinking = resolveTokens('entropy', 'minThinking', o.minThinking, reference, 0);
  const { tau, rate } = o;
  const fires = o.direction === 'above' ? (pdi: number) => pdi >= rate : (pdi: number) => pdi <= rate;
  const exit = exitDecision(o);
  return {
    name: 'entropy',
    needsEntropy: true,
    init: () => ({ seen: 0, ring: new Uint8Array(window), high: 0 }),
    onCue: (ctx, _cue, record, state) =>
      ctx.score(() => {
        const hs = ctx.entropies;
        for (; state.seen < hs.length; state.seen++) {
          const slot = state.seen % window;
          state.high += (hs[state.seen] > tau ? 1 : 0) - state.ring[slot];
          state.ring[slot] = hs[state.seen] > tau ? 1 : 0;
        }
        const pdi = state.high / Math.min(window, Math.max(1, hs.length));
        record.details = { pdi, entropy: hs[hs.length - 1] ?? Number.NaN };
        const ready = ctx.thinkingTokens >= minThinking && hs.length >= window;
        return ready && fires(pdi) ? exit : CONTINUE;
      }),
  };
}
