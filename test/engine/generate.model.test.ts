import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runGenerate } from '../../src/cli/commands/generate.ts';
import { main } from '../../src/cli/main.ts';
import { buildTestModel, type TestModel } from '../../src/testing/testModels.ts';
import { runCli } from '../runCli.ts';

let model: TestModel;
beforeAll(async () => {
  model = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
});
afterEach(() => vi.restoreAllMocks());

/** The text the cycle model produces greedily after the chat prompt (from the builder's chain). */
function expectedCycleText(): string {
  const think = model.ids['\n'];
  const texts: string[] = [];
  let t = model.nextToken.get(think)!;
  while (t !== model.eosId) {
    texts.push(model.cycle.find((c) => c.id === t)!.text);
    t = model.nextToken.get(t)!;
  }
  return texts.join('');
}

describe('generate command', () => {
  it('streams the greedy cycle to stdout and a stats line to stderr', async () => {
    let out = '';
    let err = '';
    const result = await runGenerate(
      {
        model: model.path,
        prompt: 'what is two plus two',
        maxTokens: 100,
        temperature: 0,
        topP: 1,
        topK: 0,
        seed: 0,
        chatFormat: 'auto',
        raw: false,
        threads: 1,
        contextSize: 256,
      },
      { stdout: (t) => (out += t), stderr: (t) => (err += t) },
    );
    expect(result.stop).toBe('eog');
    expect(out).toBe(`${expectedCycleText()}\n`);
    expect(err).toMatch(/^\[generate\] prompt \d+ tok .*generated \d+ tok \(.* tok\/s\), stop: eog\n$/);
  });

  it('parses its flags through the CLI and stops at --max-tokens', async () => {
    const { code, out, err } = await runCli(
      [
        'generate',
        '-m',
        model.path,
        '--raw',
        '--max-tokens',
        '4',
        '--threads',
        '1',
        '--context-size',
        '256',
      ].concat(['--temperature', '0', '<think>\n so the']),
    );
    expect(code).toBe(0);
    expect(out).toBe(' answer is four wait\n');
    expect(err).toContain('generated 4 tok');
    expect(err).toContain('stop: max-tokens');
  });

  it('reports bad flags and files as errors without a stack trace', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
      err += String(t);
      return true;
    });
    expect(await main(['generate', '-m', model.path, '--top-p', '2', 'hi'])).toBe(2);
    expect(err).toContain('--top-p must be a number >= 0 and <= 1, got "2"');
    expect(await main(['generate', '-m', '/no/such/model.gguf', 'hi'])).toBe(2);
    expect(err).toContain('model file not found: /no/such/model.gguf');
    expect(await main(['generate', '-m', model.path, '--chat-format', 'nope', 'hi'])).toBe(2);
    expect(err).toContain('unknown chat format "nope"');
  });
});
