// Trial answers must not change the trajectory: rollback (and re-appending a cut cue token) leaves
// the thinking tokens exactly as vanilla's under the same seed, on a random model where attention
// makes every token depend on the whole prefix and sampling is on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CueDetector } from '../../src/cues/CueDetector.ts';
import { findCues } from '../../src/cues/findCues.ts';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { type LynxBundleLike, lynxPolicy } from '../../src/reason/policies/lynx.ts';
import { makePolicy } from '../../src/reason/policies/registry.ts';
import { type RunOptions, runReasoning } from '../../src/reason/runReasoning.ts';
import type { ExitPolicy } from '../../src/reason/types.ts';
import { accountingErrors, keptThinking, loadTestEngine, testPrompt } from './helpers.ts';

let engine: LlamaCppEngine;
let prompt: string;
beforeAll(async () => {
  ({ engine } = await loadTestEngine({ kind: 'random', arch: 'qwen3', seed: 11 }));
  prompt = testPrompt(engine);
});
afterAll(async () => {
  await engine?.dispose();
});

/** Frequent cues on a random model: any piece with an "e" or an "a". */
const CUES = { lexicon: ['e', 'a'] };
const never: LynxBundleLike = {
  data: { features: { layers: [-1] } },
  decide: () => ({ p: 0.5, exit: false, set: [0, 1] }),
};

describe('trial answers roll back exactly', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: DEER / Dynasor / oracle / LYNX probes leave vanilla's thinking tokens unchanged`, async () => {
      const opts: RunOptions = { sample: { temperature: 0.9, topP: 0.95, seed }, maxTokens: 48, cues: CUES };
      const vanilla = await runReasoning(engine, prompt, makePolicy('vanilla'), opts);
      const reference = keptThinking(vanilla);
      expect(vanilla.cueEvents.length).toBeGreaterThan(3);
      const probing: ExitPolicy[] = [
        makePolicy('deer', {
          threshold: 1,
          triggers: CUES.lexicon,
          caseSensitive: false,
          maxChecks: 100,
          thinkRatio: 1,
          budgetMargin: 0,
        }),
        makePolicy('dynasor', { chunk: 5, window: 1000 }),
        makePolicy('oracle', { isCorrect: () => false }),
        lynxPolicy({ bundle: never, delta: 0.1 }),
      ];
      for (const policy of probing) {
        const trace = await runReasoning(engine, prompt, policy, opts);
        const n = Math.min(reference.length, trace.counts.keptThinking);
        // Runs that end by themselves end at the same token; others run to the same limit
        // (DEER's own thinking budget, here equal to the run's limit, names it 'budget').
        const ended = vanilla.exit.reason === 'natural-end' || vanilla.exit.reason === 'eos';
        if (ended) expect(trace.exit.reason, policy.name).toBe(vanilla.exit.reason);
        else expect(['max-tokens', 'budget'], policy.name).toContain(trace.exit.reason);
        expect(keptThinking(trace).slice(0, n), policy.name).toEqual(reference.slice(0, n));
        expect(trace.counts.keptThinking, policy.name).toBe(reference.length);
        expect(trace.cueEvents.map((e) => e.position)).toEqual(vanilla.cueEvents.map((e) => e.position));
        expect(accountingErrors(trace), policy.name).toEqual([]);
        if (policy.name !== 'lynx') expect(trace.trials.length, policy.name).toBeGreaterThan(2);
      }
    });
  }

  it('cue events are exactly the CueDetector / offline matcher events of the thinking pieces', async () => {
    for (const mode of ['substring', 'word'] as const) {
      const cues = { lexicon: ['e', 'the', 'so', 'wait'], mode };
      const trace = await runReasoning(engine, prompt, makePolicy('vanilla'), {
        sample: { temperature: 1, seed: 5 },
        maxTokens: 64,
        cues,
      });
      const pieces = keptThinking(trace).map((t) => engine.tokenPiece(t));
      const detector = new CueDetector(cues);
      const streamed = pieces.flatMap((p) => detector.push(p));
      const offline = findCues(pieces, cues);
      expect(offline.length).toBeGreaterThan(0);
      // The loop never flushes (a word-mode cue at the very end would be confirmed by the next token).
      const expected = mode === 'word' ? streamed : offline;
      expect(trace.cueEvents.map((e) => [e.position, e.cue, e.text])).toEqual(
        expected.map((e) => [e.tokenIndex, e.cue, e.text]),
      );
    }
  });
});
