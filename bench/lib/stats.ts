/** Median with min and max of a benchmark's per-block measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The median (mean of the middle two for an even count), min and max of `xs`. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** `median [min–max]` with `digits` decimals. */
export function formatSpread(s: Spread, digits = 1): string {
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}
