import { InvalidArgumentError } from '../errors.ts';
import type { SeededRandom } from '../random/SeededRandom.ts';

/**
 * Splits row indices into train / validation keeping the class ratio: each class contributes
 * round(fraction · n_c) validation rows, at least 1 and leaving at least 1 for training.
 */
export function stratifiedSplit(
  y: Uint8Array,
  fraction: number,
  rng: SeededRandom,
): { train: Int32Array; validation: Int32Array } {
  if (!(fraction > 0 && fraction < 1))
    throw new InvalidArgumentError(`validation fraction must be in (0, 1), got ${fraction}`);
  const byClass: number[][] = [[], []];
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const train: number[] = [];
  const validation: number[] = [];
  for (const c of [0, 1]) {
    const idx = rng.shuffle(byClass[c]);
    if (idx.length < 2)
      throw new InvalidArgumentError(
        `early stopping needs at least 2 examples of class ${c} (has ${idx.length}); add data or disable early stopping`,
      );
    const nVal = Math.min(idx.length - 1, Math.max(1, Math.round(fraction * idx.length)));
    validation.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: Int32Array.from(train).sort(), validation: Int32Array.from(validation).sort() };
}
