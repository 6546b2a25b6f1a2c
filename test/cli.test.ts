import { describe, expect, it } from 'vitest';
import { demoSteps, parseDemoStep } from '../src/cli/commands/demo.ts';
import { defaultMethods } from '../src/cli/commands/eval.ts';
import { main } from '../src/cli/main.ts';
import { parseMethodSpecs } from '../src/pipeline/eval/methodSpec.ts';
import { DEFAULT_EVAL_SEEDS } from '../src/pipeline/eval/seeds.ts';
import { DEFAULT_SAMPLE } from '../src/reason/sampling.ts';

/** Runs the CLI in-process and captures stderr. */
async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr: chunks.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

describe('lynx-exit CLI', () => {
  it('lists every subcommand in its help', async () => {
    const chunks: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string) => {
      chunks.push(String(c));
      return true;
    }) as typeof process.stdout.write;
    try {
      await main(['--help']);
    } finally {
      process.stdout.write = orig;
    }
    for (const cmd of ['demo', 'data', 'generate', 'collect', 'fit', 'eval', 'serve']) {
      expect(chunks.join('')).toContain(cmd);
    }
  });

  it('rejects an unknown subcommand', async () => {
    expect((await run(['no-such-command'])).code).not.toBe(0);
  });

  it('demo: a missing model is a clear error, not a stack trace', async () => {
    const r = await run(['demo', '--model', '/nonexistent/model.gguf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model \/nonexistent\/model\.gguf not found/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('demo: fits a bundle only when it is missing or --refit is given', () => {
    const o = {
      model: 'm.gguf',
      bundle: 'b.lynx.json',
      out: 'out',
      refit: false,
      collectLimit: 5,
      limit: 3,
      seeds: '1',
      temperatures: '0.6',
      maxTokens: 100,
    };
    expect(demoSteps(o, true).map((s) => s[0])).toEqual(['eval']);
    expect(demoSteps(o, false).map((s) => s[0])).toEqual(['collect', 'collect', 'fit', 'eval']);
    expect(demoSteps({ ...o, refit: true }, true).map((s) => s[0])).toEqual([
      'collect',
      'collect',
      'fit',
      'eval',
    ]);
  });

  it('demo: each step is parsed by its own command, defaults included', () => {
    const o = {
      model: 'm.gguf',
      bundle: 'b.lynx.json',
      out: 'out',
      refit: true,
      collectLimit: 5,
      limit: 3,
      seeds: DEFAULT_EVAL_SEEDS.join(','),
      temperatures: '0.6',
      maxTokens: 100,
    };
    const steps = demoSteps(o, false).map(parseDemoStep);
    expect(steps.map((s) => s.command)).toEqual(['collect', 'collect', 'fit', 'eval']);
    const [collect, , fit, evalStep] = steps;
    expect(collect.options).toMatchObject({
      limit: 5,
      maxTokens: 100,
      topP: DEFAULT_SAMPLE.topP,
      samples: 1,
    });
    expect(fit.options).toMatchObject({ out: 'b.lynx.json', probe: 'mlp' });
    expect(evalStep.options).toMatchObject({ seeds: [...DEFAULT_EVAL_SEEDS], limit: 3, exitMaxTokens: 64 });
  });

  it('eval: without --methods, LYNX runs at the default delta exactly when a bundle is given', () => {
    expect(parseMethodSpecs(defaultMethods(true)).map((m) => m.label)).toContain('lynx:delta=0.1');
    expect(parseMethodSpecs(defaultMethods(false)).some((m) => m.name === 'lynx')).toBe(false);
  });
});
