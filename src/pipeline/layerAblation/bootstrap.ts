/**
 * Uncertainty of held-out AUROCs: a bootstrap over problems (the cue events of a problem are
 * correlated, so problems, not events, are resampled), paired across probes — every probe is scored
 * on the same resampled problems — so the interval of a difference between two probes is narrower
 * than what their separate intervals suggest.
 */
import { auroc } from '../../probe/metrics.ts';
import { SeededRandom } from '../../random/SeededRandom.ts';

/** A point estimate with a percentile 95% interval. */
export interface Interval {
  value: number;
  ci95: [number, number];
}

/** The 2.5% and 97.5% percentiles of `xs` (sorted in place). */
function percentiles(xs: number[]): [number, number] {
  xs.sort((a, b) => a - b);
  const at = (q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))))];
  return [at(0.025), at(0.975)];
}

/**
 * AUROC of each score vector (one per probe, over the same events) and of its difference to
 * `scores[base]`, with intervals from `reps` resamples of the clusters (problems) under `seed`.
 * Resamples that hold one class only are redrawn.
 */
export function pairedAurocBootstrap(
  scores: ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number>,
  clusters: readonly string[],
  base: number,
  reps: number,
  seed: number,
): { auroc: Interval[]; diff: Interval[] } {
  const byCluster = new Map<string, number[]>();
  for (const [i, c] of clusters.entries()) {
    const group = byCluster.get(c);
    if (group) group.push(i);
    else byCluster.set(c, [i]);
  }
  const groups = [...byCluster.values()];
  const point = scores.map((s) => auroc(s, labels));
  const draws = scores.map(() => [] as number[]);
  const diffs = scores.map(() => [] as number[]);
  const rng = new SeededRandom(seed);
  for (let r = 0; r < reps; r++) {
    const rows: number[] = [];
    for (let k = 0; k < groups.length; k++) rows.push(...groups[rng.int(groups.length)]);
    const y = rows.map((i) => labels[i]);
    const pos = y.reduce((a, b) => a + b, 0);
    if (pos === 0 || pos === y.length) {
      r--;
      continue;
    }
    const values = scores.map((s) =>
      auroc(
        rows.map((i) => s[i]),
        y,
      ),
    );
    values.forEach((v, j) => {
      draws[j].push(v);
      diffs[j].push(v - values[base]);
    });
  }
  return {
    auroc: point.map((value, j) => ({ value, ci95: percentiles(draws[j]) })),
    diff: point.map((value, j) => ({ value: value - point[base], ci95: percentiles(diffs[j]) })),
  };
}
