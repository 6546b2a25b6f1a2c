/** Problem generation for every family. */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import { arithLogic, arithProblem, drawArith } from './arith.ts';
import { fnv1a } from './hash.ts';
import type { FamilyLogic } from './logic.ts';
import { drawOrder, orderLogic, orderProblem } from './order.ts';
import type { Family, Problem } from './types.ts';
import { drawWord, wordLogic, wordProblem } from './word.ts';

/** Draws a problem of a family. The id is `family-<hash of canonical form>`. */
export function generateProblem(family: Family, rng: SeededRandom): Problem {
  let p: Omit<Problem, 'id'>;
  if (family === 'arith') p = arithProblem(drawArith(rng), rng);
  else if (family === 'word') p = wordProblem(drawWord(rng), rng);
  else if (family === 'order') p = orderProblem(drawOrder(rng), rng);
  else throw new Error(`unknown family ${JSON.stringify(family)}`);
  return { id: `${family}-${fnv1a(p.canonical).toString(16).padStart(8, '0')}`, ...p };
}

/** The solution logic of a family. */
export function logicOf(family: Family): FamilyLogic<unknown> {
  const logic = { arith: arithLogic, word: wordLogic, order: orderLogic }[family];
  if (!logic) throw new Error(`unknown family ${JSON.stringify(family)}`);
  return logic as FamilyLogic<unknown>;
}
