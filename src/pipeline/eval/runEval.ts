/**
 * `runEval`: every method on every (dataset, problem, temperature, seed), with the same sampling
 * seed for all methods of an instance (they share the sampled prefix until one exits), graded and
 * appended to `results.jsonl`; then `summary.json` and `report.html`. Rerunning with the same
 * output folder skips the rows already there.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { SeededRandom } from '../../random/SeededRandom.ts';
import type { LynxBundleLike } from '../../reason/policies/lynx.ts';
import { vanillaPolicy } from '../../reason/policies/simple.ts';
import { DEFAULT_ANSWER_MAX_TOKENS, runReasoning } from '../../reason/runReasoning.ts';
import { DEFAULT_SAMPLE } from '../../reason/sampling.ts';
import type { ExitPolicy, PolicyDefaults } from '../../reason/types.ts';
import { isTestbedTask, TESTBED_TASK_NAMES, type TestbedSlice } from '../../tasks/testbedTasks.ts';
import { isTaskName, TASK_NAMES } from '../../tasks/types.ts';
import { engineFingerprint, loadBundleFor } from '../fingerprint.ts';
import { runOrdered } from '../orderedPool.ts';
import { loadProblems, type WorkProblem } from '../problems.ts';
import { renderReport } from '../report/renderReport.ts';
import { cueLabelPolicy } from './labelsPolicy.ts';
import { policyFactory } from './methodPolicies.ts';
import { checkMethodOptions, checkUniqueLabels, type MethodSpec } from './methodSpec.ts';
import { ResultsStore } from './resultsStore.ts';
import { type EvalRow, LABELS_ROW, rowKey } from './row.ts';
import { evalSampleSeed } from './seeds.ts';
import { type EvalSummary, formatSummaryTable, summarizeEval } from './summary.ts';
import { traceToRow } from './traceRow.ts';

/** One data set to evaluate on. */
export interface EvalDataset {
  /** A task the registry knows (gsm8k, math500, ..., testbed, testbed-arith, ...) or `arith` for `testbed-arith`. */
  task: string;
  /** Default: the task's default split; testbed tasks: `heldout` (the testbed model trains on `train`). */
  split?: string;
  /** Default for testbed tasks: `test`, the third no shipped bundle was fitted or calibrated on. */
  slice?: TestbedSlice | 'all';
  limit?: number;
  /** Testbed generation / slice seed (default 42). */
  dataSeed?: number;
  /** Use these problems instead of loading the task (programmatic use, tests). */
  problems?: readonly WorkProblem[];
}

/** Options of `runEval`. */
export interface EvalOptions {
  /** The engine to run on (any `Engine`; the caller owns it, and it should allow `parallel` sessions). */
  engine: Engine;
  /** LYNX bundle (file or loaded); required when a `lynx` method is listed. */
  bundle?: string | LynxBundleLike;
  methods: MethodSpec[];
  datasets: EvalDataset[];
  temperatures: number[];
  seeds: number[];
  /** Limit on thinking + answer tokens per run. */
  maxTokens: number;
  /** Limit on a forced (exit-cue) answer. Default 64. */
  answerMaxTokens?: number;
  topP?: number;
  topK?: number;
  /**
   * Runs decoded side by side (default 1), written in plan order, so the rows are those of a serial
   * run (wall-clock columns then measure runs under shared load). A model path is loaded with as
   * many sessions.
   */
  parallel?: number;
  /** Run the cue-label pass (needed for the premature-exit rate and the trace viewer's labels). Default true. */
  labels?: boolean;
  /** Output folder: results.jsonl, summary.json, report.html, meta.json. */
  out: string;
  dataDir?: string;
  /** Problem instances shown in the report's trace viewer (default 200). */
  reportTraces?: number;
  onProgress?: (p: EvalProgress) => void;
  /** Stops between runs; every finished row is kept. */
  signal?: AbortSignal;
}

/** Progress after one run (written or skipped). */
export interface EvalProgress {
  done: number;
  total: number;
  skipped: boolean;
  label: string;
  dataset: string;
  problemId: string;
  written: number;
}

/** What `runEval` did. */
export interface EvalResult {
  paths: { results: string; summary: string; report: string; meta: string };
  /** Rows of this eval's plan (earlier runs' rows included). */
  rows: EvalRow[];
  summary: EvalSummary;
  table: string;
  written: number;
  skipped: number;
  recoveredBytes: number;
  aborted: boolean;
  seconds: number;
}

/** Resolves a data set name: registry names as they are; `arith` → `testbed-arith` when only that exists. */
export function resolveDatasetName(task: string): string {
  if (!isTestbedTask(task) && isTestbedTask(`testbed-${task}`)) return `testbed-${task}`;
  return task;
}

function loadDataset(d: EvalDataset, dataDir?: string): { name: string; problems: readonly WorkProblem[] } {
  const name = resolveDatasetName(d.task);
  if (d.problems) return { name, problems: d.problems };
  if (!isTaskName(name) && !isTestbedTask(name)) {
    throw new UserError(
      `unknown dataset "${d.task}"; known: ${[...TASK_NAMES, ...TESTBED_TASK_NAMES].join(', ')} (arith, word, order = testbed-*)`,
    );
  }
  const testbed = isTestbedTask(name);
  const split = d.split ?? (testbed ? 'heldout' : undefined);
  const slice = d.slice ?? (testbed ? 'test' : undefined);
  const problems = loadProblems({
    dataset: name,
    split,
    slice,
    limit: d.limit,
    dataSeed: d.dataSeed,
    dataDir,
  });
  if (problems.length === 0) throw new UserError(`no problems selected from ${name}`);
  return { name, problems };
}

function checkOptions(o: EvalOptions): void {
  if (o.methods.length === 0) throw new UserError('eval: no methods given');
  if (o.datasets.length === 0) throw new UserError('eval: no datasets given');
  if (o.temperatures.length === 0) throw new UserError('eval: no temperatures given');
  if (o.seeds.length === 0) throw new UserError('eval: no seeds given');
  for (const t of o.temperatures)
    if (!(t >= 0 && Number.isFinite(t))) throw new UserError(`temperature must be >= 0, got ${t}`);
  for (const s of o.seeds)
    if (!Number.isSafeInteger(s) || s < 0)
      throw new UserError(`seed must be a non-negative integer, got ${s}`);
  if (!Number.isSafeInteger(o.maxTokens) || o.maxTokens <= 0)
    throw new UserError(`max-tokens must be a positive integer, got ${o.maxTokens}`);
  checkUniqueLabels(o.methods);
  if (o.methods.some((m) => m.label === LABELS_ROW)) throw new UserError(`"${LABELS_ROW}" is reserved`);
  // Checked before a (possibly large) model is loaded.
  for (const m of o.methods) {
    checkMethodOptions(m);
    if (m.name === 'lynx' && !o.bundle)
      throw new UserError(`method "${m.label}" needs a bundle (--bundle B.lynx.json)`);
  }
}

/** Settings that must match when a results folder is continued. */
function evalMeta(engine: Engine, bundle: LynxBundleLike | undefined, o: EvalOptions) {
  return {
    model: { id: engine.info.modelId, vocabHash: engineFingerprint(engine).vocabHash },
    bundle: bundle
      ? createHash('sha256').update(JSON.stringify(bundle.data)).digest('hex').slice(0, 16)
      : null,
    maxTokens: o.maxTokens,
    answerMaxTokens: o.answerMaxTokens ?? DEFAULT_ANSWER_MAX_TOKENS,
    topP: o.topP ?? DEFAULT_SAMPLE.topP,
    topK: o.topK ?? 0,
  };
}

function checkMeta(file: string, meta: Record<string, unknown>): void {
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(meta)) {
      if (JSON.stringify(old[k]) !== JSON.stringify(v)) {
        throw new UserError(
          `${file}: this folder holds results with ${k} = ${JSON.stringify(old[k])}, not ${JSON.stringify(v)}; use another --out`,
        );
      }
    }
  }
  writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
}

/** The order methods run in on one instance: a permutation of 0..n-1 drawn from the instance's seed. */
export function methodOrder(n: number, instanceSeed: number): number[] {
  return new SeededRandom((instanceSeed ^ 0x5bd1e995) >>> 0).shuffle(Array.from({ length: n }, (_, i) => i));
}

/** Decodes a few untimed tokens of a problem (vanilla, greedy) and throws the result away. */
async function warmUp(engine: Engine, problem: WorkProblem): Promise<void> {
  await runReasoning(engine, engine.formatChat(problem.messages), vanillaPolicy(), {
    sample: { temperature: 0 },
    maxTokens: 16,
    answerMaxTokens: 8,
  });
}

/** One method's run of an instance, as the plan lists it. */
interface PlannedRun {
  label: string;
  method: string;
  options: MethodSpec['options'];
  kind: EvalRow['kind'];
  policy: () => ExitPolicy;
}

/** Runs an eval (see the module comment). */
export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const started = performance.now();
  checkOptions(o);
  const datasets = o.datasets.map((d) => loadDataset(d, o.dataDir));
  const names = datasets.map((d) => d.name);
  if (new Set(names).size !== names.length)
    throw new UserError(`eval: a dataset is listed twice (${names.join(', ')})`);
  const engine = o.engine;
  const bundle = typeof o.bundle === 'string' ? await loadBundleFor(o.bundle, engine) : o.bundle;
  const factories = o.methods.map((m) => policyFactory(m, bundle));
  mkdirSync(o.out, { recursive: true });
  const paths = {
    results: path.join(o.out, 'results.jsonl'),
    summary: path.join(o.out, 'summary.json'),
    report: path.join(o.out, 'report.html'),
    meta: path.join(o.out, 'meta.json'),
  };
  checkMeta(paths.meta, evalMeta(engine, bundle, o));
  const store = ResultsStore.open(paths.results);
  // The label pass mirrors LYNX's forced exits: the bundle's exit cue and cue lexicon when there is one.
  const labelDefaults: PolicyDefaults | undefined = bundle
    ? {
        exitCue: bundle.data.exitCue,
        cues: bundle.data.cues
          ? { lexicon: [...bundle.data.cues.lexicon], mode: bundle.data.cues.mode as 'substring' | 'word' }
          : undefined,
      }
    : undefined;
  const withLabels = o.labels ?? true;
  const perInstance = o.methods.length + (withLabels ? 1 : 0);
  const total =
    datasets.reduce((n, d) => n + d.problems.length, 0) *
    o.temperatures.length *
    o.seeds.length *
    perInstance;
  let done = 0;
  let written = 0;
  let skipped = 0;
  let aborted = false;
  const planKeys = new Set<string>();
  interface Job {
    d: (typeof datasets)[number];
    problem: WorkProblem;
    temperature: number;
    seed: number;
    sampleSeed: number;
    run: PlannedRun;
    key: string;
  }
  const jobs: Job[] = [];
  for (const d of datasets)
    for (const temperature of o.temperatures)
      for (const seed of o.seeds)
        for (const problem of d.problems) {
          const sampleSeed = evalSampleSeed(seed, d.name, problem.id);
          const runs: PlannedRun[] = [];
          if (withLabels) {
            runs.push({
              label: LABELS_ROW,
              method: 'labels',
              options: {},
              kind: 'labels',
              policy: () => cueLabelPolicy(problem.kind, problem.gold, labelDefaults),
            });
          }
          // Methods run in an order shuffled per instance under its seed, so no method is always the
          // first (cold caches) or the last (a warmed-up machine) on a problem.
          for (const i of methodOrder(o.methods.length, sampleSeed)) {
            const m = o.methods[i];
            runs.push({
              label: m.label,
              method: m.name,
              options: m.options,
              kind: 'run',
              policy: () => factories[i](problem),
            });
          }
          for (const run of runs) {
            const key = rowKey({
              label: run.label,
              dataset: d.name,
              problemId: problem.id,
              temperature,
              seed,
            });
            planKeys.add(key);
            jobs.push({ d, problem, temperature, seed, sampleSeed, run, key });
          }
        }
  try {
    // One short untimed generation first, so the first timed run does not pay for cold caches.
    if (jobs.some((j) => !store.has(j.key))) await warmUp(engine, jobs[0].problem);
    // Runs go side by side (--parallel) and are written in plan order: the same file as a serial run.
    await runOrdered(jobs, {
      parallel: o.parallel ?? 1,
      stop: () => aborted || (o.signal?.aborted ?? false),
      run: async (job) => {
        if (store.has(job.key)) return null;
        return runReasoning(engine, engine.formatChat(job.problem.messages), job.run.policy(), {
          sample: {
            temperature: job.temperature,
            topP: o.topP ?? DEFAULT_SAMPLE.topP,
            topK: o.topK ?? 0,
            seed: job.sampleSeed,
          },
          maxTokens: o.maxTokens,
          answerMaxTokens: o.answerMaxTokens ?? DEFAULT_ANSWER_MAX_TOKENS,
          signal: o.signal,
        });
      },
      onResult: (job, trace) => {
        // A run cut short by the signal is not a result; it (and every later one) is redone next time.
        if (aborted || (trace && (trace.exit.reason === 'aborted' || trace.finish === 'aborted'))) {
          aborted = true;
          return;
        }
        done++;
        if (trace) {
          store.append(
            traceToRow(engine, trace, {
              kind: job.run.kind,
              method: job.run.method,
              label: job.run.label,
              options: job.run.options,
              dataset: job.d.name,
              problem: job.problem,
              temperature: job.temperature,
              seed: job.seed,
              sampleSeed: job.sampleSeed,
            }),
          );
          written++;
        } else skipped++;
        o.onProgress?.({
          done,
          total,
          skipped: trace === null,
          label: job.run.label,
          dataset: job.d.name,
          problemId: job.problem.id,
          written,
        });
      },
    });
    if (o.signal?.aborted) aborted = true;
  } finally {
    store.close();
  }
  const rows = store.rows.filter((r) => planKeys.has(rowKey(r)));
  const context = {
    model: engine.info.modelId,
    engine: engine.info.name,
    datasets: names,
    methods: o.methods.map((m) => m.label),
    temperatures: o.temperatures,
    seeds: o.seeds,
    maxTokens: o.maxTokens,
  };
  const summary = summarizeEval(rows, context);
  writeFileSync(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(paths.report, await renderReport(summary, rows, { maxTraces: o.reportTraces ?? 200 }));
  return {
    paths,
    rows,
    summary,
    table: formatSummaryTable(summary),
    written,
    skipped,
    recoveredBytes: store.recoveredBytes,
    aborted,
    seconds: (performance.now() - started) / 1000,
  };
}
