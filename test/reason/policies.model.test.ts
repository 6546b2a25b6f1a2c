// Pure pieces of the policies (confidence, agreement, brace tracking, options) and the policies
// that need a model (Dynasor, entropy) on the real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { UserError } from '../../src/errors.ts';
import { BraceTracker, braceBalance, textBeforeUnmatchedClose } from '../../src/reason/braces.ts';
import { DYNASOR_PROBE_SUFFIX, opensThinking } from '../../src/reason/cueTexts.ts';
import { deerConfidence } from '../../src/reason/policies/deer.ts';
import { dynasorAnswer, dynasorShouldExit } from '../../src/reason/policies/dynasor.ts';
import type { EntropyOptions } from '../../src/reason/policies/entropy.ts';
import { concatFeatures } from '../../src/reason/policies/lynx.ts';
import { makePolicy, POLICY_NAMES } from '../../src/reason/policies/registry.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import { accountingErrors, GREEDY, loadTestEngine, testPrompt } from './helpers.ts';

describe('pure helpers', () => {
  it('deerConfidence skips the first trial token and aggregates like DEER', () => {
    const lp = [Math.log(0.1), Math.log(0.9), Math.log(0.5), Math.log(1)];
    expect(deerConfidence(lp, 'avg1')).toBeCloseTo((0.9 + 0.5 + 1) / 3, 12);
    expect(deerConfidence(lp, 'avg2')).toBeCloseTo(Math.cbrt(0.9 * 0.5 * 1), 12);
    expect(deerConfidence(lp, 'min')).toBeCloseTo(0.5, 12);
    expect(deerConfidence([Math.log(0.99)])).toBe(0);
  });

  it('dynasorShouldExit needs N agreeing, non-empty, certain answers', () => {
    const eq = (a: string, b: string) => a === b;
    expect(dynasorShouldExit(['4', '4'], [true, true], 3, eq)).toBe(false);
    expect(dynasorShouldExit(['3', '4', '4', '4'], [false, true, true, true], 3, eq)).toBe(true);
    expect(dynasorShouldExit(['4', '4', '4'], [true, false, true], 3, eq)).toBe(false);
    expect(dynasorShouldExit(['', '', ''], [true, true, true], 3, eq)).toBe(false);
    expect(dynasorShouldExit(['4', '5', '4'], [true, true, true], 3, eq)).toBe(false);
  });

  it('dynasorAnswer reads up to the first unmatched close brace', () => {
    expect(dynasorAnswer('\\frac{1}{2}} \\]')).toBe('\\frac{1}{2}');
    expect(dynasorAnswer(' 42 } wait')).toBe('42');
    expect(dynasorAnswer('4 + {5')).toBe('');
    expect(textBeforeUnmatchedClose('{}}')).toBe('{}');
  });

  it('BraceTracker closes the group the cue opened, or the first one the model opens', () => {
    expect(braceBalance('\\boxed{')).toBe(1);
    expect(braceBalance('\\{ a \\}')).toBe(0);
    const lynx = new BraceTracker('</think> Final Answer: \\boxed{');
    expect(['\\frac{', '1}{2', '}'].map((p) => lynx.push(p))).toEqual([false, false, false]);
    expect(lynx.push('} rest')).toBe(true);
    const deer = new BraceTracker('\n**Final Answer**\n\\boxed');
    expect(deer.push('}')).toBe(false); // nothing opened yet
    expect(deer.push('{4')).toBe(false);
    expect(deer.push('\\}')).toBe(false); // escaped
    expect(deer.push('}')).toBe(true);
  });

  it('concatFeatures and opensThinking', () => {
    expect([...concatFeatures([Float32Array.of(1, 2), Float32Array.of(3)])]).toEqual([1, 2, 3]);
    expect(opensThinking('<|im_start|>assistant\n<think>\n')).toBe(true);
    expect(opensThinking('<think>x</think>')).toBe(false);
    expect(opensThinking('plain')).toBe(false);
  });

  it('registry: every name builds, bad names and options are user errors', () => {
    const bundle = { data: { features: { layers: [-1] } }, decide: () => ({ p: 0, exit: false, set: [0] }) };
    const options: Record<string, unknown> = {
      lynx: { bundle, delta: 0.1 },
      'fixed-budget': { budget: 10 },
      position: { after: 96 },
      oracle: { isCorrect: () => true },
    };
    const env = { reference: 200 };
    for (const name of POLICY_NAMES)
      expect(makePolicy(name, options[name], env).name.startsWith(name)).toBe(true);
    // Shares of the reference thinking length: resolved with one, an error without.
    expect(makePolicy('fixed-budget', { budget: '50%' }, env).name).toBe('fixed-budget(100)');
    expect(makePolicy('position', { after: '12.5%' }, env).name).toBe('position(25)');
    expect(() => makePolicy('entropy')).toThrow(/window=25% is a share of a reference thinking length/);
    expect(() => makePolicy('fixed-budget', { budget: '50' as never })).toThrow(/budget/);
    expect(makePolicy('fixedBudget', { budget: 3 }).name).toBe('fixed-budget(3)');
    expect(() => makePolicy('nope')).toThrow(UserError);
    expect(() => makePolicy('lynx', { bundle })).toThrow(/exactly one of delta/);
    expect(() => makePolicy('lynx', { bundle, delta: 0.1, alpha: 0.1 })).toThrow(UserError);
    expect(() => makePolicy('lynx', { bundle, delta: 1.5 })).toThrow(UserError);
    expect(() => makePolicy('fixed-budget', { budget: 0 })).toThrow(UserError);
    expect(() => makePolicy('oracle', {})).toThrow(/gold/);
    expect(() => makePolicy('dynasor', { effort: 'extreme' as never })).toThrow(UserError);
    expect(() => makePolicy('deer', { threshold: 2 })).toThrow(UserError);
    expect(() => makePolicy('entropy', { rate: 1.5, window: 8, minThinking: 0 })).toThrow(UserError);
  });
});

describe('dynasor on the cycle model', () => {
  let engine: LlamaCppEngine;
  beforeAll(async () => {
    ({ engine } = await loadTestEngine({ kind: 'cycle' }));
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('probes every chunk, exits when the last N probe answers agree, and reuses the last one', async () => {
    const trace = await runReasoning(
      engine,
      testPrompt(engine),
      makePolicy('dynasor', { chunk: 4, window: 2 }),
      {
        sample: GREEDY,
      },
    );
    expect(trace.trials.map((t) => t.position)).toEqual([4, 8]);
    expect(trace.trials.map((t) => dynasorAnswer(t.text))).toEqual(['4', '4']);
    expect(trace.exit).toMatchObject({ reason: 'probe-exit', position: 8, exitCue: DYNASOR_PROBE_SUFFIX });
    expect(trace.trials.map((t) => t.reused)).toEqual([false, true]);
    expect(trace.answerText).toBe(`${DYNASOR_PROBE_SUFFIX}4}`);
    expect(trace.counts.exitCue).toBe(engine.tokenize(DYNASOR_PROBE_SUFFIX, { special: true }).length);
    expect(trace.counts.probe).toBe(trace.trials[0].tokens);
    expect(trace.counts.answer).toBe(trace.trials[1].tokens);
    expect(accountingErrors(trace)).toEqual([]);
    // A hesitation word in a probe response blocks the exit.
    const hesitant = await runReasoning(
      engine,
      testPrompt(engine),
      makePolicy('dynasor', { chunk: 4, window: 2, uncertainWords: ['4'] }),
      { sample: GREEDY },
    );
    expect(hesitant.exit.reason).toBe('natural-end');
    expect(hesitant.trials).toHaveLength(5); // at 4, 8, 12, 16, 20 of 21 thinking tokens
  });
});

describe('entropy (path deviation) on the random model', () => {
  let engine: LlamaCppEngine;
  beforeAll(async () => {
    ({ engine } = await loadTestEngine({ kind: 'random', arch: 'qwen3', seed: 11 }));
  });
  afterAll(async () => {
    await engine?.dispose();
  });
  const run = (tau: number, more: EntropyOptions = {}) =>
    runReasoning(
      engine,
      testPrompt(engine),
      makePolicy('entropy', { tau, window: 8, rate: 0.5, minThinking: 12, ...more }),
      {
        sample: { temperature: 0.9, seed: 3 },
        maxTokens: 60,
        cues: { lexicon: ['e', 'a'] },
      },
    );

  it('exits at the first cue once the high-entropy rate over the window reaches the rate', async () => {
    const all = await run(0); // every token counts as high-entropy: PDI = 1
    const first = all.cueEvents.findIndex((e) => e.position + 1 >= 12);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(all.exit).toMatchObject({
      reason: 'cue-exit',
      cueEvent: first,
      position: all.cueEvents[first].position,
    });
    expect(all.cueEvents[first].details?.pdi).toBe(1);
    expect(accountingErrors(all)).toEqual([]);
    const none = await run(1e9); // no token is high-entropy: PDI = 0, never exits
    expect(none.exit.reason).not.toBe('cue-exit');
    expect(none.cueEvents.every((e) => e.details?.pdi === 0)).toBe(true);
    expect(none.timings.scoringMs).toBeGreaterThan(0);
  });

  it('direction below exits once the high-entropy share has fallen to the rate; shares size the window', async () => {
    const settled = await run(1e9, { direction: 'below' }); // PDI = 0 ≤ 0.5 from the first full window on
    const first = settled.cueEvents.findIndex((e) => e.position + 1 >= 12);
    expect(settled.exit).toMatchObject({ reason: 'cue-exit', cueEvent: first });
    const restless = await run(0, { direction: 'below' }); // PDI = 1: never settles
    expect(restless.exit.reason).not.toBe('cue-exit');
    // window and minThinking at 50% of a 24-token reference: the same run as 12 and 12 tokens.
    const relative = await run(0, { window: '50%', minThinking: '50%', reference: 24 });
    const absolute = await run(0, { window: 12, minThinking: 12 });
    expect(relative.exit).toEqual(absolute.exit);
    expect(relative.exit.reason).toBe('cue-exit');
  });

  it('PDI is the windowed fraction of high-entropy tokens (checked against session.entropy())', async () => {
    // Replay the thinking tokens of a run that never exits and recompute each step's entropy.
    const free = await run(1e9);
    const session = await engine.open(testPrompt(engine), { entropy: true }); // as the loop opens for needsEntropy
    const hs: number[] = [];
    try {
      for (const r of free.tokens.filter((x) => x.role === 'thinking')) {
        hs.push(session.entropy());
        await session.append([r.token]);
      }
    } finally {
      await session.close();
    }
    const tau = [...hs].sort((a, b) => a - b)[Math.floor(hs.length / 2)]; // the median: PDI varies
    const trace = await run(tau); // same seed: the same tokens up to its exit
    for (const e of trace.cueEvents) {
      const win = hs.slice(Math.max(0, e.position + 1 - 8), e.position + 1);
      expect(e.details?.pdi).toBeCloseTo(win.filter((h) => h > tau).length / win.length, 6);
    }
    expect(new Set(trace.cueEvents.map((e) => e.details?.pdi)).size).toBeGreaterThan(1);
  });
});
