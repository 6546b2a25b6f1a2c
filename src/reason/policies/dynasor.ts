/**
 * Dynasor-CoT (Fu et al., arXiv 2412.20993; `dynasor/core/cot.py`, peers.md §1.2): every `chunk`
 * (64) thinking tokens, append `... Oh, I suddenly got the answer to the whole problem,
 * **Final Answer**\n\n\[ \boxed{`, sample ≤ 20 tokens at T 0.6, top-p 0.95, and take the text
 * before the first unmatched `}` as the probe answer (empty if the box never closes). Exit when the
 * last N (3, the "mid" effort) probe answers are all non-empty and equivalent and none of those probe
 * responses contains a hesitation word (wait, hold, but, okay, no, hmm — plain substrings, as in
 * the code). The latest probe answer is then the final answer (reused, not decoded again).
 * Every probe token is a probe token; each probe uses its own seed derived from the run's.
 * The probe text, the hesitation words and the answer mode are options (`probeSuffix`,
 * `uncertainWords`, `answer`: the probe answer kept as published, or one decoded after `exitCue`).
 */

import { z } from 'zod';
import { mathAnswersEquivalent } from '../../answers/mathEquivalence.ts';
import { textBeforeUnmatchedClose } from '../braces.ts';
import { DYNASOR_PROBE_SUFFIX } from '../cueTexts.ts';
import { DEFAULT_SAMPLE } from '../sampling.ts';
import { CONTINUE, type ExitPolicy, type Trial } from '../types.ts';
import { exitDecision, exitFields } from './exitOptions.ts';
import { parsePolicyOptions, wordList } from './policyOptions.ts';
import { type RelativeTo, resolveTokens, tokenCount } from './tokenCount.ts';

/** Dynasor's effort presets: [N (agreeing probes), chunk]. */
export const DYNASOR_EFFORT = {
  mild: [8, 64],
  low: [5, 64],
  mid: [3, 64],
  high: [2, 64],
  crazy: [2, 32],
} as const satisfies Record<string, readonly [number, number]>;

export const DYNASOR_UNCERTAIN_WORDS: readonly string[] = ['wait', 'hold', 'but', 'okay', 'no', 'hmm'];

/** Options of `dynasorPolicy` (defaults: the "mid" preset and cot.py's probe settings). */
export const DYNASOR_OPTIONS = z
  .object({
    effort: z
      .enum(Object.keys(DYNASOR_EFFORT) as [keyof typeof DYNASOR_EFFORT])
      .default('mid')
      .describe(`preset of agreeing probes and chunk size (${Object.keys(DYNASOR_EFFORT).join(', ')})`),
    window: z.int().positive().optional().describe("agreeing probes needed (overrides the preset's)"),
    chunk: tokenCount(1)
      .optional()
      .describe(
        "thinking tokens between probes (overrides the preset's; N%: share of the reference thinking)",
      ),
    probeSuffix: z
      .string()
      .min(1)
      .default(DYNASOR_PROBE_SUFFIX)
      .describe('text appended before a probe answer'),
    probeMaxTokens: z.int().positive().default(20).describe('tokens of each probe answer'),
    temperature: z.number().min(0).default(DEFAULT_SAMPLE.temperature).describe('probe sampling temperature'),
    topP: z.number().gt(0).max(1).default(DEFAULT_SAMPLE.topP).describe('probe nucleus mass'),
    uncertainWords: wordList
      .default([...DYNASOR_UNCERTAIN_WORDS])
      .describe('a probe containing one of these (a|b|c) is not certain'),
    ...exitFields({ cue: { from: 'the probe suffix' }, modes: ['trial', 'forced', 'free'], answer: 'trial' }),
  })
  .strict();

/** Options of `dynasorPolicy` as a caller writes them, plus the answer equivalence. */
export type DynasorOptions = z.input<typeof DYNASOR_OPTIONS> &
  RelativeTo & {
    /** Answer equivalence. Default: MATH-style equivalence (Dynasor's `math_equal`). */
    equivalent?: (a: string, b: string) => boolean;
  };

interface DynasorState {
  answers: string[];
  certain: boolean[];
  probes: number;
  last?: Trial;
}

/** The probe answer Dynasor reads from a probe response (the box was opened by the suffix). */
export function dynasorAnswer(response: string): string {
  return textBeforeUnmatchedClose(response).trim();
}

/**
 * Dynasor's stop rule (`should_early_exit` as used by cot.py): at least `window` probes, and the last
 * `window` answers are all non-empty, all equivalent to the first of them, and all certain.
 */
export function dynasorShouldExit(
  answers: readonly string[],
  certain: readonly boolean[],
  window: number,
  equivalent: (a: string, b: string) => boolean,
): boolean {
  if (answers.length < window) return false;
  const recent = answers.slice(-window);
  return (
    certain.slice(-window).every(Boolean) &&
    recent.every((a) => a.length > 0) &&
    recent.every((a) => equivalent(a, recent[0]))
  );
}

/** Seed of probe `i` of a run seeded `seed`: distinct per probe, independent of the thinking stream. */
function probeSeed(seed: number, i: number): number {
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  return (x ^ (x >>> 12)) >>> 0;
}

/** The Dynasor-CoT exit policy. */
export function dynasorPolicy(opts: DynasorOptions = {}): ExitPolicy<DynasorState> {
  const { equivalent: equiv, reference, ...rest } = opts;
  const o = parsePolicyOptions('dynasor', DYNASOR_OPTIONS, rest);
  const [presetN, presetChunk] = DYNASOR_EFFORT[o.effort];
  const window = o.window ?? presetN;
  const chunk = resolveTokens('dynasor', 'chunk', o.chunk ?? presetChunk, reference, 1);
  const exit = { ...o, exitCue: o.exitCue ?? o.probeSuffix };
  const words = o.uncertainWords.map((w) => w.toLowerCase());
  const equivalent = equiv ?? ((a: string, b: string) => a === b || mathAnswersEquivalent(a, b));
  return {
    name: 'dynasor',
    init: () => ({ answers: [], certain: [], probes: 0 }),
    tokenCheckpoint: (ctx) => (Math.floor(ctx.thinkingTokens / chunk) + 1) * chunk,
    onToken: async (ctx, state) => {
      if (ctx.thinkingTokens % chunk !== 0) return CONTINUE;
      const seed = probeSeed(ctx.sample.seed ?? 0, state.probes++);
      const trial = await ctx.trial({
        suffix: o.probeSuffix,
        maxTokens: o.probeMaxTokens,
        sample: {
          temperature: o.temperature,
          topP: o.topP,
          seed,
        },
      });
      const lower = trial.text.toLowerCase();
      state.answers.push(dynasorAnswer(trial.text));
      state.certain.push(!words.some((w) => lower.includes(w)));
      state.last = trial;
      return dynasorShouldExit(state.answers, state.certain, window, equivalent)
        ? exitDecision(exit, { reason: 'probe-exit', trial })
        : CONTINUE;
    },
  };
}
