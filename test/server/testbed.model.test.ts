/**
 * The server on the shipped testbed model and its committed LYNX bundle, through the official
 * client; on llama.cpp in-process and on SGLang (the bundle fitted on llama.cpp, served over SGLang).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/bundle/index.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { engineFingerprint } from '../../src/pipeline/fingerprint.ts';
import { loadProblems } from '../../src/pipeline/problems.ts';
import { SERVER_ENGINES, type ServedEngine, serveOn, startServer, type TestServer } from './helpers.ts';

const MODEL = 'models/testbed.gguf';
const BUNDLE = 'models/testbed.lynx.json';
type Lynx = { exited: boolean; exit_reason: string; thinking_tokens: number; answer_tokens: number };

let served: ServedEngine;
let s: TestServer;

describe.runIf(existsSync(MODEL) && existsSync(BUNDLE)).each(SERVER_ENGINES)(
  'serve on the testbed model, on %s',
  (kind) => {
    beforeAll(async () => {
      served = await serveOn(
        kind,
        await LlamaCppEngine.load(MODEL, { threads: 1, contextSize: 1024 }),
        MODEL,
        'testbed',
      );
      const bundle = await loadBundle(BUNDLE, { expectFingerprint: engineFingerprint(served.engine) });
      s = await startServer(served.engine, {
        bundle,
        defaultLevel: { delta: 0.3 },
        modelName: 'testbed',
        temperature: 0.6,
      });
    });
    afterAll(async () => {
      await s?.close();
      await served?.dispose();
    });

    it('answers held-out problems with reasoning_content + a boxed answer; LYNX exits on some, and saves tokens when it does', async () => {
      const problems = loadProblems({ dataset: 'testbed-order', split: 'heldout', limit: 8, dataSeed: 11 });
      let exits = 0;
      for (const [i, p] of problems.entries()) {
        const ask = (lynx: unknown) =>
          s.client.chat.completions.create({
            model: 'testbed',
            messages: p.messages,
            max_tokens: 600,
            seed: i,
            // @ts-expect-error: lynx-exit's per-request extension
            lynx,
          });
        const on = (await ask({ delta: 0.3 })) as unknown as {
          choices: { message: { content: string; reasoning_content: string } }[];
          usage: { completion_tokens: number };
          lynx: Lynx;
        };
        const off = (await ask(false)) as unknown as typeof on;
        expect(off.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
        expect(off.choices[0].message.content).toMatch(/\\boxed\{/);
        expect(on.choices[0].message.content).toMatch(/\\boxed\{/);
        expect(off.lynx.exited).toBe(false);
        if (on.lynx.exited) {
          exits++;
          expect(on.lynx.exit_reason).toBe('cue-exit');
          // Same seed, same model: the exiting run is a prefix of the full one, so it decodes fewer tokens.
          expect(on.usage.completion_tokens).toBeLessThan(off.usage.completion_tokens);
        }
      }
      expect(exits).toBeGreaterThan(0);
    });
  },
);
