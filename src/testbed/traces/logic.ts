/**
 * What the trace generator needs from a task family: the step-by-step solution as a chain of
 * states, plus the phrasing of each move. The generator decides slips, checks and verification.
 */
import type { SeededRandom } from '../../random/SeededRandom.ts';
import type { Problem } from './types.ts';

/** A family's solution steps and phrasing. `S` is the running state (a number, an ordering, …). */
export interface FamilyLogic<S> {
  /** Number of solution steps. */
  steps(p: Problem): number;
  /** The state before the first step. */
  start(p: Problem): S;
  /** The correct result of step i applied to `input` (which may be wrong after a missed slip). */
  apply(p: Problem, i: number, input: S): S;
  /** A wrong result of step i (different from `right`). */
  slip(p: Problem, i: number, input: S, right: S, rng: SeededRandom): S;
  /** The answer a state gives (number string or letter). */
  answer(p: Problem, s: S): string;
  /** A plausible answer other than `answer` (any plausible one when null): a guess made without settling. */
  otherAnswer(p: Problem, answer: string | null, rng: SeededRandom): string;
  /** Whether writing the last step already states the answer (numbers) or a conclusion must (letters). */
  lastStepStatesAnswer: boolean;

  opening(p: Problem, s0: S, rng: SeededRandom): string;
  /** Restates what the question gives, in its own words (a planning paragraph before solving). */
  restate(p: Problem, rng: SeededRandom): string;
  /** Writing step i with the result `output` (full sentence). */
  step(p: Problem, i: number, input: S, output: S, rng: SeededRandom): string;
  /** Short restatement of step i for recaps, e.g. "12 * 3 = 36" (no final period). */
  redo(p: Problem, i: number, input: S, output: S): string;
  /** Body of a catch after "Wait, ": e.g. "12 * 3 is 36, not 35. So we have 36." */
  correction(p: Problem, i: number, input: S, wrong: S, right: S, rng: SeededRandom): string;
  /** Body of a check of a correct step, e.g. "12 * 3 = 36. Yes." */
  check(p: Problem, i: number, input: S, output: S, rng: SeededRandom): string;
  /** Another way to get step i's (correct) result, after "Alternatively, "; null if none. */
  altStep(p: Problem, i: number, input: S, output: S, rng: SeededRandom): string | null;
  /** Stating the result, e.g. "So the result is 32." */
  conclusion(p: Problem, s: S, rng: SeededRandom): string;
  /** A different derivation of the whole (correct) solution, after "Alternatively, "; null if none. */
  altAll(p: Problem, states: readonly S[], rng: SeededRandom): string | null;
}
