/**
 * Which problems an eval runs each method on. Every data set is reported on one slice (testbed:
 * `test`; a benchmark: all of it, or `test` when tuning). The `dev` slice joins when the eval tunes
 * (every method runs there too, and choices are made there) or when a method sizes a token count as
 * a share of the reference thinking (then vanilla alone runs there, to measure it). Dev and the
 * reported slice must not share a problem.
 */
import { UserError } from '../../errors.ts';
import { isTestbedTask, TESTBED_TASK_NAMES, type TestbedSlice } from '../../tasks/testbedTasks.ts';
import { isTaskName, TASK_NAMES } from '../../tasks/types.ts';
import { loadProblems, type WorkProblem } from '../problems.ts';

/** The slice methods are tuned on and references are measured on. */
export const DEV_SLICE = 'dev';

/** One data set to evaluate on. */
export interface EvalDataset {
  /** A task the registry knows (gsm8k, math500, ..., testbed, testbed-arith, ...) or `arith` for `testbed-arith`. */
  task: string;
  /** Default: the task's default split; testbed tasks: `heldout` (the testbed model trains on `train`). */
  split?: string;
  /**
   * The reported slice. Default: testbed `test` (no shipped bundle saw it); benchmarks all, or
   * `test` when tuning (and for given `problems` with `devProblems`).
   */
  slice?: TestbedSlice | 'all';
  limit?: number;
  /** Problems on dev when the eval tunes or measures references (default: `limit`). */
  devLimit?: number;
  /** Testbed generation / slice and dev-test partition seed (default 42). */
  dataSeed?: number;
  /** Use these problems instead of loading the task (programmatic use, tests). */
  problems?: readonly WorkProblem[];
  /** The dev problems when `problems` is given and the eval needs dev. */
  devProblems?: readonly WorkProblem[];
}

/** The problems of one (data set, slice), and which runs they get. */
export interface EvalPart {
  dataset: string;
  slice: string;
  problems: readonly WorkProblem[];
  /** `all`: every method and the label pass; `reference`: vanilla only (the reference thinking). */
  runs: 'all' | 'reference';
}

/** Resolves a data set name: registry names as they are; `arith` → `testbed-arith` when only that exists. */
export function resolveDatasetName(task: string): string {
  if (!isTestbedTask(task) && isTestbedTask(`testbed-${task}`)) return `testbed-${task}`;
  return task;
}

function load(d: EvalDataset, name: string, slice: string, dataDir?: string): readonly WorkProblem[] {
  const given = slice === DEV_SLICE && d.problems ? d.devProblems : d.problems;
  if (given) return given;
  if (d.problems)
    throw new UserError(`data set ${name}: give devProblems with problems (the eval needs dev)`);
  const testbed = isTestbedTask(name);
  const problems = loadProblems({
    dataset: name,
    split: d.split ?? (testbed ? 'heldout' : undefined),
    slice: slice as TestbedSlice | 'all',
    limit: slice === DEV_SLICE ? (d.devLimit ?? d.limit) : d.limit,
    dataSeed: d.dataSeed,
    dataDir,
  });
  if (problems.length === 0) throw new UserError(`no problems selected from ${name} (${slice})`);
  return problems;
}

/**
 * The parts of one data set: dev first when `tune` (all runs) or `needsReference` (vanilla only),
 * then the reported slice.
 */
export function planParts(
  d: EvalDataset,
  opts: { tune: boolean; needsReference: boolean; dataDir?: string },
): EvalPart[] {
  const name = resolveDatasetName(d.task);
  if (!d.problems && !isTaskName(name) && !isTestbedTask(name)) {
    throw new UserError(
      `unknown dataset "${d.task}"; known: ${[...TASK_NAMES, ...TESTBED_TASK_NAMES].join(', ')} (arith, word, order = testbed-*)`,
    );
  }
  const slice = d.slice ?? (opts.tune || isTestbedTask(name) || d.devProblems ? 'test' : 'all');
  const why = opts.tune ? '--tune chooses on dev' : 'N% token counts are sized on dev';
  if ((opts.tune || opts.needsReference) && slice === 'all')
    throw new UserError(`${name}: ${why}, and --slice all holds the dev problems; report on --slice test`);
  if (opts.tune && slice === DEV_SLICE)
    throw new UserError(`${name}: --tune chooses on dev and reports on another slice (--slice test)`);
  const parts: EvalPart[] = [];
  if (opts.tune || (opts.needsReference && slice !== DEV_SLICE))
    parts.push({
      dataset: name,
      slice: DEV_SLICE,
      problems: load(d, name, DEV_SLICE, opts.dataDir),
      runs: opts.tune ? 'all' : 'reference',
    });
  parts.push({ dataset: name, slice, problems: load(d, name, slice, opts.dataDir), runs: 'all' });
  if (parts.length === 2) {
    const dev = new Set(parts[0].problems.map((p) => p.id));
    const shared = parts[1].problems.find((p) => dev.has(p.id));
    if (shared)
      throw new UserError(`${name}: problem ${shared.id} is in dev and in ${slice}; they must be disjoint`);
  }
  return parts;
}
