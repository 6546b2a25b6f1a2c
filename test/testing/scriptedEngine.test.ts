// The scripted engine drives the real reasoning loop and policies without a model: greedy decoding
// writes the script, a forced exit answers with the scripted exit answer, LYNX exits where the
// (fake) bundle says, rollbacks replay the same draws.
import { describe, expect, it } from 'vitest';
import { gradeAnswer } from '../../src/answers/grade.ts';
import { lynxPolicy } from '../../src/reason/policies/lynx.ts';
import { vanillaPolicy } from '../../src/reason/policies/simple.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import { createScriptedEngine } from '../../src/testing/index.ts';

const script = {
  thinking: '\nWe add 2 and 2 to get 4. Wait, let me check: 2 + 2 = 4. Hmm, yes it is 4.\n',
  answer: '\n\nThe answer is \\boxed{4}.',
  // Before the first check the model believes 5; after it, 4.
  exitAnswer: (generated: string) => (generated.includes('check') ? '4' : '5'),
};
const prompt = [{ role: 'user' as const, content: 'What is 2 + 2?' }];

describe('scripted engine', () => {
  it('greedy vanilla decoding writes the script and its answer', async () => {
    const engine = createScriptedEngine(script);
    const trace = await runReasoning(engine, prompt, vanillaPolicy(), { sample: { temperature: 0 } });
    expect(trace.thinkingText).toBe(`${script.thinking}</think>`);
    expect(trace.answerText).toBe(script.answer);
    expect(trace.cueEvents.map((c) => c.cue)).toEqual(['wait', 'hmm']);
    expect(gradeAnswer('gsm8k', trace.answerText, '4')).toBe(true);
  });

  it('LYNX exits at the cue its bundle accepts, and the forced answer is the scripted belief there', async () => {
    const engine = createScriptedEngine({
      ...script,
      hidden: (g) => Float32Array.of(g.includes('check') ? 1 : 0),
    });
    const bundle = {
      data: { features: { layers: [-1] } },
      decide: (f: Float32Array) => ({ p: f[0], exit: f[0] > 0.5 }),
    };
    const trace = await runReasoning(engine, prompt, lynxPolicy({ bundle, delta: 0.1 }), {
      sample: { temperature: 0 },
    });
    expect(trace.exit.reason).toBe('cue-exit');
    expect(trace.cueEvents[trace.exit.cueEvent ?? -1].cue).toBe('hmm');
    expect(trace.answerText).toMatch(/\\boxed\{4\}$/);
    expect(trace.counts.thinking).toBeLessThan(engine.tokenize(script.thinking).length);
  });

  it('sampling is a function of seed and position: a rollback replays the same tokens', async () => {
    const engine = createScriptedEngine({ ...script, confidence: 1 });
    const session = await engine.open('<think>\n');
    const mark = session.mark();
    const first: number[] = [];
    for (let i = 0; i < 20; i++) first.push((await session.step({ temperature: 1, seed: 3 })).token);
    await session.rollback(mark);
    const again: number[] = [];
    for (let i = 0; i < 20; i++) again.push((await session.step({ temperature: 1, seed: 3 })).token);
    expect(again).toEqual(first);
    // At confidence 1 and T 1 the scripted piece is far from certain: some draws stray.
    expect(engine.detokenize(first)).not.toBe(script.thinking.slice(0, engine.detokenize(first).length));
    expect(session.entropy()).toBeGreaterThan(1);
  });
});
