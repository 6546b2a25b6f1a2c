/**
 * The layer ablation of issue 14 (item 6): what does the probe lose when it reads only the final-norm
 * hidden state (all llama.cpp and SGLang give) instead of the paper's two intermediate layers plus
 * the last? One collect per slice (train / calib / test problems of a testbed task) with every layer
 * the engine exposes; then, per layer configuration, the rows cut to its layers (`selectLayers`), the
 * same probe and calibration fitted (`fitBundle`), and on the held-out test events: the probe's AUROC
 * (with a paired bootstrap over problems against the base configuration) and LYNX's accuracy and
 * tokens at each δ (`replay.ts`: the online exit, replayed exactly from the stored forced exits).
 * Every configuration sees the same rollouts, cue events, labels and splits.
 */
import { join } from 'node:path';
import type { Bundle } from '../../bundle/Bundle.ts';
import { DEFAULT_EPSILON } from '../../conformal/riskLevel.ts';
import { hiddenLayersText } from '../../engine/checks.ts';
import type { Engine } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { isTestbedTask } from '../../tasks/testbedTasks.ts';
import { type CollectProgress, collectEvents } from '../collect.ts';
import { type EventsData, problemKey, readEvents } from '../events.ts';
import { selectLayers } from '../featureLayers.ts';
import { fitBundle } from '../fit.ts';
import { loadProblems } from '../problems.ts';
import {
  type ReplayOutcome,
  type ReplayRollout,
  replayLynx,
  replayOracle,
  replayRollouts,
  replayVanilla,
} from '../replay.ts';
import { type Interval, pairedAurocBootstrap } from './bootstrap.ts';

/** The slices the ablation uses: probe training, calibration, test (the tuning slice `dev` is not needed). */
const ABLATION_SLICES = ['train', 'calib', 'test'] as const;
type AblationSlice = (typeof ABLATION_SLICES)[number];

/** A named set of feature layers (engine indices; −1 = final norm). */
export interface LayerConfig {
  name: string;
  layers: number[];
}

/** Depth fractions of the paper's intermediate layers on its main model (DeepSeek-R1-Distill-Qwen-1.5B: 9 and 16 of 28). */
const PAPER_DEPTHS = [9 / 28, 16 / 28];

/**
 * The paper's choice scaled to a model of `layers` blocks: HF `hidden_states` indices
 * round(f · layers) for f = 9/28 and 16/28 (clipped to 1..layers−1, so always intermediate), i.e.
 * engine indices one lower, then the final norm. 28 layers give [8, 15, −1] (the paper's 9, 16, 28);
 * 4 layers give [0, 1, −1].
 */
export function paperLayers(layers: number): number[] {
  const picked = PAPER_DEPTHS.map((f) => Math.min(layers - 1, Math.max(1, Math.round(f * layers))) - 1);
  return [...new Set(picked), -1];
}

/** The default configurations: final norm (the base), the paper's, each block alone, everything. */
export function defaultLayerConfigs(layers: number): LayerConfig[] {
  const blocks = Array.from({ length: layers }, (_, i) => i);
  return [
    { name: 'final-norm', layers: [-1] },
    { name: 'paper', layers: paperLayers(layers) },
    ...blocks.map((b) => ({ name: `block-${b}`, layers: [b] })),
    { name: 'all', layers: [...blocks, -1] },
  ];
}

/** Options of `runLayerAblation`. */
export interface LayerAblationOptions {
  /** Folder of the three events stores (an existing one is continued, as `collect` does). */
  out: string;
  /** A testbed task (its slices train / calib / test are the three disjoint problem sets). */
  dataset: string;
  split: string;
  dataSeed: number;
  /** Problems per slice. */
  problems: Record<AblationSlice, number>;
  samples: number;
  temperature: number;
  topP: number;
  seed: number;
  maxTokens: number;
  exitMaxTokens: number;
  configs: LayerConfig[];
  /** Name of the configuration the others are compared with (default the first). */
  base?: string;
  deltas: number[];
  probe: 'mlp' | 'logreg';
  /** Seed of the probe fit and of its by-problem validation split. */
  fitSeed: number;
  /** Bootstrap resamples of the test AUROC. */
  bootstrap: number;
  /** "Equal accuracy": at most this far below vanilla (default 0.01, one point). */
  accuracyTolerance?: number;
  parallel?: number;
  onProgress?: (line: string) => void;
}

/** One slice's data. */
export interface SliceSummary {
  problems: number;
  rollouts: number;
  events: number;
  positives: number;
  collectSeconds: number;
}

/** LYNX at one δ, replayed on the calibration and test rollouts. */
export interface DeltaResult {
  delta: number;
  q1: number;
  q0: number;
  calib: ReplayOutcome;
  test: ReplayOutcome;
}

/** A δ picked by a rule, with its test outcome. */
export interface PickedDelta {
  delta: number;
  test: ReplayOutcome;
}

/** The results of one layer configuration. */
export interface LayerConfigResult extends LayerConfig {
  dim: number;
  trainAuroc: number;
  /** Problems of the training slice held out of the fit (null: one class only). */
  valAuroc: number | null;
  calibAuroc: number;
  testAuroc: Interval;
  /** Test AUROC minus the base configuration's, paired bootstrap interval. */
  testAurocVsBase: Interval;
  perDelta: DeltaResult[];
  /** Largest test saving among the δ whose test accuracy is within the tolerance of vanilla (an optimistic pick). */
  bestOnTest: PickedDelta | null;
  /** δ picked on the calibration rollouts by the same rule, reported on test (the honest pick). */
  pickedOnCalib: PickedDelta | null;
  warnings: string[];
  fitSeconds: number;
}

/** Everything the ablation measured. */
export interface LayerAblationResult {
  model: { id: string; architecture: string; layers: number; hiddenSize: number; engine: string };
  settings: Omit<LayerAblationOptions, 'onProgress' | 'configs' | 'out'> & { accuracyTolerance: number };
  stores: Record<AblationSlice, string>;
  data: Record<AblationSlice, SliceSummary>;
  vanilla: { calib: ReplayOutcome; test: ReplayOutcome };
  oracle: { test: ReplayOutcome };
  base: string;
  configs: LayerConfigResult[];
  seconds: number;
}

function checkOptions(engine: Engine, o: LayerAblationOptions): void {
  if (!isTestbedTask(o.dataset))
    throw new UserError(
      `the layer ablation needs a testbed task (train/calib/test slices), not ${o.dataset}`,
    );
  if (o.configs.length === 0) throw new UserError('give at least one layer configuration');
  if (new Set(o.configs.map((c) => c.name)).size !== o.configs.length)
    throw new UserError('layer configuration names must be distinct');
  if (o.base !== undefined && !o.configs.some((c) => c.name === o.base))
    throw new UserError(
      `base configuration ${o.base} is not among ${o.configs.map((c) => c.name).join(', ')}`,
    );
  if (o.deltas.length === 0) throw new UserError('give at least one delta');
  if (!Number.isInteger(o.bootstrap) || o.bootstrap < 1)
    throw new UserError(`bootstrap must be a positive integer, got ${o.bootstrap}`);
  if (engine.info.hiddenLayers !== 'all')
    throw new UserError(
      `the ${engine.info.name} engine exposes layers ${hiddenLayersText(engine.info)} only; the ablation needs every layer (use the reference engine)`,
    );
}

/** Collects one slice with every layer (continuing its store) and reads it back. */
async function collectSlice(
  engine: Engine,
  o: LayerAblationOptions,
  slice: AblationSlice,
  layers: number[],
): Promise<{ data: EventsData; summary: SliceSummary }> {
  const problems = loadProblems({
    dataset: o.dataset,
    split: o.split,
    slice,
    limit: o.problems[slice],
    dataSeed: o.dataSeed,
  });
  const out = join(o.out, `events-${slice}`);
  const s = await collectEvents(engine, problems, {
    out,
    layers,
    samples: o.samples,
    temperature: o.temperature,
    topP: o.topP,
    seed: o.seed,
    maxTokens: o.maxTokens,
    exitMaxTokens: o.exitMaxTokens,
    parallel: o.parallel,
    settings: { dataset: o.dataset, split: o.split, slice, dataSeed: o.dataSeed, limit: o.problems[slice] },
    onRollout: (p: CollectProgress) => {
      if (p.done % 25 === 0 || p.done === p.total)
        o.onProgress?.(`collect ${slice}: ${p.done}/${p.total} rollouts, ${p.rows} events`);
    },
  });
  // The store may hold more problems from an earlier, larger run: use exactly this run's.
  const data = restrictToProblems(
    readEvents(out),
    new Set(problems.map((p) => problemKey(p.task, p.id))),
    o.samples,
  );
  return {
    data,
    summary: {
      problems: problems.length,
      rollouts: data.rollouts.length,
      events: data.events.length,
      positives: data.y.reduce((a, b) => a + b, 0),
      collectSeconds: s.seconds,
    },
  };
}

/** The rows of `d` from the given problems' first `samples` rollouts. */
function restrictToProblems(d: EventsData, keep: ReadonlySet<string>, samples: number): EventsData {
  const ok = (task: string, id: string, rollout: number) =>
    keep.has(problemKey(task, id)) && rollout < samples;
  const rows = d.events.flatMap((e, i) => (ok(e.task, e.problemId, e.rollout) ? [i] : []));
  if (rows.length === d.events.length && d.rollouts.every((r) => ok(r.task, r.problemId, r.rollout)))
    return d;
  const X = new Float32Array(rows.length * d.dim);
  rows.forEach((r, i) => {
    X.set(d.X.subarray(r * d.dim, (r + 1) * d.dim), i * d.dim);
  });
  return {
    ...d,
    events: rows.map((r, i) => ({ ...d.events[r], row: i })),
    rollouts: d.rollouts.filter((r) => ok(r.task, r.problemId, r.rollout)),
    X,
    y: Uint8Array.from(rows, (r) => d.y[r]),
  };
}

/** Probe scores of every row of `d`. */
function scores(bundle: Bundle, d: EventsData): Float64Array {
  return bundle.probe.predictProbaBatch({ data: d.X, rows: d.events.length, cols: d.dim });
}

/** The δ with the largest saving among those whose accuracy is within `tol` of `vanilla` on `split`. */
function pick(
  perDelta: readonly DeltaResult[],
  split: 'calib' | 'test',
  vanilla: number,
  tol: number,
): PickedDelta | null {
  let best: DeltaResult | null = null;
  for (const r of perDelta)
    if (r[split].accuracy >= vanilla - tol - 1e-12 && (!best || r[split].saving > best[split].saving))
      best = r;
  return best ? { delta: best.delta, test: best.test } : null;
}

/** Runs the whole ablation (see the file comment) on `engine`, which must expose every layer. */
export async function runLayerAblation(
  engine: Engine,
  o: LayerAblationOptions,
): Promise<LayerAblationResult> {
  const started = performance.now();
  checkOptions(engine, o);
  const tol = o.accuracyTolerance ?? 0.01;
  const allLayers = [...Array.from({ length: engine.info.layers }, (_, i) => i), -1];
  const slices = {} as Record<AblationSlice, { data: EventsData; summary: SliceSummary }>;
  for (const slice of ABLATION_SLICES) slices[slice] = await collectSlice(engine, o, slice, allLayers);
  const test = slices.test.data;
  const plain = replayRollouts(test, new Float32Array(test.events.length));
  const plainCalib = replayRollouts(slices.calib.data, new Float32Array(slices.calib.data.events.length));
  const vanilla = { calib: replayVanilla(plainCalib), test: replayVanilla(plain) };

  const fitted = o.configs.map((config) => {
    const t = performance.now();
    const [train, calib, testD] = [slices.train.data, slices.calib.data, test].map((d) =>
      selectLayers(d, config.layers),
    );
    o.onProgress?.(`fit ${config.name} (layers ${config.layers.join(',')}, ${train.dim} features)`);
    const fit = fitBundle({
      train,
      calib,
      probe: o.probe,
      deltas: o.deltas,
      alphas: [],
      epsilon: DEFAULT_EPSILON,
      seed: o.fitSeed,
      keepScores: false,
    });
    const pTest = scores(fit.bundle, testD);
    const testRollouts: ReplayRollout[] = replayRollouts(testD, pTest);
    const calibRollouts = replayRollouts(calib, scores(fit.bundle, calib));
    const perDelta: DeltaResult[] = fit.deltas.map((d) => ({
      delta: d.delta,
      q1: d.q1,
      q0: d.q0,
      calib: replayLynx(calibRollouts, d),
      test: replayLynx(testRollouts, d),
    }));
    return { config, fit, pTest, perDelta, seconds: (performance.now() - t) / 1000 };
  });

  const baseName = o.base ?? o.configs[0].name;
  const baseIndex = o.configs.findIndex((c) => c.name === baseName);
  const boot = pairedAurocBootstrap(
    fitted.map((f) => f.pTest),
    test.y,
    test.events.map((e) => problemKey(e.task, e.problemId)),
    baseIndex,
    o.bootstrap,
    o.fitSeed,
  );
  const configs: LayerConfigResult[] = fitted.map((f, j) => ({
    ...f.config,
    dim: f.fit.bundle.data.features.dim,
    trainAuroc: f.fit.trainAuroc,
    valAuroc: f.fit.valAuroc,
    calibAuroc: f.fit.calibAuroc,
    testAuroc: boot.auroc[j],
    testAurocVsBase: boot.diff[j],
    perDelta: f.perDelta,
    bestOnTest: pick(f.perDelta, 'test', vanilla.test.accuracy, tol),
    pickedOnCalib: pick(f.perDelta, 'calib', vanilla.calib.accuracy, tol),
    warnings: f.fit.warnings,
    fitSeconds: f.seconds,
  }));

  const { onProgress: _, configs: __, out: ___, ...settings } = o;
  return {
    model: {
      id: engine.info.modelId,
      architecture: engine.info.architecture,
      layers: engine.info.layers,
      hiddenSize: engine.info.hiddenSize,
      engine: engine.info.name,
    },
    settings: { ...settings, accuracyTolerance: tol, base: baseName },
    stores: {
      train: join(o.out, 'events-train'),
      calib: join(o.out, 'events-calib'),
      test: join(o.out, 'events-test'),
    },
    data: { train: slices.train.summary, calib: slices.calib.summary, test: slices.test.summary },
    vanilla,
    oracle: { test: replayOracle(plain) },
    base: baseName,
    configs,
    seconds: (performance.now() - started) / 1000,
  };
}
