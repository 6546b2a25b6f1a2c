// The reasoning loop on the real llama.cpp engine with the cycle test model, whose greedy chain is
// known: " so the answer is four wait let me check again hmm Wait Hmm but then alternatively
// Alternatively therefore we have</think> Final Answer: \boxed{4}}<|im_end|>".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../src/bundle/Bundle.ts';
import { findCues } from '../../src/cues/findCues.ts';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { DEER_EXIT_CUE, LYNX_EXIT_CUE } from '../../src/reason/cueTexts.ts';
import type { LynxBundleLike, LynxLevel } from '../../src/reason/policies/lynx.ts';
import { makePolicy } from '../../src/reason/policies/registry.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import type { TokenRole } from '../../src/reason/types.ts';
import { CYCLE_THINKING, type TestModel } from '../../src/testing/testModels.ts';
import { accountingErrors, GREEDY, keptThinking, loadTestEngine, testPrompt } from './helpers.ts';

let engine: LlamaCppEngine;
let model: TestModel;
let prompt: string;
beforeAll(async () => {
  ({ engine, model } = await loadTestEngine({ kind: 'cycle' }));
  prompt = testPrompt(engine);
});
afterAll(async () => {
  await engine?.dispose();
});

const ids = (texts: readonly string[]) => texts.map((t) => model.ids[t]);
/** Cue positions of the chain by LYNX's offline matcher: [5, 10, 11, 12, 15, 16]. */
const CUE_POSITIONS = findCues([...CYCLE_THINKING]).map((e) => e.tokenIndex);

/** A bundle whose decision the test controls; it records what it was given. */
function stubBundle(exitOnCall: number): LynxBundleLike & { seen: Float32Array[]; levels: LynxLevel[] } {
  const seen: Float32Array[] = [];
  const levels: LynxLevel[] = [];
  return {
    seen,
    levels,
    data: { features: { layers: [-1] } },
    decide(features, level) {
      seen.push(features);
      levels.push(level);
      const exit = seen.length === exitOnCall;
      return { p: seen.length / 10, exit, set: exit ? [1] : [0, 1] };
    },
  };
}

/** Compile-time contract (checked by tsc): the real bundle class is what the LYNX policy takes. */
type BundleIsLynxBundle = Bundle extends LynxBundleLike ? true : never;
const bundleIsLynxBundle: BundleIsLynxBundle = true;
void bundleIsLynxBundle;

describe('runReasoning on the cycle model', () => {
  it('vanilla thinks to the natural end and answers; accounting adds up; cues match the offline matcher', async () => {
    const trace = await runReasoning(engine, prompt, makePolicy('vanilla'), { sample: GREEDY });
    expect(trace.exit.reason).toBe('natural-end');
    expect(trace.finish).toBe('eos');
    expect(keptThinking(trace)).toEqual(ids([...CYCLE_THINKING, '</think>']));
    expect(trace.answerText).toBe(' Final Answer: \\boxed{4}');
    expect(trace.counts.answer).toBe(7); // " Final" " Answer" ":" " \boxed{" "4" "}" EOS
    expect(trace.counts.probe).toBe(0);
    expect(trace.cueEvents.map((e) => e.position)).toEqual(CUE_POSITIONS);
    expect(CUE_POSITIONS).toEqual([5, 10, 11, 12, 15, 16]);
    expect(accountingErrors(trace)).toEqual([]);
  });

  it('lynx exits exactly at the first cue whose decision is exit, before the cue token', async () => {
    const bundle = stubBundle(3);
    const policy = makePolicy('lynx', { bundle, delta: 0.1 });
    const trace = await runReasoning(engine, prompt, policy, { sample: GREEDY });
    const at = CUE_POSITIONS[2];
    expect(trace.exit).toMatchObject({
      reason: 'cue-exit',
      position: at,
      cueEvent: 2,
      exitCue: LYNX_EXIT_CUE,
    });
    expect(trace.cueEvents.map((e) => e.exit)).toEqual([false, false, true]);
    expect(trace.cueEvents.map((e) => e.p)).toEqual([0.1, 0.2, 0.3]);
    expect(trace.cueEvents[2].set).toEqual([1]);
    expect(bundle.levels[0]).toEqual({ delta: 0.1 });
    // The cue token was decoded, then cut: LYNX's prefix is seq[:abs_pos].
    expect(keptThinking(trace)).toEqual(ids(CYCLE_THINKING.slice(0, at)));
    const dropped = trace.tokens.filter((r) => r.role === 'thinking' && !r.kept).map((r) => r.token);
    expect(dropped).toEqual(ids([CYCLE_THINKING[at]]));
    expect(trace.answerText).toBe(`${LYNX_EXIT_CUE}4}`);
    expect(trace.counts).toMatchObject({ thinking: at + 1, keptThinking: at, exitCue: 5, answer: 3 });
    expect(trace.counts.used).toBe(at + 5 + 3);
    expect(accountingErrors(trace)).toEqual([]);
  });

  it('lynx scores the hidden state of the cue token itself', async () => {
    const bundle = stubBundle(2);
    await runReasoning(engine, prompt, makePolicy('lynx', { bundle, alpha: 0.2 }), { sample: GREEDY });
    expect(bundle.levels[0]).toEqual({ alpha: 0.2 });
    // Independent path: decode the same tokens one by one and read the state after each cue token.
    const session = await engine.open(prompt);
    try {
      const expected: Float32Array[] = [];
      for (let i = 0; i <= CUE_POSITIONS[1]; i++) {
        const step = await session.step(GREEDY);
        expect(step.token).toBe(model.ids[CYCLE_THINKING[i]]);
        if (CUE_POSITIONS.includes(i)) expected.push((await session.hidden([-1]))[0]);
      }
      expect(bundle.seen).toHaveLength(2);
      for (let k = 0; k < 2; k++) {
        expect(bundle.seen[k]).toHaveLength(engine.info.hiddenSize);
        const diff = Math.max(...bundle.seen[k].map((v, j) => Math.abs(v - expected[k][j])));
        expect(diff).toBeLessThan(1e-5);
      }
      // Different cues, different states: the features are not a constant.
      expect(bundle.seen[0]).not.toEqual(bundle.seen[1]);
    } finally {
      await session.close();
    }
  });

  it('a lynx bundle that never exits leaves the trajectory as vanilla, with every cue scored', async () => {
    const trace = await runReasoning(
      engine,
      prompt,
      makePolicy('lynx', { bundle: stubBundle(-1), delta: 0.1 }),
      {
        sample: GREEDY,
      },
    );
    expect(trace.exit.reason).toBe('natural-end');
    expect(trace.cueEvents.every((e) => e.p !== undefined && !e.exit)).toBe(true);
    expect(keptThinking(trace)).toEqual(ids([...CYCLE_THINKING, '</think>']));
  });

  it("lynx uses the bundle's cue lexicon and exit cue unless the run overrides them", async () => {
    const bundle = {
      ...stubBundle(1),
      data: { features: { layers: [-1] }, cues: { lexicon: ['four'], mode: 'word' }, exitCue: '</think>' },
    };
    const policy = makePolicy('lynx', { bundle, delta: 0.1 });
    const trace = await runReasoning(engine, prompt, policy, { sample: GREEDY });
    expect(trace.cueEvents.map((e) => [e.position, e.cue])).toEqual([[4, 'four']]);
    expect(trace.exit).toMatchObject({ reason: 'cue-exit', position: 4, exitCue: '</think>' });
    expect(trace.answerText).toBe('</think> Final Answer: \\boxed{4}');
    const overridden = await runReasoning(
      engine,
      prompt,
      makePolicy('lynx', { bundle: { ...stubBundle(1), data: bundle.data }, delta: 0.1 }),
      {
        sample: GREEDY,
        cues: { lexicon: ['wait'] },
        exitCue: LYNX_EXIT_CUE,
      },
    );
    expect(overridden.exit).toMatchObject({ position: CUE_POSITIONS[0], exitCue: LYNX_EXIT_CUE });
  });

  it('fixedBudget stops thinking after B tokens and forces the answer', async () => {
    for (const budget of [1, 7]) {
      const trace = await runReasoning(engine, prompt, makePolicy('fixed-budget', { budget }), {
        sample: GREEDY,
      });
      expect(trace.exit).toMatchObject({ reason: 'budget', position: budget });
      expect(trace.counts.keptThinking).toBe(budget);
      expect(trace.counts.thinking).toBe(budget);
      expect(trace.answerText).toBe(`${LYNX_EXIT_CUE}4}`);
      expect(accountingErrors(trace)).toEqual([]);
    }
  });

  it('noThinking prefills a closed thinking block and answers without thinking tokens', async () => {
    const trace = await runReasoning(engine, prompt, makePolicy('no-thinking'), {
      sample: GREEDY,
      maxTokens: 40,
    });
    expect(trace.exit.reason).toBe('no-thinking');
    expect(trace.exit.exitCue).toBe('Okay, I think I have finished thinking.\n</think>\n\n'); // prompt opened <think>
    expect(trace.counts.thinking).toBe(0);
    expect(trace.counts.exitCue).toBe(engine.tokenize(trace.exit.exitCue!, { special: true }).length);
    expect(trace.counts.answer).toBeGreaterThan(0);
    expect(accountingErrors(trace)).toEqual([]);
    const noOpen = await runReasoning(engine, [model.ids['<|im_start|>']], makePolicy('no-thinking'), {
      sample: GREEDY,
      maxTokens: 5,
    });
    expect(noOpen.exit.exitCue?.startsWith('<think>\n')).toBe(true);
  });

  it('deer checks at the capitalized "Wait", exits on a confident trial and answers freely', async () => {
    const streamed: TokenRole[] = [];
    const trace = await runReasoning(engine, prompt, makePolicy('deer'), {
      sample: GREEDY,
      maxTokens: 60,
      onToken: (e) => streamed.push(e.role),
    });
    const wait = CUE_POSITIONS[2]; // " wait" (5) is lower case: DEER's stop string is "Wait"
    expect(trace.trials).toHaveLength(1);
    expect(trace.trials[0].position).toBe(wait);
    expect(trace.cueEvents.find((e) => e.position === wait)?.details?.confidence).toBeGreaterThan(0.95);
    expect(trace.exit).toMatchObject({ reason: 'cue-exit', position: wait, exitCue: DEER_EXIT_CUE });
    expect(trace.counts.probe).toBe(trace.trials[0].tokens);
    expect(trace.counts.probe).toBeGreaterThan(0);
    expect(trace.counts.keptThinking + trace.counts.answer).toBeLessThanOrEqual(60);
    expect(streamed).toEqual(trace.tokens.map((r) => r.role));
    expect(accountingErrors(trace)).toEqual([]);
  });

  it('oracle exits at the earliest cue whose forced exit is correct and does not charge its look-ahead', async () => {
    let calls = 0;
    const isCorrect = (text: string) => ++calls >= 3 && text === `${LYNX_EXIT_CUE}4}`;
    const trace = await runReasoning(engine, prompt, makePolicy('oracle', { isCorrect }), { sample: GREEDY });
    const at = CUE_POSITIONS[2];
    expect(trace.exit).toMatchObject({ reason: 'cue-exit', position: at, cueEvent: 2 });
    expect(trace.trials.map((t) => [t.position, t.charged, t.reused])).toEqual([
      [CUE_POSITIONS[0], false, false],
      [CUE_POSITIONS[1], false, false],
      [at, false, true],
    ]);
    expect(trace.trials.every((t) => t.text === '4}' && t.tokens === 3)).toBe(true);
    expect(trace.counts).toMatchObject({ probe: 6, freeProbe: 6, answer: 3, exitCue: 5, keptThinking: at });
    expect(trace.counts.charged).toBe(trace.counts.used);
    expect(trace.answerText).toBe(`${LYNX_EXIT_CUE}4}`);
    expect(accountingErrors(trace)).toEqual([]);
  });

  it('gradeAnswer-based oracle: exits at the first cue (the forced answer is already 4)', async () => {
    const trace = await runReasoning(
      engine,
      prompt,
      makePolicy('oracle', { kind: 'gsm8k', gold: '#### 4' }),
      {
        sample: GREEDY,
      },
    );
    expect(trace.exit).toMatchObject({ reason: 'cue-exit', position: CUE_POSITIONS[0] });
    const wrong = await runReasoning(engine, prompt, makePolicy('oracle', { kind: 'gsm8k', gold: '5' }), {
      sample: GREEDY,
    });
    expect(wrong.exit.reason).toBe('natural-end');
    expect(wrong.counts.freeProbe).toBe(3 * CUE_POSITIONS.length);
    expect(accountingErrors(wrong)).toEqual([]);
  });
});

describe('limits and cancellation (looping cycle model)', () => {
  let loop: LlamaCppEngine;
  /** In the looping model only " have" leads back to " so" (its "\n" does not), so prompt with it. */
  let loopPrompt: number[];
  beforeAll(async () => {
    const built = await loadTestEngine({ kind: 'cycle', loopThinking: true });
    loop = built.engine;
    loopPrompt = [built.model.ids['<think>'], built.model.ids[' have']];
  });
  afterAll(async () => {
    await loop?.dispose();
  });

  it('stops at maxTokens while thinking, without an answer', async () => {
    const trace = await runReasoning(loop, loopPrompt, makePolicy('vanilla'), {
      sample: GREEDY,
      maxTokens: 30,
    });
    expect(trace.exit).toMatchObject({ reason: 'max-tokens', position: 30 });
    expect(trace.finish).toBe('length');
    expect(trace.counts.answer).toBe(0);
    expect(accountingErrors(trace)).toEqual([]);
  });

  it('abort stops promptly and returns the partial trace', async () => {
    const controller = new AbortController();
    let seen = 0;
    const trace = await runReasoning(loop, loopPrompt, makePolicy('vanilla'), {
      sample: GREEDY,
      maxTokens: 500,
      signal: controller.signal,
      onToken: () => {
        if (++seen === 10) controller.abort();
      },
    });
    expect(trace.exit.reason).toBe('aborted');
    expect(trace.finish).toBe('aborted');
    expect(trace.counts.total).toBe(10);
    const pre = new AbortController();
    pre.abort();
    const none = await runReasoning(loop, loopPrompt, makePolicy('deer'), { signal: pre.signal });
    expect(none.counts.total).toBe(0);
    // The engine is free again (the session was closed).
    const after = await runReasoning(loop, loopPrompt, makePolicy('vanilla'), {
      sample: GREEDY,
      maxTokens: 3,
    });
    expect(after.counts.thinking).toBe(3);
  });

  it('deer makes at most maxChecks checks', async () => {
    const trace = await runReasoning(loop, loopPrompt, makePolicy('deer', { threshold: 1, maxChecks: 3 }), {
      sample: GREEDY,
      maxTokens: 150,
    });
    const checked = trace.cueEvents.filter((e) => e.details?.check !== undefined);
    expect(checked.map((e) => e.details?.check)).toEqual([1, 2, 3]);
    expect(trace.trials).toHaveLength(3);
    expect(trace.cueEvents.filter((e) => e.text === 'Wait').length).toBeGreaterThan(3);
    // DEER's thinking budget: 0.9 × maxTokens.
    expect(trace.exit).toMatchObject({ reason: 'budget', position: 135 });
    expect(accountingErrors(trace)).toEqual([]);
  });
});
