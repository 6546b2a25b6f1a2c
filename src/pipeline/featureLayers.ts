/**
 * Feature layers of an events store: a store collected with several layers (say every block and
 * the final norm, on the reference engine) holds, per row, the concatenation of one hidden state per
 * layer; a probe on a subset of those layers is fitted on the rows with the other blocks cut out.
 * That is exactly what a collect with only those layers would have stored (the same rollouts, cue
 * events and labels, the same states), so one collect serves every layer configuration of an ablation.
 */
import { UserError } from '../errors.ts';
import type { EventsData } from './events.ts';

/** A copy of `d` whose rows keep the states of `layers` only, in that order (meta and dim updated). */
export function selectLayers(d: EventsData, layers: readonly number[]): EventsData {
  const have = d.meta.layers;
  if (layers.length === 0) throw new UserError('select at least one feature layer');
  const width = d.dim / have.length;
  if (!Number.isInteger(width))
    throw new UserError(`${d.paths.prefix}: dim ${d.dim} is not a multiple of its ${have.length} layers`);
  const from = layers.map((l) => {
    const i = have.indexOf(l);
    if (i < 0) throw new UserError(`${d.paths.prefix} holds layers ${have.join(',')}, not layer ${l}`);
    return i * width;
  });
  const dim = layers.length * width;
  const rows = d.events.length;
  const X = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++)
    from.forEach((at, j) => {
      X.set(d.X.subarray(r * d.dim + at, r * d.dim + at + width), r * dim + j * width);
    });
  return { ...d, meta: { ...d.meta, layers: [...layers], dim }, X, dim };
}
