// The CLI on `--engine sglang --url` against the SGLang-wire test server (src/testing/SglangWireServer.ts),
// which is backed by the embedded llama.cpp engine on the testbed model: the same commands on both
// engines must give the same results, through a bounded number of requests, and bundles must move
// between the engines exactly when the model is the same.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveBundle } from '../../src/bundle/io.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import type { EvalRow } from '../../src/pipeline/eval/row.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import { loadBundleFor } from '../../src/pipeline/fingerprint.ts';
import {
  type SglangWireServer,
  startSglangWireServer,
  type WireTraceEntry,
} from '../../src/testing/SglangWireServer.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';
import { runCli } from '../runCli.ts';
import { exitHappyBundle, loadEngine } from '../server/helpers.ts';

const TESTBED = 'models/testbed.gguf';
const BUNDLE = 'models/testbed.lynx.json';
const dir = mkdtempSync(join(tmpdir(), 'lynx-cli-sglang-'));

let backing: LlamaCppEngine;
let wire: SglangWireServer;

beforeAll(async () => {
  backing = await LlamaCppEngine.load(TESTBED, { threads: 1, contextSize: 1024, parallel: 4 });
  wire = await startSglangWireServer({ engine: backing, modelPath: 'lynx/testbed' });
}, 60_000);
afterAll(async () => {
  await wire?.close();
  await backing?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The engine flags of each side: the GGUF in-process, or the wire server (the GGUF read for its tokenizer). */
const engineArgs = (engine: 'llamacpp' | 'sglang') =>
  engine === 'llamacpp'
    ? ['--model', TESTBED, '--threads', '1', '--context-size', '1024']
    : ['--model', TESTBED, '--engine', 'sglang', '--url', wire.url];

/** Wire requests made while `run` ran. */
async function traced<T>(run: () => Promise<T>): Promise<{ result: T; requests: WireTraceEntry[] }> {
  const before = wire.trace.length;
  const result = await run();
  return { result, requests: wire.trace.slice(before) };
}

/** `generate` of a short reply with `bundle` on the engine `args` name (where a bundle is refused). */
const generateWith = (args: string[], bundle: string) =>
  runCli(['generate', ...args, '--bundle', bundle, '--max-tokens', '4', 'hi']);

const isHiddenRead = (e: WireTraceEntry) => e.path === '/generate' && e.rid?.startsWith('lynx-h-') === true;

describe('eval --engine sglang equals eval on the embedded engine', () => {
  const rowsOf = async (engine: 'llamacpp' | 'sglang'): Promise<EvalRow[]> => {
    const out = join(dir, `eval-${engine}`);
    const { code, err } = await runCli([
      'eval',
      ...engineArgs(engine),
      '--bundle',
      BUNDLE,
      '--datasets',
      'testbed-arith',
      '--split',
      'heldout',
      '--slice',
      'test',
      '--limit',
      '30',
      '--methods',
      'vanilla,lynx:delta=0.1,deer',
      '--temperatures',
      '0',
      '--seeds',
      '1',
      '--max-tokens',
      '400',
      '--parallel',
      '4',
      '--no-labels',
      '--report-traces',
      '0',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(code, err).toBe(0);
    return readFileSync(join(out, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EvalRow);
  };
  const essence = (r: EvalRow) => ({
    label: r.label,
    problemId: r.problemId,
    answer: r.answer,
    answerText: r.answerText,
    thinkingText: r.thinkingText,
    correct: r.correct,
    counts: r.counts,
    exit: r.exit,
    finish: r.finish,
    // The probe's p is compared apart, within a tolerance: the server computes the cue's state in
    // a one-token evaluation, the embedded engine in the (batched) decode stream, and they round
    // differently. So are DEER's confidences (means of the trial's token probabilities).
    cueEvents: r.cueEvents.map(({ p, details, ...c }) => ({
      ...c,
      hasP: p !== undefined,
      details:
        details && Object.fromEntries(Object.entries(details).filter(([, v]) => typeof v !== 'number')),
    })),
    trials: r.trials,
  });

  it('same answers, token counts and exits for vanilla, LYNX and DEER on 30 held-out problems (greedy); requests and hidden vectors bounded', async () => {
    const embedded = await rowsOf('llamacpp');
    const { result: served, requests } = await traced(() => rowsOf('sglang'));
    expect(served).toHaveLength(90);
    const key = (r: EvalRow) => `${r.label}/${r.problemId}`;
    const byKey = new Map(embedded.map((r) => [key(r), r]));
    let maxPDiff = 0;
    for (const r of served) {
      const e = byKey.get(key(r)) as EvalRow;
      expect(essence(r)).toEqual(essence(e));
      r.cueEvents.forEach((c, i) => {
        if (c.p !== undefined) maxPDiff = Math.max(maxPDiff, Math.abs(c.p - (e.cueEvents[i].p as number)));
        for (const [k, v] of Object.entries(c.details ?? {}))
          if (typeof v === 'number' && k !== 'check')
            maxPDiff = Math.max(maxPDiff, Math.abs(v - (e.cueEvents[i].details?.[k] as number)));
      });
    }
    expect(maxPDiff).toBeLessThan(5e-3);
    const lynxExits = served.filter((r) => r.label.startsWith('lynx') && r.exit.reason === 'cue-exit').length;
    expect(lynxExits).toBeGreaterThan(0);

    // Requests per problem run: one per cue segment (plus one hidden-state read per LYNX cue), one
    // per trial and forced exit, and the final answer; never one per token. Connecting costs 3
    // (model info, server info, the tokenizer check); eval's untimed warm-up run is one more run.
    const decodes = requests.filter((e) => e.path === '/generate');
    let bound = 3 + 2;
    let tokens = 0;
    for (const r of served) {
      const probes = r.label.startsWith('lynx') ? r.cueEvents.length : 0;
      bound += r.cueEvents.length + 1 + probes + r.trials + 2;
      tokens += r.counts.total;
    }
    expect(requests.length).toBeLessThanOrEqual(bound);
    expect(decodes.length).toBeLessThan(tokens / 4);
    // Hidden-state vectors: one per LYNX cue read (at most 2), never one per generated token.
    const cuesRead = served
      .filter((r) => r.label.startsWith('lynx'))
      .reduce((s, r) => s + r.cueEvents.filter((c) => c.p !== undefined).length, 0);
    const reads = requests.filter(isHiddenRead);
    expect(reads).toHaveLength(cuesRead);
    const vectors = requests.reduce((s, e) => s + (e.hiddenVectors ?? 0), 0);
    expect(vectors).toBeLessThanOrEqual(2 * cuesRead + 1);
  }, 600_000);
});

describe('collect --engine sglang equals collect on the embedded engine', () => {
  const collect = async (engine: 'llamacpp' | 'sglang', slice: 'train' | 'calib') => {
    const out = join(dir, `events-${engine}-${slice}`);
    const { code, err } = await runCli([
      'collect',
      ...engineArgs(engine),
      '--dataset',
      'testbed-arith',
      '--split',
      'heldout',
      '--slice',
      slice,
      '--limit',
      '16',
      '--temperature',
      '0.6',
      '--seed',
      '5',
      '--max-tokens',
      '400',
      '--parallel',
      '4',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(code, err).toBe(0);
    return out;
  };

  let sglangTrain = '';
  it('same events at T=0.6 under the same seeds (labels, positions, forced answers; features within 1e-3 of their largest value), in a bounded number of requests', async () => {
    const local = readEvents(await collect('llamacpp', 'train'));
    const { result: prefix, requests } = await traced(() => collect('sglang', 'train'));
    sglangTrain = prefix;
    const remote = readEvents(prefix);
    expect(remote.events.length).toBeGreaterThan(16);
    const strip = ({ row, ...e }: (typeof local.events)[number]) => e;
    expect(remote.events.map(strip)).toEqual(local.events.map(strip));
    expect(remote.meta.model.id).toBe('lynx/testbed');
    expect(remote.meta.model.fingerprint).toEqual({
      ...local.meta.model.fingerprint,
      weightsHash: undefined,
    });
    // The cue's state: a one-token evaluation on the server, the decode stream here; both float32.
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < local.X.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(local.X[i] - remote.X[i]));
      scale = Math.max(scale, Math.abs(local.X[i]));
    }
    expect(remote.X.length).toBe(local.X.length);
    expect(scale).toBeGreaterThan(0.1);
    expect(maxDiff / scale, `max |diff| ${maxDiff}, max |x| ${scale}`).toBeLessThan(1e-3);

    // Per rollout: its cue segments (cues + 1), one hidden-state read and one forced exit per cue,
    // and at most 2 for the answer; plus the 3 connect requests. Two vectors per cue at most.
    const cues = remote.events.length;
    const rollouts = new Set(remote.events.map((e) => e.problemId)).size;
    expect(rollouts).toBeGreaterThan(0);
    expect(requests.length).toBeLessThanOrEqual(3 + 16 * 3 + 3 * cues);
    expect(requests.filter(isHiddenRead)).toHaveLength(cues);
    expect(requests.reduce((s, e) => s + (e.hiddenVectors ?? 0), 0)).toBeLessThanOrEqual(2 * cues + 1);
  }, 600_000);

  it('a bundle fitted through SGLang loads on llama.cpp with the same model, and is refused by another, naming both', async () => {
    expect(sglangTrain).not.toBe('');
    const calib = await collect('sglang', 'calib');
    const bundle = join(dir, 'via-sglang.lynx.json');
    const fit = await runCli([
      'fit',
      '--train',
      sglangTrain,
      '--calib',
      calib,
      '--probe',
      'logreg',
      '--deltas',
      '0.2',
      '--alphas',
      '0.2',
      '--out',
      bundle,
    ]);
    expect(fit.code, fit.err).toBe(0);
    const loaded = await loadBundleFor(bundle, backing);
    expect(loaded.data.model.id).toBe('lynx/testbed');
    expect(loaded.fingerprint.weightsHash).toBeUndefined();
    const other = await buildTestModel({ kind: 'cycle', arch: 'qwen2', tokenizer: 'bpe' });
    const refused = await generateWith(['-m', other.path], bundle);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /bundle was made for qwen2 4 layers hidden 128 vocab 768\/\w+ \(lynx\/testbed\); this model is .* \(.*\.gguf on llama\.cpp\)/,
    );
  }, 600_000);
});

describe('audit --engine sglang', () => {
  it("collects the audit's rollouts through SGLang and audits them", async () => {
    const out = join(dir, 'audit');
    const { code, err } = await runCli([
      'audit',
      ...engineArgs('sglang'),
      '--bundle',
      BUNDLE,
      '--dataset',
      'testbed-arith',
      '--limit',
      '4',
      '--parallel',
      '4',
      '--no-progress',
      '--out',
      out,
    ]);
    // Exit 1 is a verdict (a level failed on 4 problems), not an error.
    expect([0, 1], err).toContain(code);
    const events = readEvents(join(out, 'events'));
    expect(events.meta.model.id).toBe('lynx/testbed');
    expect(new Set(events.events.map((e) => e.problemId)).size).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'audit.json'), 'utf8')).toContain('"holds"');
  }, 120_000);
});

describe('bundles on --engine sglang', () => {
  it("the embedded engine's bundle loads on SGLang over the same model; another model's is refused, naming both", async () => {
    const ok = await runCli([
      'generate',
      ...engineArgs('sglang'),
      '--bundle',
      BUNDLE,
      '--max-tokens',
      '40',
      '-t',
      '0',
      'What is 2 + 3?',
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toMatch(/\[generate\] prompt \d+ tok/);
    const engine = await loadEngine();
    const cycleBundle = join(dir, 'cycle.lynx.json');
    try {
      await saveBundle(cycleBundle, exitHappyBundle(engine));
    } finally {
      await engine.dispose();
    }
    const refused = await generateWith(engineArgs('sglang'), cycleBundle);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /bundle was made for .* \(.*\.gguf\); this model is qwen2 4 layers hidden 128 vocab 768\/\w+ \(lynx\/testbed on sglang\)/,
    );
    expect(refused.err.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('on a server without hidden states, refuses a LYNX bundle naming the server flag', async () => {
    const off = await startSglangWireServer({
      engine: backing,
      modelPath: 'lynx/testbed',
      enableReturnHiddenStates: false,
    });
    try {
      const r = await generateWith(['--model', TESTBED, '--engine', 'sglang', '--url', off.url], BUNDLE);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /gives layers none for lynx\/testbed; .*relaunch it with --enable-return-hidden-states/,
      );
      expect(r.err.trim().split('\n')).toHaveLength(1);
    } finally {
      await off.close();
    }
  }, 60_000);
});
