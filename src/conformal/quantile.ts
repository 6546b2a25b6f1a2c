import { InvalidArgumentError } from '../errors.ts';

/** Throws unless δ (or α, ε) is a probability strictly inside (0, 1). */
export function checkLevel(v: number, name = 'delta'): void {
  if (!(v > 0 && v < 1)) throw new InvalidArgumentError(`${name} must be in (0, 1), got ${v}`);
}

/**
 * Rank k = ⌈(n+1)(1−δ)⌉ of the split-conformal quantile. A tiny slack keeps float noise in
 * (n+1)(1−δ) (e.g. 90.00000000000001) from bumping k by one.
 */
export function conformalRank(n: number, delta: number): number {
  checkLevel(delta);
  return Math.ceil((n + 1) * (1 - delta) - 1e-9);
}

/**
 * The split-conformal quantile of nonconformity scores: the k-th smallest, k = ⌈(n+1)(1−δ)⌉.
 * When k > n the exact answer is +∞ (too few calibration points for level δ); `beyondN: 'infinity'`
 * (default) returns that, so the class is always kept in the set (conservative: never exit).
 * `beyondN: 'clip'` reproduces the official LYNX code, which clips k to n (returns the max score);
 * that loses the guarantee when n < (1−δ)/δ.
 */
export function conformalQuantile(
  scores: ArrayLike<number>,
  delta: number,
  opts: { beyondN?: 'infinity' | 'clip'; sorted?: boolean } = {},
): number {
  const n = scores.length;
  if (n === 0) throw new InvalidArgumentError('conformal quantile of an empty calibration set');
  let k = conformalRank(n, delta);
  if (k > n) {
    if ((opts.beyondN ?? 'infinity') === 'infinity') return Number.POSITIVE_INFINITY;
    k = n;
  }
  k = Math.max(k, 1);
  const s = opts.sorted ? scores : Float64Array.from(scores).sort();
  return s[k - 1];
}
