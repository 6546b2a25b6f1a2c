// Feature layers end to end on the reference engine (which exposes every layer) and the testbed model:
// collect with several layers stores, per cue, the engine's states of those layers concatenated in
// order; cutting the rows to a subset equals collecting that subset; fit keeps the layers in the
// bundle, and the online LYNX policy reads exactly those layers, in that order, at each cue.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeAnswer } from '../../src/answers/grade.ts';
import type { Bundle } from '../../src/bundle/Bundle.ts';
import { ReferenceEngine } from '../../src/engine/reference/ReferenceEngine.ts';
import { collectEvents, rolloutSeed } from '../../src/pipeline/collect.ts';
import { type EventsData, problemKey, readEvents } from '../../src/pipeline/events.ts';
import { selectLayers } from '../../src/pipeline/featureLayers.ts';
import { fitBundle } from '../../src/pipeline/fit.ts';
import { loadProblems, type WorkProblem } from '../../src/pipeline/problems.ts';
import { replayLynx, replayRollouts } from '../../src/pipeline/replay.ts';
import { lynxPolicy } from '../../src/reason/policies/lynx.ts';
import { runReasoning } from '../../src/reason/runReasoning.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lynx-layers-'));
const LAYERS = [0, 2, -1];
const settings = { temperature: 0.6, topP: 0.95, seed: 3, samples: 1, maxTokens: 400, exitMaxTokens: 24 };
const sample = (p: WorkProblem) => ({
  temperature: settings.temperature,
  topP: settings.topP,
  seed: rolloutSeed(settings.seed, p.task, p.id, 0),
});
const problems = (slice: 'train' | 'calib', limit: number) =>
  loadProblems({ dataset: 'testbed-arith', split: 'heldout', slice, limit, dataSeed: 9 });

let engine: ReferenceEngine;
let train: EventsData;
let calib: EventsData;
beforeAll(async () => {
  engine = await ReferenceEngine.load('models/testbed.gguf', { contextSize: 1024 });
  for (const slice of ['train', 'calib'] as const)
    await collectEvents(engine, problems(slice, 10), {
      ...settings,
      layers: LAYERS,
      out: path.join(dir, slice),
    });
  train = readEvents(path.join(dir, 'train'));
  calib = readEvents(path.join(dir, 'calib'));
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A logistic probe and Mondrian thresholds on the stores cut to `layers`. */
function fitOn(layers: number[]): Bundle {
  return fitBundle({
    train: selectLayers(train, layers),
    calib: selectLayers(calib, layers),
    probe: 'logreg',
    deltas: [0.01, 0.3],
    alphas: [],
    epsilon: 0.1,
    seed: 0,
  }).bundle;
}

describe('feature layers', () => {
  it("collect stores the cue token's states of every requested layer, concatenated in order", async () => {
    const D = engine.info.hiddenSize;
    expect(train.meta.layers).toEqual(LAYERS);
    expect(train.dim).toBe(LAYERS.length * D);
    expect(train.X.length).toBe(train.events.length * LAYERS.length * D);
    expect(train.events.length).toBeGreaterThan(20);
    // Re-decode two rollouts up to each cue token (draws depend on seed and position only, so the
    // forced exits collect ran in between do not matter) and read the states there.
    for (const p of problems('train', 2)) {
      const events = train.events.flatMap((e, i) => (e.problemId === p.id ? [{ ...e, i }] : []));
      expect(events.length).toBeGreaterThan(0);
      const s = await engine.open(engine.tokenize(engine.formatChat(p.messages), { special: true }));
      let decoded = 0;
      for (const e of events) {
        await s.generate({ sample: sample(p), maxTokens: e.position + 1 - decoded });
        decoded = e.position + 1;
        const want = (await s.hidden(LAYERS)).flatMap((h) => [...h]);
        expect([...train.X.subarray(e.i * train.dim, (e.i + 1) * train.dim)]).toEqual(want);
      }
      await s.close();
    }
  });

  it('cutting rows to some layers equals collecting those layers', async () => {
    const out = path.join(dir, 'final-only');
    await collectEvents(engine, problems('train', 10), { ...settings, layers: [-1], out });
    const alone = readEvents(out);
    const cut = selectLayers(train, [-1]);
    expect(cut.events.map((e) => [e.problemId, e.position, e.label])).toEqual(
      alone.events.map((e) => [e.problemId, e.position, e.label]),
    );
    expect(cut.dim).toBe(alone.dim);
    expect(cut.X).toEqual(alone.X);
  });

  it('fit keeps the layers; the online LYNX policy scores the same states in the same order', async () => {
    const layers = [2, -1];
    const bundle = fitOn(layers);
    expect(bundle.data.features).toEqual({ layers, dim: 2 * engine.info.hiddenSize });
    // Online on calibration problems with collect's seeds: each cue's probability must be the
    // probe's on that cue's stored row (cut to the bundle's layers).
    const rows = selectLayers(calib, layers);
    const D = engine.info.hiddenSize;
    let compared = 0;
    let swappedDiffers = false;
    for (const p of problems('calib', 3)) {
      const trace = await runReasoning(engine, p.messages, lynxPolicy({ bundle, delta: 0.01 }), {
        sample: sample(p),
        maxTokens: settings.maxTokens,
        answerMaxTokens: settings.exitMaxTokens,
      });
      const stored = rows.events.flatMap((e, i) => (e.problemId === p.id ? [{ ...e, i }] : []));
      for (const cue of trace.cueEvents) {
        const e = stored.find((x) => x.position === cue.position);
        if (!e) throw new Error(`no stored event at position ${cue.position} of ${p.id}`);
        const row = rows.X.slice(e.i * rows.dim, (e.i + 1) * rows.dim);
        expect(cue.p).toBeCloseTo(bundle.probe.predictProba(row), 12);
        // The same states in the other order would score differently: the check can fail.
        const swapped = Float32Array.from([...row.subarray(D), ...row.subarray(0, D)]);
        if (Math.abs(bundle.probe.predictProba(swapped) - (cue.p ?? 0)) > 1e-3) swappedDiffers = true;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
    expect(swappedDiffers).toBe(true);
  });

  it('LYNX replayed from the store is LYNX run online: the same exits, tokens and correctness', async () => {
    const layers = [0, 2, -1];
    const bundle = fitOn(layers);
    const rows = selectLayers(calib, layers);
    const p = bundle.probe.predictProbaBatch({ data: rows.X, rows: rows.events.length, cols: rows.dim });
    const replayed = replayRollouts(rows, p);
    const exits = [0, 0];
    for (const delta of [0.01, 0.3]) {
      for (const problem of problems('calib', 8)) {
        const trace = await runReasoning(engine, problem.messages, lynxPolicy({ bundle, delta }), {
          sample: sample(problem),
          maxTokens: settings.maxTokens,
          answerMaxTokens: settings.exitMaxTokens,
        });
        const r = replayed.find((x) => x.problem === problemKey(problem.task, problem.id));
        if (!r) throw new Error(`no stored rollout of ${problem.id}`);
        const one = replayLynx([r], bundle.perClassFor(delta));
        const exited = trace.exit.reason === 'cue-exit';
        const what = `${problem.id} at delta ${delta}`;
        expect(exited, what).toBe(one.exitRate === 1);
        expect(trace.counts.used, what).toBe(one.meanTokens);
        const correct =
          trace.answerText.length > 0 && gradeAnswer(problem.kind, trace.answerText, problem.gold);
        expect(correct, what).toBe(one.accuracy === 1);
        exits[exited ? 1 : 0]++;
      }
    }
    // Both branches were exercised: rollouts that exit at a cue and rollouts that run to the end.
    expect(Math.min(...exits)).toBeGreaterThan(0);
  });
});
