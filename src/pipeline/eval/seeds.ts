/** Sampling seeds of eval runs. */
import { createHash } from 'node:crypto';

/** The seeds an eval runs when none are given (eval and the demo alike). */
export const DEFAULT_EVAL_SEEDS: readonly number[] = Object.freeze([1]);

/**
 * The sampling seed of one problem instance: a 32-bit hash of (seed, dataset, problem id). Every
 * method on that instance uses it, and the engine's sampler draws by (seed, position), so methods
 * sample the same thinking tokens until one of them exits: a paired comparison. The "eval" domain
 * keeps these seeds apart from collect's rollout seeds.
 */
export function evalSampleSeed(seed: number, dataset: string, problemId: string): number {
  return createHash('sha256')
    .update(`eval\u0000${seed}\u0000${dataset}\u0000${problemId}`)
    .digest()
    .readUInt32LE(0);
}
