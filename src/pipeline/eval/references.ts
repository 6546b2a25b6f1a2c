/**
 * The reference thinking length that `N%` token counts are shares of: vanilla's mean kept thinking
 * tokens on the dev slice, per (data set, temperature). Measured on dev, never on the reported
 * problems, so a budget sized from it has not seen them.
 */

import { DEV_SLICE } from './evalPlan.ts';
import type { EvalRow } from './row.ts';
import { mean } from './stats.ts';

/** One measured reference. */
export interface ReferenceThinking {
  dataset: string;
  temperature: number;
  slice: string;
  /** Vanilla's label and how many runs the mean is over. */
  label: string;
  runs: number;
  /** Mean kept thinking tokens per run (the model's own `</think>` included). */
  thinkingTokens: number;
}

/** Key of a (data set, temperature). */
export function referenceKey(dataset: string, temperature: number): string {
  return JSON.stringify([dataset, temperature]);
}

/** Vanilla's mean thinking on dev per (data set, temperature), from the rows of `vanillaLabel`. */
export function measureReferences(rows: readonly EvalRow[], vanillaLabel: string): ReferenceThinking[] {
  const by = new Map<string, EvalRow[]>();
  for (const r of rows) {
    if (r.kind !== 'run' || r.label !== vanillaLabel || r.slice !== DEV_SLICE) continue;
    const k = referenceKey(r.dataset, r.temperature);
    let list = by.get(k);
    if (!list) by.set(k, (list = []));
    list.push(r);
  }
  return [...by.values()].map((list) => ({
    dataset: list[0].dataset,
    temperature: list[0].temperature,
    slice: DEV_SLICE,
    label: vanillaLabel,
    runs: list.length,
    thinkingTokens: mean(list.map((r) => r.counts.keptThinking)),
  }));
}
