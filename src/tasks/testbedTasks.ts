/**
 * The synthetic testbed families (`src/testbed/`) as loadable task sets: `testbed` (all families,
 * round-robin), `testbed-arith`, `testbed-word`, `testbed-order`. Problems are generated from a seed;
 * `split` is the testbed's own train / held-out partition (the testbed model is trained on `train`),
 * and `slice` a second hash partition into three disjoint thirds: probe training, calibration and
 * evaluation, the last halved again into `dev` (where methods are tuned) and `test` (where they are
 * reported). LYNX's guarantee needs calibration problems exchangeable with the test problems, so
 * the shipped bundle is fitted on `heldout` × {train, calib} and evaluated on `heldout` × test.
 */
import type { AnswerKind } from '../answers/grade.ts';
import { ensure, UserError } from '../errors.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { FAMILIES, type Family, generateProblem, splitOf } from '../testbed/index.ts';
import { fnv1a } from '../testbed/traces/hash.ts';
import { evalPartOf } from './devTest.ts';

export const TESTBED_TASK_NAMES = ['testbed', 'testbed-arith', 'testbed-word', 'testbed-order'] as const;
export type TestbedTaskName = (typeof TESTBED_TASK_NAMES)[number];

/** The slices: probe training and calibration thirds, and the evaluation third's dev and test halves. */
export const TESTBED_SLICES = ['train', 'calib', 'dev', 'test'] as const;
export type TestbedSlice = (typeof TESTBED_SLICES)[number];

/** One generated testbed problem, in the fields a task problem has plus its grading kind. */
export interface TestbedTaskProblem {
  id: string;
  task: TestbedTaskName;
  question: string;
  gold: string;
  kind: AnswerKind;
}

/** Options of `loadTestbedTask`. */
export interface TestbedTaskOptions {
  /** The testbed partition (default 'train'). */
  split?: string;
  /** 'train' / 'calib': a third of a hash partition; 'dev' / 'test': half of the last third; 'all' (default): every one. */
  slice?: TestbedSlice | 'all';
  /** Problem generation seed (default 42). */
  seed?: number;
  /** Number of problems (default 200). */
  limit?: number;
}

/** True if `name` is a testbed task. */
export function isTestbedTask(name: string): name is TestbedTaskName {
  return (TESTBED_TASK_NAMES as readonly string[]).includes(name);
}

/** The slice a problem belongs to (independent of the train / held-out split). */
export function testbedSliceOf(canonical: string): TestbedSlice {
  const third = fnv1a(`slice:${canonical}`) % 3;
  if (third === 0) return 'train';
  if (third === 1) return 'calib';
  return evalPartOf(canonical, 0);
}

/** Generates `limit` distinct problems of a testbed task, deterministically. */
export function loadTestbedTask(name: string, opts: TestbedTaskOptions = {}): TestbedTaskProblem[] {
  if (!isTestbedTask(name))
    throw new UserError(`unknown testbed task "${name}"; known: ${TESTBED_TASK_NAMES.join(', ')}`);
  const split = opts.split ?? 'train';
  ensure(split === 'train' || split === 'heldout', `testbed split must be train or heldout, got "${split}"`);
  const slice = opts.slice ?? 'all';
  ensure(
    [...TESTBED_SLICES, 'all'].includes(slice),
    `testbed slice must be ${TESTBED_SLICES.join(', ')} or all, got "${slice}"`,
  );
  const limit = opts.limit ?? 200;
  ensure(Number.isInteger(limit) && limit >= 0, `limit must be a non-negative integer, got ${limit}`);
  const families: readonly Family[] =
    name === 'testbed' ? FAMILIES : [name.slice('testbed-'.length) as Family];
  const rng = new SeededRandom(fnv1a(`testbed-task:${opts.seed ?? 42}:${name}`));
  const seen = new Set<string>();
  const out: TestbedTaskProblem[] = [];
  for (let j = 0; out.length < limit; j++) {
    const family = families[j % families.length];
    let found = false;
    for (let attempt = 0; attempt < 10_000 && !found; attempt++) {
      const p = generateProblem(family, rng);
      if (seen.has(p.canonical) || splitOf(p) !== split) continue;
      if (slice !== 'all' && testbedSliceOf(p.canonical) !== slice) continue;
      seen.add(p.canonical);
      out.push({
        id: p.id,
        task: name,
        question: p.question,
        gold: p.gold,
        kind: family === 'order' ? 'mcq' : 'gsm8k',
      });
      found = true;
    }
    if (!found)
      throw new UserError(`ran out of distinct ${family} problems for ${name} (${split}, ${slice})`);
  }
  return out;
}
