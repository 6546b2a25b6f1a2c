import { InvalidArgumentError } from '../errors.ts';

/**
 * log P(Binom(n, p) = k) for k = 0..kMax, by the pmf recurrence
 * P(k+1) = P(k) · (n−k)/(k+1) · p/(1−p), started at log P(0) = n·log1p(−p), all in log space.
 */
function logPmfs(n: number, p: number, kMax: number): Float64Array {
  const out = new Float64Array(kMax + 1);
  const ratio = Math.log(p) - Math.log1p(-p);
  out[0] = n * Math.log1p(-p);
  for (let k = 0; k < kMax; k++) out[k + 1] = out[k] + Math.log(n - k) - Math.log(k + 1) + ratio;
  return out;
}

function logSumExp(xs: Float64Array): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) m = Math.max(m, x);
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

function checkArgs(k: number, n: number, p: number): void {
  if (!(Number.isInteger(n) && n >= 0))
    throw new InvalidArgumentError(`binomial n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k)) throw new InvalidArgumentError(`binomial k must be an integer, got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`binomial p must be in [0, 1], got ${p}`);
}

/** P(Binom(n, p) ≤ k), summed exactly term by term in log space (accurate deep in the tails). */
export function binomialCdf(k: number, n: number, p: number): number {
  checkArgs(k, n, p);
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  return Math.min(1, Math.exp(logSumExp(logPmfs(n, p, k))));
}

/** All of P(Binom(n, p) ≤ k) for k = 0..n (one O(n) pass; used to test many risk levels). */
export function binomialCdfTable(n: number, p: number): Float64Array {
  checkArgs(0, n, p);
  const out = new Float64Array(n + 1);
  if (p === 0 || p === 1) return out.fill(p === 0 ? 1 : 0).fill(1, n);
  const lp = logPmfs(n, p, n);
  // Running log-sum-exp, rescaled as the maximum moves.
  let m = Number.NEGATIVE_INFINITY;
  let s = 0;
  for (let k = 0; k <= n; k++) {
    const x = lp[k];
    if (x > m) {
      s = s * Math.exp(m - x) + 1;
      m = x;
    } else s += Math.exp(x - m);
    out[k] = Math.min(1, Math.exp(m + Math.log(s)));
  }
  out[n] = 1;
  return out;
}
