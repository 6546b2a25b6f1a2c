/**
 * `runEval`: every method on every (dataset, slice, problem, temperature, seed), with the same
 * sampling seed for all methods of an instance (they share the sampled prefix until one exits),
 * graded and appended to `results.jsonl`; then `summary.json` and `report.html`. Rerunning with the
 * same output folder skips the rows already there. With `tune`, every method also runs on the dev
 * slice, where each family's setting is chosen (`tuning.ts`). When a method sizes a token count as
 * `N%` of the reference thinking, vanilla runs on dev first and its mean thinking is that reference.
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
import { engineFingerprint, loadBundleFor } from '../fingerprint.ts';
import { runOrdered } from '../orderedPool.ts';
import type { WorkProblem } from '../problems.ts';
import { renderReport } from '../report/renderReport.ts';
import { DEV_SLICE, type EvalDataset, type EvalPart, planParts } from './evalPlan.ts';
import { cueLabelPolicy } from './labelsPolicy.ts';
import { type PolicyFactory, policyFactory, specNeedsReference } from './methodPolicies.ts';
import { checkMethodOptions, checkUniqueLabels, type MethodSpec } from './methodSpec.ts';
import { measureReferences, referenceKey } from './references.ts';
import { ResultsStore } from './resultsStore.ts';
import { type EvalRow, LABELS_ROW, rowKey } from './row.ts';
import { evalSampleSeed } from './seeds.ts';
import { type EvalContext, type EvalSummary, formatSummaryTable, summarizeEval } from './summary.ts';
import { traceToRow } from './traceRow.ts';
import { DEFAULT_TOLERANCE, isVanillaGroup } from './tuning.ts';

export { type EvalDataset, resolveDatasetName } from './evalPlan.ts';

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
  /** Seeds on the dev slice (default: `seeds`): choices can be made on fewer runs than are reported. */
  devSeeds?: number[];
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
  /**
   * Choose each family's setting on the dev slice and report it on each data set's slice (default
   * `test`): every method runs on both. Default false (the choices are then in-sample, and say so).
   */
  tune?: boolean;
  /** The selection rule's accuracy tolerance below vanilla (a fraction; default 0.01 = 1 point). */
  tolerance?: number;
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
  slice: string;
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

function checkOptions(o: EvalOptions): void {
  if (o.methods.length === 0) throw new UserError('eval: no methods given');
  if (o.datasets.length === 0) throw new UserError('eval: no datasets given');
  if (o.temperatures.length === 0) throw new UserError('eval: no temperatures given');
  if (o.seeds.length === 0) throw new UserError('eval: no seeds given');
  if (o.tolerance !== undefined && !(o.tolerance >= 0 && o.tolerance < 1))
    throw new UserError(`tolerance must be in [0, 1) (a fraction of accuracy), got ${o.tolerance}`);
  if (o.tune && !o.methods.some(isVanillaSpec))
    throw new UserError('--tune compares every setting with vanilla on dev: list vanilla among the methods');
  for (const t of o.temperatures)
    if (!(t >= 0 && Number.isFinite(t))) throw new UserError(`temperature must be >= 0, got ${t}`);
  if (o.devSeeds?.length === 0) throw new UserError('eval: --dev-seeds is empty');
  for (const s of [...o.seeds, ...(o.devSeeds ?? [])])
    if (!Number.isSafeInteger(s) || s < 0)
      throw new UserError(`seed must be a non-negative integer, got ${s}`);
  if (!Number.isSafeInteger(o.maxTokens) || o.maxTokens <= 0)
    throw new UserError(`max-tokens must be a positive integer, got ${o.maxTokens}`);
  checkUniqueLabels(o.methods);
  if (o.methods.some((m) => m.label === LABELS_ROW)) throw new UserError(`"${LABELS_ROW}" is reserved`);
  // Checked before the bundle is read and before any run, so a bad spec costs no decoding.
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

/** True for plain vanilla (no options): the reference every saving is measured against. */
export function isVanillaSpec(m: Pick<MethodSpec, 'name' | 'options'>): boolean {
  return isVanillaGroup({ method: m.name, options: m.options });
}

const REFERENCE_VANILLA: MethodSpec = { name: 'vanilla', options: {}, label: 'vanilla', family: 'vanilla' };

/** One method's run of an instance, as the plan lists it. */
interface PlannedRun {
  label: string;
  method: string;
  options: MethodSpec['options'];
  kind: EvalRow['kind'];
  policy: (reference: number | undefined) => ExitPolicy;
}

/** One run to do. */
interface Job {
  part: EvalPart;
  problem: WorkProblem;
  temperature: number;
  seed: number;
  sampleSeed: number;
  run: PlannedRun;
  key: string;
}

/**
 * Every run of the eval in plan order: per (part, temperature, seed, problem), the label pass, then
 * the methods in an order shuffled under the instance seed (a reference part runs vanilla alone).
 */
function planJobs(
  parts: readonly EvalPart[],
  o: Pick<EvalOptions, 'temperatures' | 'seeds' | 'devSeeds' | 'methods'>,
  using: {
    /** `o.methods`, plus vanilla for the reference pass when it is not listed. */
    methods: readonly MethodSpec[];
    makers: readonly PolicyFactory[];
    labels?: (problem: WorkProblem) => ExitPolicy;
  },
): Job[] {
  const { methods, makers, labels } = using;
  const jobs: Job[] = [];
  for (const part of parts)
    for (const temperature of o.temperatures)
      for (const seed of part.slice === DEV_SLICE ? (o.devSeeds ?? o.seeds) : o.seeds)
        for (const problem of part.problems) {
          const sampleSeed = evalSampleSeed(seed, part.dataset, problem.id);
          const runs: PlannedRun[] = [];
          if (labels && part.runs === 'all')
            runs.push({
              label: LABELS_ROW,
              method: 'labels',
              options: {},
              kind: 'labels',
              policy: () => labels(problem),
            });
          // Methods run in an order shuffled per instance under its seed, so no method is always the
          // first (cold caches) or the last (a warmed-up machine) on a problem.
          const order =
            part.runs === 'all'
              ? methodOrder(o.methods.length, sampleSeed)
              : [methods.findIndex(isVanillaSpec)];
          for (const i of order) {
            const m = methods[i];
            runs.push({
              label: m.label,
              method: m.name,
              options: m.options,
              kind: 'run',
              policy: (reference) => makers[i](problem, reference),
            });
          }
          for (const run of runs) {
            const key = rowKey({
              label: run.label,
              dataset: part.dataset,
              slice: part.slice,
              problemId: problem.id,
              temperature,
              seed,
            });
            jobs.push({ part, problem, temperature, seed, sampleSeed, run, key });
          }
        }
  return jobs;
}

/** Runs an eval (see the module comment). */
export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const started = performance.now();
  checkOptions(o);
  const engine = o.engine;
  const bundle = typeof o.bundle === 'string' ? await loadBundleFor(o.bundle, engine) : o.bundle;
  const factories = o.methods.map((m) => policyFactory(m, bundle));
  const needsReference = o.methods.some(specNeedsReference);
  const tune = o.tune ?? false;
  const parts = o.datasets.flatMap((d) => planParts(d, { tune, needsReference, dataDir: o.dataDir }));
  const names = [...new Set(parts.map((p) => p.dataset))];
  if (names.length !== o.datasets.length)
    throw new UserError(`eval: a dataset is listed twice (${o.datasets.map((d) => d.task).join(', ')})`);
  // The reference pass needs vanilla on dev; it runs there even when not listed.
  const vanillaIndex = o.methods.findIndex(isVanillaSpec);
  const methods = vanillaIndex < 0 && needsReference ? [...o.methods, REFERENCE_VANILLA] : o.methods;
  const makers = methods === o.methods ? factories : [...factories, policyFactory(REFERENCE_VANILLA, bundle)];
  const vanillaLabel = methods.find(isVanillaSpec)?.label;
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
  const jobs = planJobs(parts, o, {
    methods,
    makers,
    labels: withLabels ? (p) => cueLabelPolicy(p.kind, p.gold, labelDefaults) : undefined,
  });
  const planKeys = new Set(jobs.map((j) => j.key));
  // Vanilla on dev first when references are needed: the other runs are sized from it.
  const isReferenceJob = (j: Job) =>
    needsReference && j.part.slice === DEV_SLICE && j.run.label === vanillaLabel;
  const phases = needsReference
    ? [jobs.filter(isReferenceJob), jobs.filter((j) => !isReferenceJob(j))]
    : [jobs];
  let done = 0;
  let written = 0;
  let skipped = 0;
  let aborted = false;
  let references = new Map<string, number>();
  try {
    // One short untimed generation first, so the first timed run does not pay for cold caches.
    if (jobs.some((j) => !store.has(j.key))) await warmUp(engine, jobs[0].problem);
    for (const phase of phases) {
      if (aborted || o.signal?.aborted) break;
      if (phase !== phases[0] && vanillaLabel)
        references = new Map(
          measureReferences(store.rows, vanillaLabel).map((r) => [
            referenceKey(r.dataset, r.temperature),
            r.thinkingTokens,
          ]),
        );
      // Runs go side by side (--parallel) and are written in plan order: the same file as a serial run.
      await runOrdered(phase, {
        parallel: o.parallel ?? 1,
        stop: () => aborted || (o.signal?.aborted ?? false),
        run: async (job) => {
          if (store.has(job.key)) return null;
          const reference = references.get(referenceKey(job.part.dataset, job.temperature));
          return runReasoning(engine, engine.formatChat(job.problem.messages), job.run.policy(reference), {
            sample: {
              temperature: job.temperature,
              topP: o.topP ?? DEFAULT_SAMPLE.topP,
              topK: o.topK ?? 0,
              seed: job.sampleSeed,
            },
            maxTokens: o.maxTokens,
            answerMaxTokens: o.answerMaxTokens ?? DEFAULT_ANSWER_MAX_TOKENS,
            // Every method that force-exits answers after the bundle's exit cue, as LYNX does.
            ...(bundle?.data.exitCue ? { exitCue: bundle.data.exitCue } : {}),
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
                dataset: job.part.dataset,
                slice: job.part.slice,
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
            total: jobs.length,
            skipped: trace === null,
            label: job.run.label,
            dataset: job.part.dataset,
            slice: job.part.slice,
            problemId: job.problem.id,
            written,
          });
        },
      });
    }
    if (o.signal?.aborted) aborted = true;
  } finally {
    store.close();
  }
  const rows = store.rows.filter((r) => planKeys.has(rowKey(r)));
  const reportSlices = [
    ...new Set(parts.filter((p) => p.runs === 'all' && !(tune && p.slice === DEV_SLICE)).map((p) => p.slice)),
  ];
  const context: EvalContext = {
    model: engine.info.modelId,
    engine: engine.info.name,
    datasets: names,
    methods: methods.map((m) => m.label),
    families: Object.fromEntries(methods.map((m) => [m.label, m.family])),
    temperatures: o.temperatures,
    seeds: o.seeds,
    ...(o.devSeeds ? { devSeeds: o.devSeeds } : {}),
    maxTokens: o.maxTokens,
    tuning: {
      on: tune ? DEV_SLICE : null,
      reportedOn: reportSlices,
      tolerance: o.tolerance ?? DEFAULT_TOLERANCE,
    },
  };
  const summary = summarizeEval(rows, context, vanillaLabel ? measureReferences(rows, vanillaLabel) : []);
  writeFileSync(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  const questions = new Map(
    parts.flatMap((p) => p.problems.map((q) => [`${p.dataset}\u0000${q.id}`, questionOf(q)] as const)),
  );
  writeFileSync(
    paths.report,
    await renderReport(summary, rows, {
      maxTraces: o.reportTraces ?? 200,
      question: (dataset, id) => questions.get(`${dataset}\u0000${id}`),
    }),
  );
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

/** The text of a problem's user message (what the report's trace viewer shows). */
function questionOf(p: WorkProblem): string {
  return p.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n\n');
}
