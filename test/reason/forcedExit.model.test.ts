// forcedExit on the real engine: decodes after the exit cue, stops where asked, rolls back exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { LYNX_EXIT_CUE } from '../../src/reason/cueTexts.ts';
import { forcedExit } from '../../src/reason/forcedExit.ts';
import type { TestModel } from '../../src/testing/testModels.ts';
import { GREEDY, loadTestEngine, testPrompt } from './helpers.ts';

let engine: LlamaCppEngine;
let model: TestModel;
beforeAll(async () => {
  ({ engine, model } = await loadTestEngine({ kind: 'cycle' }));
});
afterAll(async () => {
  await engine?.dispose();
});

describe('forcedExit', () => {
  it('answers after the exit cue, stops at EOS / the closing brace / maxTokens, and rolls back', async () => {
    const session = await engine.open(testPrompt(engine));
    try {
      for (let i = 0; i < 5; i++) await session.step(GREEDY);
      const length = session.length;
      const cue = engine.tokenize(LYNX_EXIT_CUE, { special: true });
      const full = await forcedExit(session, { exitCueTokens: cue, maxTokens: 64 });
      expect(full.text).toBe('4}');
      expect(full.tokens).toEqual([model.ids['4'], model.ids['}'], model.eosId]);
      expect(full.stoppedBy).toBe('eos');
      expect(full.meanMaxProb).toBeCloseTo(full.logprobs.reduce((s, l) => s + Math.exp(l), 0) / 3, 12);
      expect(full.meanMaxProb).toBeGreaterThan(0.9);
      expect(session.length).toBe(length);

      const closed = await forcedExit(session, {
        exitCueTokens: cue,
        exitCueText: LYNX_EXIT_CUE,
        maxTokens: 64,
        stopOnClose: true,
      });
      expect(closed.tokens).toEqual([model.ids['4'], model.ids['}']]);
      expect(closed.stoppedBy).toBe('close');
      const capped = await forcedExit(session, { exitCueTokens: cue, maxTokens: 1 });
      expect(capped).toMatchObject({ text: '4', stoppedBy: 'max-tokens' });
      expect(session.length).toBe(length);
      // The sequence continues as if nothing had been appended: the chain's next word.
      const next = await session.step(GREEDY);
      expect(next.token).toBe(model.ids[' wait']);
      await expect(forcedExit(session, { exitCueTokens: cue, maxTokens: -1 })).rejects.toThrow(RangeError);
    } finally {
      await session.close();
    }
  });
});
