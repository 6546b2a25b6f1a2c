/** `lynx-exit serve`: the real CLI process (SIGTERM shutdown) and its startup checks. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/bundle/io.ts';
import { type ServeOptions, startServe } from '../../src/cli/commands/serve.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { UserError } from '../../src/errors.ts';
import { startSglangWireServer } from '../../src/testing/SglangWireServer.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';
import { exitHappyBundle, loadEngine, QUESTION } from './helpers.ts';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;
let modelPath: string;
let bundlePath: string;
let otherModelPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lynx-serve-'));
  modelPath = (await buildTestModel({ kind: 'cycle' })).path;
  otherModelPath = (await buildTestModel({ kind: 'cycle', arch: 'llama', tokenizer: 'spm' })).path;
  const engine = await loadEngine();
  try {
    bundlePath = join(dir, 'test.lynx.json');
    await saveBundle(bundlePath, exitHappyBundle(engine));
  } finally {
    await engine.dispose();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: ServeOptions = {
  model: '',
  host: '127.0.0.1',
  port: 0,
  maxQueue: 4,
  threads: 1,
  contextSize: 1024,
  temperature: 0,
  topP: 1,
  chatFormat: 'auto',
  shutdownTimeout: 2,
  parallel: 2,
  timeout: 600,
};

describe('serve startup', () => {
  it('refuses a bundle made for another model, naming both', async () => {
    const err = await startServe({ ...base, model: otherModelPath, bundle: bundlePath }, () => {}).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/bundle was made for qwen2 .* this model is llama/);
  });

  it('says exit is off without a bundle, and rejects --delta without one', async () => {
    const lines: string[] = [];
    const running = await startServe({ ...base, model: modelPath }, (l) => lines.push(l));
    await running.stop();
    expect(lines.join('\n')).toMatch(/early exit is OFF/);
    await expect(startServe({ ...base, model: modelPath, delta: 0.1 }, () => {})).rejects.toThrow(
      /need a LYNX bundle/,
    );
  });

  it('the CLI process serves with early exit and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repo, 'bin/lynx-exit.mjs'),
        'serve',
        '-m',
        modelPath,
        '-b',
        bundlePath,
        '--port',
        '0',
        '--threads',
        '1',
        '--context-size',
        '1024',
        '-t',
        '0',
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/v1)\n/.exec(out);
        if (m) res(m[1]);
      });
      child.on('exit', (code) => rej(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const client = new OpenAI({ baseURL: url, apiKey: 'none', maxRetries: 0 });
    const name = (await client.models.list()).data[0].id;
    const r = (await client.chat.completions.create({ model: name, messages: QUESTION })) as unknown as {
      lynx: { exited: boolean };
    };
    expect(r.lynx.exited).toBe(true);
    const code = await new Promise<number | null>((res) => {
      child.on('exit', (c) => res(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(/early exit ON by default at delta 0.1/);
    expect(stderr).toMatch(/SIGTERM/);
  }, 60_000);
});

describe('serve --engine sglang', () => {
  it('serves through an SGLang server with the bundle of the same model, and says where the model runs', async () => {
    const backing = await LlamaCppEngine.load(modelPath, { threads: 1, contextSize: 1024, parallel: 2 });
    const wire = await startSglangWireServer({ engine: backing, modelPath: 'org/cycle' });
    try {
      const lines: string[] = [];
      const sglang = { ...base, threads: undefined, engine: 'sglang' as const, url: wire.url };
      await expect(startServe({ ...sglang, model: otherModelPath }, () => {})).rejects.toThrow(
        /tokenizes differently from the local tokenizer/,
      );
      const running = await startServe({ ...sglang, model: modelPath, bundle: bundlePath }, (l) =>
        lines.push(l),
      );
      try {
        const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'none', maxRetries: 0 });
        expect((await client.models.list()).data.map((m) => m.id)).toEqual(['org/cycle']);
        const r = (await client.chat.completions.create({
          model: 'org/cycle',
          messages: QUESTION,
        })) as unknown as {
          lynx: { exited: boolean };
        };
        expect(r.lynx.exited).toBe(true);
        expect(lines.join('\n')).toMatch(
          /\[serve\] model org\/cycle \(qwen2, context 1024, SGLang at http:\/\/127\.0\.0\.1:\d+/,
        );
        expect(wire.trace.filter((e) => e.path === '/generate').length).toBeGreaterThan(2);
      } finally {
        await running.stop();
      }
    } finally {
      await wire.close();
      await backing.dispose();
    }
  }, 60_000);
});
