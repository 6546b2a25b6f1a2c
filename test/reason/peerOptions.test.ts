// Every peer's texts, trigger words and answer mode are options, on a scripted model (a model that
// answers after any text ending in `\boxed{`): the text given is the text appended, the trigger
// words are the ones checked, and the answer mode decides what becomes the answer.
import { describe, expect, it } from 'vitest';
import { DEER_TRIAL_SUFFIX, NO_THINKING_CLOSE } from '../../src/reason/cueTexts.ts';
import { makePolicy } from '../../src/reason/policies/registry.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import type { ExitPolicy } from '../../src/reason/types.ts';
import { createScriptedEngine } from '../../src/testing/index.ts';

const engine = createScriptedEngine({
  thinking: '\nWe add 2 and 2 to get 4. Hmm, let me check. wait: 2 + 2 = 4. Wait, yes it is 4. Done.\n',
  answer: '\n\nThe answer is \\boxed{4}.',
  texts: ['Final: \\boxed{', 'X \\boxed{', '</think> So \\boxed{'],
});
const prompt = [{ role: 'user' as const, content: 'What is 2 + 2?' }];
const run = (policy: ExitPolicy) => runReasoning(engine, prompt, policy, { sample: { temperature: 0 } });
const BOXED_TRIAL = '\n**Final Answer**\n\\boxed{';
const EXIT = '</think> So \\boxed{';

describe('DEER options', () => {
  it('checks its trigger words only: Wait by default (case-sensitive), or the words given', async () => {
    const count = async (o: object) => (await run(makePolicy('deer', o))).trials.length;
    expect(await count({})).toBe(1); // "Wait," once; "wait:" and "Hmm" are not DEER's
    expect(await count({ triggers: 'Hmm|wait' })).toBe(2);
    expect(await count({ triggers: 'wait', caseSensitive: false })).toBe(2);
    expect(await count({ points: 'alternatively' })).toBe(0);
  });

  it('appends its trial suffix; the published one (no brace) gets no answer from this model', async () => {
    const published = await run(makePolicy('deer', { threshold: 0.5 }));
    expect(published.trials[0].suffix).toBe(DEER_TRIAL_SUFFIX);
    expect(published.exit.reason).not.toBe('cue-exit');
    const braced = await run(makePolicy('deer', { threshold: 0.5, trialSuffix: BOXED_TRIAL }));
    expect(braced.trials[0]).toMatchObject({ suffix: BOXED_TRIAL, text: '4}' });
    expect(braced.exit.reason).toBe('cue-exit');
  });

  it('answer modes: free after its exit text (default), forced after a given one, or the trial kept', async () => {
    const base = { threshold: 0.5, trialSuffix: BOXED_TRIAL };
    const free = await run(makePolicy('deer', base));
    expect(free.exit.exitCue).toBe('\n</think>\n\n');
    const forced = await run(makePolicy('deer', { ...base, exitCue: EXIT, answer: 'forced' }));
    expect(forced.answerText).toBe(`${EXIT}4}`);
    const trial = await run(makePolicy('deer', { ...base, answer: 'trial' }));
    expect(trial.answerText).toBe(`${BOXED_TRIAL}4}`);
    expect(trial.trials[0].reused).toBe(true);
    expect(trial.counts.probe).toBe(0); // the kept trial is the answer, not a probe
  });
});

describe('Dynasor options', () => {
  const base = { chunk: 4, window: 2, temperature: 0 };
  it('appends its probe text and reads its uncertain words', async () => {
    const mine = await run(makePolicy('dynasor', { ...base, probeSuffix: 'Final: \\boxed{' }));
    expect(mine.trials.map((t) => t.suffix)).toEqual(['Final: \\boxed{', 'Final: \\boxed{']);
    expect(mine.exit).toMatchObject({ reason: 'probe-exit', exitCue: 'Final: \\boxed{' });
    expect(mine.answerText).toBe('Final: \\boxed{4}');
    // "4}" holds a "4": with 4 as an uncertain word no probe is certain, so it never exits.
    const unsure = await run(makePolicy('dynasor', { ...base, uncertainWords: '4' }));
    expect(unsure.exit.reason).toBe('natural-end');
  });

  it('answer forced: a fresh answer after its exit text instead of the probe answer', async () => {
    const forced = await run(makePolicy('dynasor', { ...base, answer: 'forced', exitCue: 'X \\boxed{' }));
    expect(forced.exit).toMatchObject({ reason: 'probe-exit', exitCue: 'X \\boxed{' });
    expect(forced.answerText).toBe('X \\boxed{4}');
    expect(forced.trials.every((t) => !t.reused)).toBe(true);
  });
});

describe('exit cues of the other methods', () => {
  it('position, fixed budget, entropy and LYNX append the exit cue given', async () => {
    const bundle = { data: { features: { layers: [-1] } }, decide: () => ({ p: 1, exit: true, set: [1] }) };
    const policies = [
      makePolicy('position', { after: 0, exitCue: EXIT }),
      makePolicy('fixed-budget', { budget: '50%', exitCue: EXIT }, { reference: 10 }),
      makePolicy('entropy', { window: 1, minThinking: 0, rate: 0, exitCue: EXIT }),
      makePolicy('lynx', { bundle, delta: 0.1, exitCue: EXIT }),
    ];
    for (const p of policies) {
      const t = await run(p);
      expect(t.exit.exitCue, p.name).toBe(EXIT);
      expect(t.answerText, p.name).toBe(`${EXIT}4}`);
    }
    const budget = await run(policies[1]);
    expect(budget.exit).toMatchObject({ reason: 'budget', position: 5 });
  });

  it("NoThinking prefills its thought and closing text; LYNX's default cue is the bundle's", async () => {
    const nt = await run(makePolicy('no-thinking', { text: 'Done.' }));
    expect(nt.exit.exitCue?.endsWith(`Done.${NO_THINKING_CLOSE}`)).toBe(true);
    const custom = await run(makePolicy('no-thinking', { text: 'Done.', close: ' </think>' }));
    expect(custom.exit.exitCue?.endsWith('Done. </think>')).toBe(true);
    const bundle = {
      data: { features: { layers: [-1] }, exitCue: 'X \\boxed{' },
      decide: () => ({ p: 1, exit: true, set: [1] }),
    };
    expect((await run(makePolicy('lynx', { bundle, delta: 0.1 }))).answerText).toBe('X \\boxed{4}');
  });
});
