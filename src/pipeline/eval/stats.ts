/** Small statistics for eval summaries: Wilson intervals, means, quantiles. */

/** The two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion (`successes` of `n`), two-sided at normal
 * quantile `z` (default 95%). Unlike the Wald interval it stays inside [0, 1] and is sensible at
 * 0 or n successes. n = 0 gives [0, 1].
 */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(successes) && successes >= 0 && successes <= n)) {
    throw new RangeError(`wilsonInterval: need integers 0 <= successes <= n, got ${successes} of ${n}`);
  }
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes the matching bound is exactly 0 or 1; clamp rounding noise.
  return [successes === 0 ? 0 : Math.max(0, center - half), successes === n ? 1 : Math.min(1, center + half)];
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sum of a list. */
export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** The q-quantile with linear interpolation between order statistics (numpy's default); NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The median (0.5-quantile). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
