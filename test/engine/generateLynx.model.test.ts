import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/bundle/index.ts';
import { type GenerateCommandOptions, runGenerate } from '../../src/cli/commands/generate.ts';
import type { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';
import { exitHappyBundle, loadEngine } from '../server/helpers.ts';

let engine: LlamaCppEngine;
let bundlePath: string;
let modelPath: string;
beforeAll(async () => {
  modelPath = (await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' })).path;
  engine = await loadEngine();
  bundlePath = join(mkdtempSync(join(tmpdir(), 'lynx-gen-')), 'b.lynx.json');
  await saveBundle(bundlePath, exitHappyBundle(engine));
});
afterAll(async () => engine.dispose());

async function generate(extra: Partial<GenerateCommandOptions>) {
  let stdout = '';
  let stderr = '';
  const result = await runGenerate(
    {
      model: modelPath,
      prompt: ' What two plus two?',
      maxTokens: 100,
      temperature: 0,
      topP: 1,
      topK: 0,
      seed: 0,
      chatFormat: 'auto',
      raw: false,
      threads: 1,
      contextSize: 1024,
      ...extra,
    },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  return { result, stdout, stderr };
}

describe('generate --bundle (LYNX early exit through the shared reasoning loop)', () => {
  it('exits at the first cue when the bundle says so: the cue token is not printed, the exit cue and answer are', async () => {
    const plain = await generate({});
    const lynx = await generate({ bundle: bundlePath, delta: 0.1 });
    expect(plain.stdout).toContain(' wait');
    expect(lynx.stderr).toMatch(/LYNX exit at thinking token \d+/);
    // Everything before the first cue is kept, the cue itself is rolled back.
    const beforeCue = plain.stdout.slice(0, plain.stdout.indexOf(' wait'));
    expect(lynx.stdout.startsWith(beforeCue)).toBe(true);
    expect(lynx.stdout.slice(beforeCue.length)).toMatch(/^<\/think> Final Answer: \\boxed\{4\}/);
    expect(lynx.result.tokens.length).toBeLessThan(plain.result.tokens.length);
  });

  it('does not exit at a level the bundle does not allow (δ = 0.05)', async () => {
    const r = await generate({ bundle: bundlePath, delta: 0.05 });
    expect(r.stderr).toMatch(/no early exit/);
    expect(r.stdout).toContain(' wait');
  });
});
