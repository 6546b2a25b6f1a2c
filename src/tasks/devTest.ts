/**
 * The dev / test partition used for fair tuning: every method's knobs are chosen on `dev` and
 * reported on `test`. For a benchmark split it is a seeded hash partition of the problem ids (stable
 * under reordering and `--limit`, about half each); the testbed halves its evaluation third the
 * same way (`testbedTasks.ts`), so dev never meets the problems a bundle was fitted on.
 */
import { fnv1a } from '../testbed/traces/hash.ts';

/** The two halves of an evaluation set. */
export const EVAL_PARTS = ['dev', 'test'] as const;
export type EvalPart = (typeof EVAL_PARTS)[number];

/** True for `dev` and `test`. */
export function isEvalPart(slice: string | undefined): slice is EvalPart {
  return slice === 'dev' || slice === 'test';
}

/** The half a problem id falls in under `seed`. */
export function evalPartOf(id: string, seed: number): EvalPart {
  return fnv1a(`dev-test:${seed}:${id}`) % 2 === 0 ? 'dev' : 'test';
}
