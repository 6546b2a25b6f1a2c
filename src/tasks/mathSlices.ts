import { ensure } from '../errors.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { MATH_SUBJECTS } from './loaders/mathTrain.ts';
import type { Problem } from './types.ts';

/** Which part of the MATH train problems to use: the probe's training slice, its calibration slice, or all. */
export type MathSlice = 'train' | 'calib' | 'all';

/** How the train and calibration slices are drawn. */
export interface MathSliceOptions {
  /** Problems per subject in each slice (LYNX: 200, i.e. 1400 per slice). */
  perSubject?: number;
  /** Seed of the permutations (LYNX: 42). */
  seed?: number;
}

/** Natural order of ids, so "train/algebra/10.json" sorts after "train/algebra/9.json". */
const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/**
 * Selects LYNX's MATH train or calibration slice. Following the official code's structure: one
 * generator seeded with `seed` walks the seven subjects in a fixed order, draws a permutation of
 * each subject's problems, and the train slice is perm[0:k], the calibration slice perm[k:2k]
 * (disjoint by construction). The generator is `SeededRandom` (sfc32 + Fisher–Yates), NOT numpy's
 * `default_rng(42).permutation`, so the chosen problems differ from the official ones even though
 * the sizes and the recipe are the same.
 *
 * Each subject's problems are first put in a canonical order (natural order of their ids), so the
 * slices do not depend on the order of rows in the file.
 */
export function selectMathSlice(
  problems: Problem[],
  slice: MathSlice,
  opts: MathSliceOptions = {},
): Problem[] {
  if (slice === 'all') return problems;
  const k = opts.perSubject ?? 200;
  const seed = opts.seed ?? 42;
  ensure(Number.isInteger(k) && k > 0, `perSubject must be a positive integer, got ${k}`);
  const bySubject = new Map<string, Problem[]>(MATH_SUBJECTS.map((s) => [s, []]));
  for (const p of problems) bySubject.get(String(p.meta?.subject))?.push(p);
  const rng = new SeededRandom(seed);
  const out: Problem[] = [];
  for (const subject of MATH_SUBJECTS) {
    const pool = bySubject.get(subject)!.sort((a, b) => naturalOrder(a.id, b.id));
    ensure(
      pool.length >= 2 * k,
      `MATH subject ${subject} has ${pool.length} problems, fewer than the ${2 * k} needed for ` +
        `disjoint train and calibration slices of ${k}; lower perSubject`,
    );
    const perm = rng.shuffle(Array.from(pool.keys()));
    const picked = slice === 'train' ? perm.slice(0, k) : perm.slice(k, 2 * k);
    for (const i of picked) out.push(pool[i]);
  }
  return out;
}
