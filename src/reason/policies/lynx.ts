/**
 * LYNX (Akgül et al., arXiv 2512.05325): at each cue read the hidden states the bundle was trained
 * on, score them with its probe and exit iff the conformal prediction set is exactly {1}
 * (docs/research/lynx_spec.md §5.2, §6). The first cue that passes decides; the exit itself (cut
 * before the cue token, exit cue, greedy answer ≤ 64 tokens) is the loop's.
 */
import { z } from 'zod';
import { DEFAULT_DELTA, DEFAULT_EPSILON, type RiskLevel, riskLevel } from '../../conformal/riskLevel.ts';
import type { CueMatchMode } from '../../cues/lexicon.ts';
import { CONTINUE, type ExitPolicy } from '../types.ts';
import { exitDecision, exitFields } from './exitOptions.ts';
import { parsePolicyOptions } from './policyOptions.ts';

/** The risk level of a LYNX policy (the one `RiskLevel`). */
export type LynxLevel = RiskLevel;

/** A bundle's decision at one cue: the set (δ mode) or the threshold λ (α mode). */
export interface LynxDecision {
  p: number;
  exit: boolean;
  set?: Iterable<number>;
  lambda?: number;
}

/** What the policy needs from a loaded bundle (`src/bundle/Bundle.ts` satisfies it). */
export interface LynxBundleLike {
  readonly data: {
    readonly features: { readonly layers: readonly number[] };
    readonly exitCue?: string;
    readonly cues?: { readonly lexicon: readonly string[]; readonly mode: string };
  };
  decide(features: Float32Array, level: LynxLevel): LynxDecision;
}

/** Concatenates per-layer states in order (LYNX's `np.concatenate(..., axis=1)`). */
export function concatFeatures(states: readonly Float32Array[]): Float32Array {
  let n = 0;
  for (const s of states) n += s.length;
  const out = new Float32Array(n);
  let at = 0;
  for (const s of states) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

const level = z.number().gt(0).lt(1);

/**
 * The risk-level options of LYNX (the CLI's --delta/--alpha/--epsilon, eval's `lynx:delta=0.1`, the
 * server's `lynx` field): exactly one of δ and α, which `riskLevel` checks across fields.
 */
export const LYNX_OPTIONS = z
  .object({
    delta: level.optional().describe(`per-cue risk level δ (default: ${DEFAULT_DELTA})`),
    alpha: level.optional().describe('per-trajectory risk level α instead of δ'),
    epsilon: level
      .optional()
      .describe(`with alpha: confidence 1−ε of the α guarantee (default: ${DEFAULT_EPSILON})`),
  })
  .strict();

/**
 * Every serializable option of the LYNX policy: the risk level, and the exit (eval's method specs).
 * The exit cue should stay the bundle's: its probe was trained on forced exits after that text.
 */
export const LYNX_POLICY_OPTIONS = LYNX_OPTIONS.extend({
  ...exitFields({
    cue: { from: "the bundle's, the one its probe labels were made with" },
    modes: ['forced', 'free'],
    answer: 'forced',
  }),
}).strict();

/** Options of `lynxPolicy`: the bundle, exactly one of δ (per-event) or α (per-trajectory, with ε), the exit. */
export type LynxOptions = z.input<typeof LYNX_POLICY_OPTIONS> & { bundle: LynxBundleLike };

/** The LYNX exit policy. Its exit cue and cue lexicon default to the bundle's. */
export function lynxPolicy(opts: LynxOptions): ExitPolicy {
  const { bundle, ...rest } = opts;
  const { exitCue, answer, ...levelOptions } = parsePolicyOptions('lynx', LYNX_POLICY_OPTIONS, rest);
  const level = riskLevel(levelOptions, { what: 'lynx policy' });
  const exit = exitDecision({ exitCue, answer });
  const layers = [...bundle.data.features.layers];
  const cues = bundle.data.cues;
  return {
    name: 'lynx',
    defaults: {
      exitCue: bundle.data.exitCue,
      // The detector validates the mode (a bad one in a bundle file is a UserError there).
      cues: cues ? { lexicon: [...cues.lexicon], mode: cues.mode as CueMatchMode } : undefined,
    },
    onCue: async (ctx, _cue, record) => {
      const states = await ctx.hidden(layers);
      const decision = ctx.score(() => bundle.decide(concatFeatures(states), level));
      record.p = decision.p;
      if (decision.set) record.set = [...decision.set];
      if (decision.lambda !== undefined) record.details = { lambda: decision.lambda };
      return decision.exit ? exit : CONTINUE;
    },
  };
}
