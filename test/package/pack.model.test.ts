// The package as users get it: `npm pack`, unpacked into an empty project's node_modules the way npm
// installs it (its dependencies linked from this checkout, so no network is needed), then imported
// from plain Node ESM and type-checked from a NodeNext TypeScript project, and run: LYNX on the
// packaged testbed model in a few lines, through lynx-exit's loader, through a node-llama-cpp
// model the user loaded, and through the SGLang engine talking to the packaged SGLang-wire test server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'lynx-pack-'));
const app = path.join(dir, 'app');
let packed: { files: Array<{ path: string }>; size: number };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // `npm pack` runs `prepare`, i.e. the build.
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: repo,
    encoding: 'utf8',
  });
  packed = JSON.parse(out.slice(out.indexOf('[')))[0];
  const modules = path.join(app, 'node_modules');
  mkdirSync(path.join(modules, 'lynx-exit'), { recursive: true });
  execFileSync('tar', [
    '-xzf',
    path.join(dir, `lynx-exit-0.1.0.tgz`),
    '-C',
    path.join(modules, 'lynx-exit'),
    '--strip-components=1',
  ]);
  for (const name of readdirSync(path.join(repo, 'node_modules'))) {
    if (name.startsWith('.') || name === 'lynx-exit') continue;
    symlinkSync(path.join(repo, 'node_modules', name), path.join(modules, name));
  }
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
}, 180_000);

const run = (file: string) =>
  execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', () => {
  it('holds the build, the CLI, the testbed model and docs; no sources, tests, benches or logs', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/model/kernels.wasm');
    expect(files).toContain('bin/lynx-exit.mjs');
    expect(files).toContain('models/testbed.gguf');
    expect(
      files.filter(
        (f) =>
          /^(src|test|bench|scripts|reports)\//.test(f) || /train-log|\.ts$/.test(f.replace(/\.d\.ts$/, '')),
      ),
    ).toEqual([]);
  });

  it('imports from plain Node ESM and runs LYNX on the testbed model', () => {
    writeFileSync(
      path.join(app, 'main.mjs'),
      `import { loadBundle, lynxPolicy, runReasoning, gradeAnswer } from 'lynx-exit';
import { LlamaCppEngine } from 'lynx-exit/llamacpp';
import { loadProblems } from 'lynx-exit/pipeline';
import { RemoteEngineError, SglangEngine, SglangHttpError } from 'lynx-exit/sglang';
import { createScriptedEngine, startSglangWireServer } from 'lynx-exit/testing';
import { getLlama } from 'node-llama-cpp';

const pkg = (f) => new URL(f, import.meta.resolve('lynx-exit/package.json')).pathname;
const [problem] = loadProblems({ dataset: 'testbed-arith', split: 'heldout', slice: 'test', limit: 1 });
const bundle = await loadBundle(pkg('models/testbed.lynx.json'));
const engine = await LlamaCppEngine.load(pkg('models/testbed.gguf'), { gpu: 'off' });
const trace = await runReasoning(engine, problem.messages, lynxPolicy({ bundle, delta: 0.2 }), { maxTokens: 640 });
await engine.dispose();

// A node-llama-cpp user's own model.
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath: pkg('models/testbed.gguf') });
const own = await LlamaCppEngine.fromModel(model);
const again = await runReasoning(own, problem.messages, lynxPolicy({ bundle, delta: 0.2 }), { maxTokens: 640 });
await own.dispose();
const stillLoaded = model.tokenize('2').length > 0;
await model.dispose();

// Through SGLang's wire API: the wire test server in front of a llama.cpp engine.
const backing = await LlamaCppEngine.load(pkg('models/testbed.gguf'), { gpu: 'off' });
const wire = await startSglangWireServer({ engine: backing });
const tokenizer = await LlamaCppEngine.loadTokenizer(pkg('models/testbed.gguf'));
const remote = await SglangEngine.connect({ url: wire.url, tokenizer, ownsTokenizer: true });
const viaSglang = await runReasoning(remote, problem.messages, lynxPolicy({ bundle, delta: 0.2 }), { maxTokens: 640 });
const reads = remote.stats.hiddenRequests;
await remote.dispose();
await wire.close();
await backing.dispose();
const httpError = new SglangHttpError(503, '/generate', 'busy') instanceof RemoteEngineError;

const fake = createScriptedEngine({ thinking: 'Two and two. Wait, four.', answer: ' \\\\boxed{4}' });
let blocked = false;
try { await import('lynx-exit/dist/errors.js'); } catch (e) { blocked = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'; }
console.log(JSON.stringify({
  exit: trace.exit.reason, answer: trace.answerText, correct: gradeAnswer(problem.kind, trace.answerText, problem.gold),
  same: again.text === trace.text, stillLoaded, fakeVocab: fake.info.vocabSize > 0, blocked,
  sameViaSglang: viaSglang.text === trace.text, reads, httpError,
}));
`,
    );
    const r = JSON.parse(run('main.mjs').trim().split('\n').pop() ?? '{}');
    expect(['cue-exit', 'natural-end', 'eos', 'max-tokens']).toContain(r.exit);
    expect(r.answer).toMatch(/\\boxed\{/);
    expect(r.same).toBe(true);
    expect(r.stillLoaded).toBe(true);
    expect(r.fakeVocab).toBe(true);
    expect(r.blocked).toBe(true);
    expect(r.sameViaSglang).toBe(true);
    expect(r.reads).toBeGreaterThan(0);
    expect(r.httpError).toBe(true);
  }, 120_000);

  it('type-checks from a NodeNext TypeScript project', () => {
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    writeFileSync(
      path.join(app, 'check.ts'),
      `import { type Engine, type ExitPolicy, lynxPolicy, runReasoning, Bundle, MondrianConformal } from 'lynx-exit';
import { LlamaCppEngine, type LlamaCppLoadOptions } from 'lynx-exit/llamacpp';
import { auditEvents, fitBundle, type FitReport } from 'lynx-exit/pipeline';
import { SglangClient, SglangEngine, type SglangConnectOptions, type SglangEngineStats, SglangHttpError } from 'lynx-exit/sglang';
import { createScriptedEngine, startSglangWireServer, type SglangWireServer } from 'lynx-exit/testing';

const options: LlamaCppLoadOptions = { gpu: 'off', parallel: 2 };
export async function demo(bundle: Bundle): Promise<string> {
  const engine: Engine = await LlamaCppEngine.load('m.gguf', options);
  const policy: ExitPolicy = lynxPolicy({ bundle, delta: 0.1 });
  const trace = await runReasoning(engine, 'prompt', policy);
  const q = new MondrianConformal([0.2, 0.9], [0, 1]).quantiles(0.5);
  const report: FitReport | undefined = undefined;
  void auditEvents; void fitBundle; void createScriptedEngine; void report;
  return trace.answerText + q.q0;
}
export async function viaSglang(opts: SglangConnectOptions, wire: SglangWireServer): Promise<SglangEngineStats> {
  const engine: Engine = await SglangEngine.connect({ ...opts, url: wire.url });
  const client = new SglangClient({ url: wire.url });
  const status: number = new SglangHttpError(503, '/generate', 'busy').status;
  void client; void status; void startSglangWireServer;
  return (engine as SglangEngine).stats;
}
`,
    );
    const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
    let out = '';
    try {
      out = execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out.trim()).toBe('');
  }, 120_000);
});
