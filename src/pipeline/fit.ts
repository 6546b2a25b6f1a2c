/**
 * LYNX's probe training and conformal calibration (docs/research/lynx_spec.md §4–5): fit the probe
 * on one events store, calibrate Mondrian quantiles per δ and trajectory thresholds per α on
 * another whose problems are disjoint, and assemble a bundle with its provenance and metrics.
 *
 * Validation split: LYNX holds out 20% of the training *events*, stratified; events of one rollout
 * are strongly correlated, so here whole problems are held out instead (a less flattering, more
 * honest AUROC). As in LYNX, the bundle's probe is the one fitted on the remaining part.
 */
import { Bundle } from '../bundle/Bundle.ts';
import { describeFingerprint, sameModel } from '../bundle/fingerprint.ts';
import { MondrianConformal, type PerEventMode, shouldExit } from '../conformal/MondrianConformal.ts';
import { checkLevel } from '../conformal/quantile.ts';
import { TrajectoryCalibrator, type TrajectoryCertificate } from '../conformal/TrajectoryCalibrator.ts';
import { UserError } from '../errors.ts';
import type { Matrix } from '../probe/matrix.ts';
import { accuracy, auroc } from '../probe/metrics.ts';
import { Probe } from '../probe/Probe.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { sampleCalibration } from './calibrationSample.ts';
import { type EventsData, problemKey, readEvents } from './events.ts';
import { fitWarnings } from './fitWarnings.ts';

/** Options of `fitBundle`. */
export interface FitBundleOptions {
  /** Events store prefixes (or any of their files), or stores already read (e.g. `selectLayers` of one). */
  train: string | EventsData;
  calib: string | EventsData;
  probe: 'mlp' | 'logreg';
  deltas: number[];
  alphas: number[];
  /** Confidence 1 − ε of the trajectory-level guarantee. */
  epsilon: number;
  seed: number;
  /** Fraction of training problems held out for the validation AUROC (0: none). Default 0.2. */
  valFraction?: number;
  /** Store calibration scores in the bundle, so any δ / α can be derived later. Default true. */
  keepScores?: boolean;
  /** Per-event calibration on every cue event (LYNX, default) or on one seeded cue per rollout. */
  perEvent?: PerEventMode;
}

/** Per-δ results on the calibration set (in-sample: the quantiles were computed from it). */
export interface DeltaReport {
  delta: number;
  q1: number;
  q0: number;
  /** Fraction of label-0 calibration events whose prediction set is {1} (would exit). */
  prematureExitRate: number;
  /** Fraction of label-1 calibration events that would exit. */
  exitRateLabel1: number;
}

/** What `fitBundle` produced. */
export interface FitReport {
  bundle: Bundle;
  train: {
    events: number;
    positives: number;
    problems: number;
    fitRows: number;
    valRows: number;
    valProblems: number;
  };
  calib: {
    events: number;
    positives: number;
    problems: number;
    trajectories: number;
    /** Events in the per-event calibration, by label. */
    perEventN1: number;
    perEventN0: number;
    perEvent: PerEventMode;
    /** Problems with several rollouts, of which one was drawn. */
    subsampledProblems: number;
  };
  trainAuroc: number;
  /** Null when there is no validation split or it holds one class only. */
  valAuroc: number | null;
  calibAuroc: number;
  calibAccuracy: number;
  deltas: DeltaReport[];
  alphas: TrajectoryCertificate[];
  warnings: string[];
  seconds: number;
}

function countPositives(y: Uint8Array): number {
  let n = 0;
  for (const v of y) n += v;
  return n;
}

function requireBothClasses(d: EventsData, what: string): void {
  if (d.events.length === 0)
    throw new UserError(`${what} events ${d.paths.prefix} hold no events (no complete rollout with a cue)`);
  const pos = countPositives(d.y);
  if (pos === 0 || pos === d.events.length) {
    throw new UserError(
      `${what} events ${d.paths.prefix} have only label ${pos === 0 ? 0 : 1} (${d.events.length} events); the ${what === 'training' ? 'probe' : 'calibration'} needs both classes`,
    );
  }
}

/** Checks that train and calibration stores describe the same model and features, and disjoint problems. */
function checkCompatible(train: EventsData, calib: EventsData, warnings: string[]): void {
  const a = train.meta;
  const b = calib.meta;
  if (!sameModel(a.model.fingerprint, b.model.fingerprint)) {
    throw new UserError(
      `training events ${train.paths.prefix} come from ${a.model.id} (${describeFingerprint(a.model.fingerprint)}) but calibration events ${calib.paths.prefix} from ${b.model.id} (${describeFingerprint(b.model.fingerprint)})`,
    );
  }
  if (a.dim !== b.dim || a.layers.join(',') !== b.layers.join(',')) {
    throw new UserError(
      `feature mismatch: training events have dim ${a.dim} (layers ${a.layers.join(',')}), calibration events dim ${b.dim} (layers ${b.layers.join(',')})`,
    );
  }
  if (a.exitCue !== b.exitCue) {
    throw new UserError(
      `labels differ: training events used exit cue ${JSON.stringify(a.exitCue)}, calibration events ${JSON.stringify(b.exitCue)}`,
    );
  }
  if (JSON.stringify(a.cues) !== JSON.stringify(b.cues)) {
    warnings.push(
      `cue lexicons differ (train ${a.cues.lexicon.join('/')}, calib ${b.cues.lexicon.join('/')}); the bundle uses the training one`,
    );
  }
  const trainProblems = new Set(train.events.map((e) => problemKey(e.task, e.problemId)));
  const shared = [...new Set(calib.events.map((e) => problemKey(e.task, e.problemId)))].filter((k) =>
    trainProblems.has(k),
  );
  if (shared.length > 0) {
    throw new UserError(
      `training and calibration events share ${shared.length} problem(s) (e.g. ${shared.slice(0, 3).join(', ')}); calibration needs problems the probe was not trained on (use disjoint slices, e.g. --slice train / --slice calib)`,
    );
  }
}

/** Rows `idx` of a store's matrix, packed. */
function selectRows(d: EventsData, idx: readonly number[]): Matrix {
  const data = new Float32Array(idx.length * d.dim);
  idx.forEach((r, i) => {
    data.set(d.X.subarray(r * d.dim, (r + 1) * d.dim), i * d.dim);
  });
  return { data, rows: idx.length, cols: d.dim };
}

/** Splits training rows by problem: a seeded `fraction` of the problems goes to validation. */
function splitByProblem(
  d: EventsData,
  fraction: number,
  seed: number,
): { fit: number[]; val: number[]; valProblems: number } {
  const all = d.events.map((_, i) => i);
  if (fraction === 0) return { fit: all, val: [], valProblems: 0 };
  const keys = [...new Set(d.events.map((e) => problemKey(e.task, e.problemId)))].sort();
  if (keys.length < 2) return { fit: all, val: [], valProblems: 0 };
  const shuffled = new SeededRandom(seed).shuffle(keys);
  const nVal = Math.min(keys.length - 1, Math.max(1, Math.round(fraction * keys.length)));
  const valKeys = new Set(shuffled.slice(0, nVal));
  const fit: number[] = [];
  const val: number[] = [];
  d.events.forEach((e, i) => {
    (valKeys.has(problemKey(e.task, e.problemId)) ? val : fit).push(i);
  });
  return { fit, val, valProblems: nVal };
}

function summarizeStore(d: EventsData): Record<string, unknown> {
  const s = d.meta.settings;
  return {
    events: d.paths.prefix,
    dataset: s.dataset ?? null,
    split: s.split ?? null,
    slice: s.slice ?? null,
    problems: new Set(d.events.map((e) => problemKey(e.task, e.problemId))).size,
    rollouts: d.rollouts.length,
    rows: d.events.length,
    positives: countPositives(d.y),
    collect: s,
  };
}

/** Trains, calibrates and assembles a bundle from two events stores. */
export function fitBundle(o: FitBundleOptions): FitReport {
  const started = performance.now();
  const valFraction = o.valFraction ?? 0.2;
  if (!(valFraction >= 0 && valFraction < 1))
    throw new UserError(`validation fraction must be in [0, 1), got ${valFraction}`);
  if (o.deltas.length === 0 && o.alphas.length === 0)
    throw new UserError('give at least one delta or alpha to calibrate');
  for (const d of o.deltas) checkLevel(d, 'delta');
  for (const a of o.alphas) checkLevel(a, 'alpha');
  checkLevel(o.epsilon, 'epsilon');
  const warnings: string[] = [];
  const train = typeof o.train === 'string' ? readEvents(o.train) : o.train;
  const calib = typeof o.calib === 'string' ? readEvents(o.calib) : o.calib;
  for (const d of [train, calib]) {
    if (d.incompleteBytes > 0) {
      warnings.push(
        `${d.paths.prefix} ends with an interrupted rollout (${d.incompleteBytes} bytes ignored); rerun collect to finish it`,
      );
    }
  }
  requireBothClasses(train, 'training');
  requireBothClasses(calib, 'calibration');
  checkCompatible(train, calib, warnings);

  const split = splitByProblem(train, valFraction, o.seed);
  const fitY = Uint8Array.from(split.fit, (i) => train.y[i]);
  const fitPos = countPositives(fitY);
  if (fitPos === 0 || fitPos === fitY.length) {
    throw new UserError(
      `after holding out ${split.valProblems} validation problems the training part has only label ${fitPos === 0 ? 0 : 1}; collect more problems or lower the validation fraction`,
    );
  }
  const probe = Probe.fit(
    selectRows(train, split.fit),
    fitY,
    o.probe === 'logreg' ? { kind: 'logistic' } : { kind: 'mlp', seed: o.seed },
  );
  const trainAuroc = auroc(probe.predictProbaBatch(selectRows(train, split.fit)), fitY);
  let valAuroc: number | null = null;
  if (split.val.length > 0) {
    const valY = Uint8Array.from(split.val, (i) => train.y[i]);
    const valPos = countPositives(valY);
    if (valPos > 0 && valPos < valY.length)
      valAuroc = auroc(probe.predictProbaBatch(selectRows(train, split.val)), valY);
    else
      warnings.push(`the validation problems hold only label ${valPos === 0 ? 0 : 1}; no validation AUROC`);
  }

  const calibMatrix: Matrix = { data: calib.X, rows: calib.events.length, cols: calib.dim };
  const p = probe.predictProbaBatch(calibMatrix);
  const calibAuroc = auroc(p, calib.y);
  const calibAccuracy = accuracy(p, calib.y);
  const perEvent = o.perEvent ?? 'pooled';
  const sample = sampleCalibration(calib, perEvent, o.seed);
  const eventP = sample.perEventRows.map((r) => p[r]);
  const eventY = sample.perEventRows.map((r) => calib.y[r]);
  const mondrian = new MondrianConformal(eventP, eventY);
  const perClass = mondrian.quantilesFor(o.deltas);
  const deltas: DeltaReport[] = perClass.map((q) => {
    let exit0 = 0;
    let exit1 = 0;
    for (let i = 0; i < eventP.length; i++) {
      if (!shouldExit(eventP[i], q)) continue;
      if (eventY[i] === 1) exit1++;
      else exit0++;
    }
    return {
      delta: q.delta,
      q1: q.q1,
      q0: q.q0,
      prematureExitRate: exit0 / q.n0,
      exitRateLabel1: exit1 / q.n1,
    };
  });
  const trajectories = sample.trajectories.map((rows) => rows.map((r) => ({ p: p[r], y: calib.y[r] })));
  const calibrator = new TrajectoryCalibrator(trajectories);
  const alphas = o.alphas.map((a) => calibrator.certify(a, o.epsilon));
  const order = sample.trajectories.flat();
  const rowIndex = new Map(order.map((r, i) => [r, i]));
  warnings.push(
    ...fitWarnings({
      calibSplit: calib.meta.settings,
      sample,
      perClass,
      alphas,
      epsilon: o.epsilon,
      trainAuroc,
      valAuroc,
    }),
  );

  const trainProblems = new Set(train.events.map((e) => problemKey(e.task, e.problemId))).size;
  const calibProblems = new Set(calib.events.map((e) => problemKey(e.task, e.problemId))).size;
  const metrics = {
    trainAuroc,
    valAuroc,
    calibAuroc,
    calibAccuracy,
    validation: { fraction: valFraction, problems: split.valProblems, rows: split.val.length, by: 'problem' },
    perDelta: deltas.map((d) => ({ ...d, inSample: true })),
    perAlpha: alphas,
  };
  const bundle = Bundle.create({
    model: { fingerprint: train.meta.model.fingerprint, id: train.meta.model.id },
    features: { layers: train.meta.layers, dim: train.meta.dim },
    cues: train.meta.cues,
    exitCue: train.meta.exitCue,
    probe: probe.toJSON(),
    conformal: {
      perEvent,
      perClass,
      trajectory: alphas.map((c) => ({ alpha: c.alpha, epsilon: c.epsilon, lambda: c.lambda, n: c.n })),
      ...(o.keepScores === false
        ? {}
        : {
            scores: {
              p: order.map((r) => p[r]),
              y: order.map((r) => calib.y[r] as 0 | 1),
              trajectory: sample.trajectories.flatMap((rows, t) => rows.map(() => t)),
              ...(perEvent === 'pooled'
                ? {}
                : { perEventRows: sample.perEventRows.map((r) => rowIndex.get(r) ?? -1) }),
            },
          }),
    },
    provenance: {
      train: { ...summarizeStore(train), probe: o.probe, seed: o.seed, fitRows: split.fit.length },
      calibration: {
        ...summarizeStore(calib),
        trajectories: trajectories.length,
        onePerProblem: { seed: o.seed, subsampledProblems: sample.subsampledProblems },
        perEvent,
      },
      metrics,
      warnings,
    },
  });
  return {
    bundle,
    train: {
      events: train.events.length,
      positives: countPositives(train.y),
      problems: trainProblems,
      fitRows: split.fit.length,
      valRows: split.val.length,
      valProblems: split.valProblems,
    },
    calib: {
      events: calib.events.length,
      positives: countPositives(calib.y),
      problems: calibProblems,
      trajectories: trajectories.length,
      perEventN1: mondrian.n1,
      perEventN0: mondrian.n0,
      perEvent,
      subsampledProblems: sample.subsampledProblems,
    },
    trainAuroc,
    valAuroc,
    calibAuroc,
    calibAccuracy,
    deltas,
    alphas,
    warnings,
    seconds: (performance.now() - started) / 1000,
  };
}
