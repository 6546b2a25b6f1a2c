import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { exitHappyBundle, loadEngine, QUESTION, startServer, type TestServer } from './helpers.ts';

/** Reasoning and answer texts of the cycle model's greedy chain (see src/testing/testModels.ts). */
const FULL_REASONING =
  ' so the answer is four wait let me check again hmm Wait Hmm but then alternatively Alternatively therefore we have';

let engine: LlamaCppEngine;
let s: TestServer;

beforeAll(async () => {
  engine = await loadEngine();
  s = await startServer(engine, { bundle: exitHappyBundle(engine), defaultLevel: { delta: 0.1 } });
});
afterAll(async () => {
  await s?.close();
  await engine?.dispose();
});

describe('chat completions with the official client', () => {
  it('lists the model', async () => {
    const models = await s.client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['cycle']);
  });

  it('answers without exit: reasoning_content holds the whole thought, content the answer', async () => {
    const r = await s.client.chat.completions.create({
      model: 'cycle',
      messages: QUESTION,
      lynx: false,
    } as never);
    const msg = r.choices[0].message as { content: string; reasoning_content: string };
    console.log(JSON.stringify(r, null, 1));
    expect(msg.reasoning_content).toBe(FULL_REASONING);
    expect(msg.content).toBe('Final Answer: \\boxed{4}');
  });

  it('exits early with the bundle', async () => {
    const r = await s.client.chat.completions.create({ model: 'cycle', messages: QUESTION });
    console.log(JSON.stringify(r, null, 1));
  });

  it('streams', async () => {
    const stream = await s.client.chat.completions.create({
      model: 'cycle',
      messages: QUESTION,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of stream) console.log(JSON.stringify(c));
  });
});
