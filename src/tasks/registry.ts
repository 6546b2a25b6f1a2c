import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, ensure } from '../errors.ts';
import { dataDirCandidates } from './dataDir.ts';
import { type EvalPart, evalPartOf, isEvalPart } from './devTest.ts';
import { parseAime } from './loaders/aime.ts';
import { parseAmc23 } from './loaders/amc23.ts';
import { parseCommonsenseQa } from './loaders/commonsenseqa.ts';
import { parseGsm8k } from './loaders/gsm8k.ts';
import { parseMath500 } from './loaders/math500.ts';
import { parseMathTrain } from './loaders/mathTrain.ts';
import { type MathSlice, selectMathSlice } from './mathSlices.ts';
import {
  GRADING_KIND,
  type GradingKind,
  isTaskName,
  type Problem,
  TASK_NAMES,
  type TaskName,
} from './types.ts';

/** How one task is stored and parsed. The data set folder is named like the task. */
export interface TaskSpec {
  name: TaskName;
  description: string;
  gradingKind: GradingKind;
  defaultSplit: string;
  /** Split → file names inside `<dataDir>/<task>/`; the first one that exists is used. */
  splits: Readonly<Record<string, readonly string[]>>;
  /** Other names accepted for a split (e.g. CSQA's Hugging Face name `validation` for `dev`). */
  splitAliases?: Readonly<Record<string, string>>;
  /** Parses a whole file's text; throws UserError naming file and line for a bad row. */
  parse(file: string, text: string, split: string): Problem[];
}

/** Every task lynx-exit can load. */
export const TASKS: Readonly<Record<TaskName, TaskSpec>> = {
  gsm8k: {
    name: 'gsm8k',
    description: 'GSM8K grade-school math word problems',
    gradingKind: GRADING_KIND.gsm8k,
    defaultSplit: 'test',
    splits: { test: ['test.jsonl'], train: ['train.jsonl'] },
    parse: (file, text, split) => parseGsm8k(file, text, split),
  },
  math500: {
    name: 'math500',
    description: 'MATH-500 (the PRM800K test subset of MATH)',
    gradingKind: GRADING_KIND.math500,
    defaultSplit: 'test',
    splits: { test: ['test.jsonl'] },
    parse: (file, text) => parseMath500(file, text),
  },
  math_train: {
    name: 'math_train',
    description: 'MATH train problems (LYNX probe training and calibration corpus)',
    gradingKind: GRADING_KIND.math_train,
    defaultSplit: 'train',
    splits: { train: ['train.jsonl'] },
    parse: (file, text) => parseMathTrain(file, text),
  },
  aime24: {
    name: 'aime24',
    description: 'AIME 2024 (30 problems)',
    gradingKind: GRADING_KIND.aime24,
    defaultSplit: 'test',
    splits: { test: ['test.jsonl'] },
    parse: (file, text) => parseAime(file, text, 'aime24'),
  },
  aime25: {
    name: 'aime25',
    description: 'AIME 2025 (30 problems)',
    gradingKind: GRADING_KIND.aime25,
    defaultSplit: 'test',
    splits: { test: ['test.jsonl'] },
    parse: (file, text) => parseAime(file, text, 'aime25'),
  },
  amc23: {
    name: 'amc23',
    description: 'AMC 2023 (40 problems)',
    gradingKind: GRADING_KIND.amc23,
    defaultSplit: 'test',
    splits: { test: ['test.jsonl'] },
    parse: (file, text) => parseAmc23(file, text),
  },
  commonsenseqa: {
    name: 'commonsenseqa',
    description: 'CommonsenseQA dev split (the test split has no answer keys)',
    gradingKind: GRADING_KIND.commonsenseqa,
    defaultSplit: 'dev',
    splits: { dev: ['dev_rand_split.jsonl', 'validation_hf_format.jsonl'] },
    splitAliases: { validation: 'dev' },
    parse: (file, text) => parseCommonsenseQa(file, text),
  },
};

/** The spec of a task by name; an unknown name is a UserError listing the known ones. */
export function taskSpec(name: string): TaskSpec {
  if (!isTaskName(name))
    throw new DataFormatError(`unknown task "${name}"; known tasks: ${TASK_NAMES.join(', ')}`);
  return TASKS[name];
}

/** The canonical split name (aliases resolved); an unknown split is a UserError. */
export function resolveSplit(spec: TaskSpec, split?: string): string {
  const s = split ?? spec.defaultSplit;
  const canonical = spec.splitAliases?.[s] ?? s;
  if (!(canonical in spec.splits)) {
    throw new DataFormatError(
      `task ${spec.name} has no split "${s}"; splits: ${Object.keys(spec.splits).join(', ')}`,
    );
  }
  return canonical;
}

/**
 * Finds the file of a task's split: in `dataDir` only when given, else in each of
 * `dataDirCandidates()`. Missing everywhere → a UserError saying where it looked and how to get it.
 */
export function locateTaskFile(task: TaskName, split: string, dataDir?: string): string {
  const spec = TASKS[task];
  const names = spec.splits[resolveSplit(spec, split)];
  const dirs = dataDir ? [path.resolve(dataDir)] : dataDirCandidates();
  const looked: string[] = [];
  for (const dir of dirs) {
    for (const name of names) {
      const file = path.join(dir, task, name);
      if (existsSync(file)) return file;
      looked.push(file);
    }
  }
  throw new DataFormatError(
    `no data for ${task} (${split}); looked for:\n  ${looked.join('\n  ')}\n` +
      `Get it with \`lynx-exit data pull ${task}\`, or point $LYNX_DATA_DIR at a folder holding ${task}/${names[0]}.`,
  );
}

/** Options of `loadTask`. */
export interface LoadTaskOptions {
  /** Folder holding `<task>/<file>`; default: `$LYNX_DATA_DIR`, else the pull cache. */
  dataDir?: string;
  /** Read this JSONL file (in the task's format) instead of looking in a data dir. */
  file?: string;
  split?: string;
  /**
   * MATH train: LYNX's probe training slice or its calibration slice; other tasks: the `dev` or
   * `test` half of the split (a seeded partition, `devTest.ts`); default all problems.
   */
  slice?: MathSlice | EvalPart;
  /** MATH train slices: problems per subject in each slice (default 200). */
  perSubject?: number;
  /** Seed of the MATH train permutations and of the dev / test partition (default 42). */
  seed?: number;
  /** Keep only the first `limit` problems (after slicing). */
  limit?: number;
}

/** Parses one file of a task (any split's file format); used by loaders and by `data check`/`pull`. */
export function parseTaskFile(task: TaskName, file: string, split?: string): Problem[] {
  const spec = TASKS[task];
  return spec.parse(file, readFileSync(file, 'utf8'), resolveSplit(spec, split));
}

/** Loads a task's problems, validated, in file order (MATH slices: subject by subject). */
export function loadTask(name: string, opts: LoadTaskOptions = {}): Problem[] {
  const spec = taskSpec(name);
  const split = resolveSplit(spec, opts.split);
  const slice = opts.slice ?? 'all';
  if (spec.name === 'math_train')
    ensure(
      !isEvalPart(slice),
      `math_train has slices train and calib, not ${slice}; evaluate on a benchmark`,
    );
  else
    ensure(
      slice === 'all' || isEvalPart(slice),
      `slice "${slice}" applies only to math_train; other tasks have dev and test`,
    );
  if (opts.limit !== undefined) {
    ensure(
      Number.isInteger(opts.limit) && opts.limit >= 0,
      `limit must be a non-negative integer, got ${opts.limit}`,
    );
  }
  const file = opts.file ? path.resolve(opts.file) : locateTaskFile(spec.name, split, opts.dataDir);
  if (opts.file && !existsSync(file)) throw new DataFormatError(`${file}: no such file`);
  let problems = spec.parse(file, readFileSync(file, 'utf8'), split);
  if (isEvalPart(slice)) problems = problems.filter((p) => evalPartOf(p.id, opts.seed ?? 42) === slice);
  else if (spec.name === 'math_train' && slice !== 'all')
    problems = selectMathSlice(problems, slice, { perSubject: opts.perSubject, seed: opts.seed });
  return opts.limit === undefined ? problems : problems.slice(0, opts.limit);
}
