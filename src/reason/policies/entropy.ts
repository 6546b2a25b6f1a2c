/**
 * A path-deviation rule in the spirit of "Reasoning Path Deviation Monitoring" (arXiv 2603.14251,
 * peers.md §1.3). That paper has no public code and only its abstract was readable: overthinking
 * comes with frequent high-entropy transition tokens, a "path deviation index" is computed over
 * them and the trajectory is cut when the index signals deviation. Our exact, simple rule:
 *
 *   H_t   = entropy (nats) of the distribution thinking token t was drawn from;
 *   PDI_t = fraction of the last `window` thinking tokens with H > `tau`;
 *   exit at a cue iff at least `minThinking` thinking tokens were decoded, the window is full and
 *   PDI ≥ `rate` (then the loop cuts before the cue and forces the answer, as for LYNX).
 *
 * Defaults (tau 1.0 nats, window 128, rate 0.2, minThinking 256) are ours, not published; tune them
 * per model. The entropy bookkeeping is counted as probe-scoring time.
 */
import { z } from 'zod';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { parsePolicyOptions } from './policyOptions.ts';

/** Options of `entropyPolicy` (our defaults, not published: tune them per model). */
export const ENTROPY_OPTIONS = z
  .object({
    tau: z.number().min(0).default(1.0).describe('entropy (nats) above which a token counts as high-entropy'),
    window: z.int().positive().default(128).describe('thinking tokens the deviation rate is taken over'),
    rate: z
      .number()
      .gt(0)
      .max(1)
      .default(0.2)
      .describe('exit at a cue once this share of the window is high-entropy'),
    minThinking: z.int().min(0).default(256).describe('thinking tokens before the rule may exit'),
  })
  .strict();

/** Options of `entropyPolicy` as a caller writes them. */
export type EntropyOptions = z.input<typeof ENTROPY_OPTIONS>;

interface EntropyState {
  /** Entropies already folded into `high`. */
  seen: number;
  /** High-entropy flags of the last `window` tokens (ring) and their count. */
  ring: Uint8Array;
  high: number;
}

/** The path-deviation (entropy-rate) exit policy. */
export function entropyPolicy(opts: EntropyOptions = {}): ExitPolicy<EntropyState> {
  const { tau, window, rate, minThinking } = parsePolicyOptions('entropy', ENTROPY_OPTIONS, opts);
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
        return ready && pdi >= rate ? { action: 'exit' } : CONTINUE;
      }),
  };
}
