// The position control on the testbed model: it exits at the first cue at or after N thinking tokens.
import { describe, expect, it } from 'vitest';
import { loadProblems } from '../../src/pipeline/problems.ts';
import { makePolicy } from '../../src/reason/policies/registry.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';
import { useTestbedEngine } from '../testbedEngine.ts';

const testbed = useTestbedEngine();

describe('position:after=N', () => {
  it('exits at the first cue at or after N thinking tokens, never before', async () => {
    const problems = loadProblems({
      dataset: 'testbed-arith',
      split: 'heldout',
      slice: 'test',
      limit: 8,
      dataSeed: 42,
    });
    const after = 96;
    let exits = 0;
    const engine = testbed();
    for (const [i, p] of problems.entries()) {
      const prompt = engine.formatChat(p.messages);
      const sample = { temperature: 0.6, topP: 0.95, seed: 100 + i };
      const vanilla = await runReasoning(engine, prompt, makePolicy('vanilla'), { sample, maxTokens: 400 });
      const control = await runReasoning(engine, prompt, makePolicy('position', { after }), {
        sample,
        maxTokens: 400,
      });
      const firstLate = vanilla.cueEvents.find((c) => c.position >= after);
      if (!firstLate) {
        expect(control.exit.reason).toBe(vanilla.exit.reason);
        continue;
      }
      exits++;
      // Same seed, same prefix until the exit: it cuts exactly before vanilla's first late cue.
      expect(control.exit.reason).toBe('cue-exit');
      expect(control.exit.position).toBe(firstLate.position);
    }
    expect(exits).toBeGreaterThan(4);
  }, 120_000);

  it('needs after', () => {
    expect(() => makePolicy('position', {} as never)).toThrow(/option "after" is required/);
  });
});
