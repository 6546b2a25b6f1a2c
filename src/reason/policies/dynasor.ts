/**
 * Dynasor-CoT (Fu et al., arXiv 2412.20993; `dynasor/core/cot.py`, peers.md §1.2): every `chunk`
 * (64) thinking tokens, append `... Oh, I suddenly got the answer to the whole problem,
 * **Final Answer**\n\n\[ \boxed{`, sample ≤ 20 tokens at T 0.6, top-p 0.95, and take the text
 * before the first unmatched `}` as the probe answer (empty if the box never closes). Exit when the
 * last N (3, the "mid" effort) probe answers are all non-empty and equivalent and none of those probe
 * responses contains a hesitation word (wait, hold, but, okay, no, hmm — plain substrings, as in
 * the code). The latest probe answer is then the final answer (reused, not decoded again).
 * Every probe token is a probe token; each probe uses its own seed derived from the run's.
 */
import { mathAnswersEquivalent } from '../../answers/mathEquivalence.ts';
import { UserError } from '../../errors.ts';
import { textBeforeUnmatchedClose } from '../braces.ts';
import { DYNASOR_PROBE_SUFFIX } from '../cueTexts.ts';
import { DEFAULT_SAMPLE } from '../sampling.ts';
import { CONTINUE, type ExitPolicy, type Trial } from '../types.ts';

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
export interface DynasorOptions {
  effort?: keyof typeof DYNASOR_EFFORT;
  /** Overrides the preset's N. */
  window?: number;
  /** Overrides the preset's chunk size. */
  chunk?: number;
  probeMaxTokens?: number;
  temperature?: number;
  topP?: number;
  uncertainWords?: readonly string[];
  /** Answer equivalence. Default: MATH-style equivalence (Dynasor's `math_equal`). */
  equivalent?: (a: string, b: string) => boolean;
}

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
  const [presetN, presetChunk] = DYNASOR_EFFORT[opts.effort ?? 'mid'] ?? [];
  if (presetN === undefined) throw new UserError(`dynasor: unknown effort ${JSON.stringify(opts.effort)}.`);
  const window = opts.window ?? presetN;
  const chunk = opts.chunk ?? presetChunk;
  const probeMaxTokens = opts.probeMaxTokens ?? 20;
  const words = (opts.uncertainWords ?? DYNASOR_UNCERTAIN_WORDS).map((w) => w.toLowerCase());
  const equivalent = opts.equivalent ?? ((a: string, b: string) => a === b || mathAnswersEquivalent(a, b));
  for (const [name, v] of [
    ['window', window],
    ['chunk', chunk],
    ['probeMaxTokens', probeMaxTokens],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new UserError(`dynasor: ${name} must be a positive integer, got ${v}.`);
  }
  return {
    name: 'dynasor',
    init: () => ({ answers: [], certain: [], probes: 0 }),
    onToken: async (ctx, state) => {
      if (ctx.thinkingTokens % chunk !== 0) return CONTINUE;
      const seed = probeSeed(ctx.sample.seed ?? 0, state.probes++);
      const trial = await ctx.trial({
        suffix: DYNASOR_PROBE_SUFFIX,
        maxTokens: probeMaxTokens,
        sample: {
          temperature: opts.temperature ?? DEFAULT_SAMPLE.temperature,
          topP: opts.topP ?? DEFAULT_SAMPLE.topP,
          seed,
        },
      });
      const lower = trial.text.toLowerCase();
      state.answers.push(dynasorAnswer(trial.text));
      state.certain.push(!words.some((w) => lower.includes(w)));
      state.last = trial;
      return dynasorShouldExit(state.answers, state.certain, window, equivalent)
        ? { action: 'exit', reason: 'probe-exit', reuse: trial }
        : CONTINUE;
    },
  };
}
