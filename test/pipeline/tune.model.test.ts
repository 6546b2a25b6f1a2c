// eval --tune and N% token counts on the cycle test model (its greedy chain is known: cues at
// thinking tokens 5, 10, 11, 12, 15, 16, answer \boxed{4}): every method runs on dev and test, each
// family is chosen on dev and reported on test, and vanilla's mean thinking on dev sizes `N%`.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../src/bundle/Bundle.ts';
import { LlamaCppEngine } from '../../src/engine/llamacpp/LlamaCppEngine.ts';
import { parseMethodSpecs } from '../../src/pipeline/eval/methodSpec.ts';
import { type EvalOptions, runEval } from '../../src/pipeline/eval/runEval.ts';
import { mean } from '../../src/pipeline/eval/stats.ts';
import type { WorkProblem } from '../../src/pipeline/problems.ts';
import { buildTestModel } from '../../src/testing/testModels.ts';
import { cycleBundle, cycleProblems } from './evalHelpers.ts';

let engine: LlamaCppEngine;
let bundle: Bundle;
let dir: string;
const renamed = (ps: WorkProblem[], prefix: string) => ps.map((p) => ({ ...p, id: `${prefix}${p.id}` }));
const dataset = {
  task: 'cycle',
  problems: renamed(cycleProblems(4), 't'),
  devProblems: renamed(cycleProblems(4), 'd'),
};
let base: EvalOptions;

beforeAll(async () => {
  const model = await buildTestModel({ kind: 'cycle' });
  engine = await LlamaCppEngine.load(model.path, { threads: 1, contextSize: 1024 });
  bundle = cycleBundle(engine);
  dir = await mkdtemp(join(tmpdir(), 'lynx-tune-'));
  base = {
    engine,
    bundle,
    methods: [],
    datasets: [dataset],
    temperatures: [0],
    seeds: [1],
    maxTokens: 200,
    out: dir,
  };
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

describe('eval --tune', () => {
  it('runs every method on dev and test, chooses on dev, reports on test', async () => {
    const methods = parseMethodSpecs('vanilla,lynx:delta=[0.1,0.3],fixed-budget:budget=[50%,100%]');
    const r = await runEval({ ...base, methods, tune: true, out: join(dir, 'tune') });
    const slices = (label: string) => new Set(r.rows.filter((x) => x.label === label).map((x) => x.slice));
    for (const m of methods) expect(slices(m.label)).toEqual(new Set(['dev', 'test']));
    expect(slices('@labels')).toEqual(new Set(['dev', 'test']));
    // The reference: vanilla's mean kept thinking on dev; 50% of it is the budget the runs stop at.
    const devVanilla = r.rows.filter((x) => x.label === 'vanilla' && x.slice === 'dev');
    const reference = mean(devVanilla.map((x) => x.counts.keptThinking));
    expect(r.summary.references).toEqual([
      {
        dataset: 'cycle',
        temperature: 0,
        slice: 'dev',
        label: 'vanilla',
        runs: 4,
        thinkingTokens: reference,
      },
    ]);
    for (const x of r.rows.filter((y) => y.label === 'fixed-budget:budget=50%'))
      expect(x.exit).toMatchObject({ reason: 'budget', position: Math.round(reference / 2) });
    // LYNX δ 0.3 exits at the first cue and keeps vanilla's accuracy (the model answers 4 either way).
    const lynx = r.summary.choices.find((c) => c.family === 'lynx δ')!;
    expect(lynx).toMatchObject({
      label: 'lynx:delta=0.3',
      chosenOn: 'dev',
      evaluatedOn: 'test',
      inSample: false,
    });
    expect(lynx.evaluated?.accuracyDelta).toBe(0);
    expect(r.summary.context.tuning).toEqual({ on: 'dev', reportedOn: ['test'], tolerance: 0.01 });
    expect(r.summary.margins[0].overControl?.family).toBe('fixed-budget');
    expect(r.table).toMatch(/slice/);
  }, 120_000);

  it('N% without --tune: vanilla alone runs on dev (added when not listed) to size the reported runs', async () => {
    const methods = parseMethodSpecs('position:after=[25%,60%]');
    const r = await runEval({ ...base, methods, out: join(dir, 'ref') });
    const dev = r.rows.filter((x) => x.slice === 'dev');
    expect(new Set(dev.map((x) => x.label))).toEqual(new Set(['vanilla']));
    expect(dev).toHaveLength(4);
    const reference = r.summary.references[0].thinkingTokens;
    const cues = [5, 10, 11, 12, 15, 16];
    for (const share of [0.25, 0.6]) {
      const after = Math.round(share * reference);
      for (const x of r.rows.filter((y) => y.label === `position:after=${share * 100}%`))
        expect(x.exit.position).toBe(cues.find((c) => c >= after));
    }
    // Nothing chosen on a slice reported on without saying so: no vanilla on test, no choices.
    expect(r.summary.choices).toEqual([]);
  }, 120_000);

  it('refuses what would leak or cannot be chosen', async () => {
    const methods = parseMethodSpecs('vanilla,lynx:delta=0.3');
    await expect(
      runEval({ ...base, methods: parseMethodSpecs('lynx:delta=0.3'), tune: true }),
    ).rejects.toThrow(/list vanilla/);
    const overlapping = { ...dataset, devProblems: dataset.problems.slice(0, 1) };
    await expect(runEval({ ...base, methods, tune: true, datasets: [overlapping] })).rejects.toThrow(
      /in dev and in test; they must be disjoint/,
    );
    await expect(
      runEval({ ...base, methods, tune: true, datasets: [{ ...dataset, slice: 'all' }] }),
    ).rejects.toThrow(/--slice all holds the dev problems/);
    await expect(
      runEval({
        ...base,
        methods: parseMethodSpecs('fixed-budget:budget=50%'),
        datasets: [{ task: 'gsm8k' }],
      }),
    ).rejects.toThrow(/N% token counts are sized on dev/);
  });

  it('tunes on fewer dev problems and seeds than it reports (--dev-limit, --dev-seeds)', async () => {
    const methods = parseMethodSpecs('vanilla,lynx:delta=[0.1,0.3]');
    const r = await runEval({
      ...base,
      methods,
      tune: true,
      datasets: [
        { ...dataset, problems: dataset.problems.slice(0, 3), devProblems: dataset.devProblems.slice(0, 2) },
      ],
      seeds: [1, 2],
      devSeeds: [1],
      out: join(dir, 'dev-sizes'),
    });
    const count = (slice: string, seed: number) =>
      r.rows.filter((x) => x.label === 'vanilla' && x.slice === slice && x.seed === seed).length;
    expect([count('dev', 1), count('dev', 2), count('test', 1), count('test', 2)]).toEqual([2, 0, 3, 3]);
    expect(r.summary.context.devSeeds).toEqual([1]);
    await expect(
      runEval({ ...base, methods, tune: true, devSeeds: [], out: join(dir, 'x') }),
    ).rejects.toThrow(/--dev-seeds is empty/);
  });
});
