/**
 * The token sampler shared by every engine: engines hand over the next-token logits (all of them,
 * or the top candidates plus the exact log-normalizer), and this module picks the token, so the
 * same logits, options and seed give the same token whichever engine produced them.
 */
import { SeededRandom } from '../random/SeededRandom.ts';
import type { SampleOptions } from './types.ts';

/** A next-token distribution: candidates sorted by logit (descending; ties: lower token id first). */
export interface NextTokenDistribution {
  readonly tokens: Int32Array;
  readonly logits: Float32Array;
  /** log Σ exp(logit) over the WHOLE vocabulary (exact even when only the top candidates are kept). */
  readonly logZ: number;
  /** True when the candidates are the whole vocabulary. */
  readonly complete: boolean;
}

/** Sorts (token, logit) pairs by logit descending, then token id ascending (a total order, so engines agree). */
function sortedCandidates(tokens: ArrayLike<number>, logits: ArrayLike<number>): [Int32Array, Float32Array] {
  const n = tokens.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const l = Float32Array.from(logits);
  order.sort((a, b) => l[b] - l[a] || tokens[a] - tokens[b]);
  const t = new Int32Array(n);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = tokens[order[i]];
    s[i] = l[order[i]];
  }
  return [t, s];
}

/** log Σ exp(x) in float64, stable. */
function logSumExp(xs: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i];
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += Math.exp(xs[i] - max);
  return max + Math.log(sum);
}

/** The distribution of a full logit vector (index = token id). */
export function distributionFromLogits(logits: ArrayLike<number>): NextTokenDistribution {
  const ids = new Int32Array(logits.length);
  for (let i = 0; i < ids.length; i++) ids[i] = i;
  const [tokens, sorted] = sortedCandidates(ids, logits);
  return { tokens, logits: sorted, logZ: logSumExp(sorted), complete: true };
}

/**
 * The distribution from the top candidates of a larger vocabulary; `logZ` must be the exact
 * log-normalizer over the whole vocabulary (llama.cpp gives it as max logit + log totalLogitWeight).
 */
export function distributionFromTop(
  tokens: ArrayLike<number>,
  logits: ArrayLike<number>,
  logZ: number,
  vocabSize: number,
): NextTokenDistribution {
  const [t, l] = sortedCandidates(tokens, logits);
  return { tokens: t, logits: l, logZ, complete: t.length >= vocabSize };
}

/** 32-bit integer mix (murmur3 finalizer), a bijection. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The 32-bit seed of the draw at sequence position `position` under `seed` (a function of both only). */
export function positionSeed(seed: number, position: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return mix32(mix32(lo ^ mix32(hi ^ 0x9e3779b9)) ^ (position >>> 0));
}

/** The uniform in [0, 1) used to sample at sequence position `position` under `seed`. */
export function uniformAt(seed: number, position: number): number {
  return new SeededRandom(positionSeed(seed, position)).next();
}

/**
 * Picks a token: greedy at temperature <= 0; otherwise top-k, then temperature, then top-p (the
 * smallest prefix whose tempered mass reaches topP), then the token where the cumulative mass
 * passes `u` times the kept mass. Tokens outside an incomplete distribution are never drawn.
 */
export function sampleToken(dist: NextTokenDistribution, opts: SampleOptions, u: number): number {
  const n = dist.tokens.length;
  if (n === 0) throw new Error('cannot sample from an empty distribution');
  if (!(opts.temperature > 0)) return dist.tokens[0];
  let keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  const weights = new Float64Array(keep);
  const top = dist.logits[0];
  let total = 0;
  for (let i = 0; i < keep; i++) {
    weights[i] = Math.exp((dist.logits[i] - top) / opts.temperature);
    total += weights[i];
  }
  if (opts.topP !== undefined && opts.topP > 0 && opts.topP < 1) {
    const target = opts.topP * total;
    let cum = 0;
    let cut = keep;
    for (let i = 0; i < keep; i++) {
      cum += weights[i];
      if (cum >= target) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = cum;
  }
  const target = u * total;
  let cum = 0;
  for (let i = 0; i < keep; i++) {
    cum += weights[i];
    if (cum > target) return dist.tokens[i];
  }
  return dist.tokens[keep - 1];
}

/** log p(token) under the untempered distribution; -Infinity when the token is not a candidate. */
export function logprobOf(dist: NextTokenDistribution, token: number): number {
  for (let i = 0; i < dist.tokens.length; i++)
    if (dist.tokens[i] === token) return dist.logits[i] - dist.logZ;
  return Number.NEGATIVE_INFINITY;
}

/** The k most likely (token, logprob) pairs, most likely first (at most the number of candidates). */
export function topLogprobsOf(
  dist: NextTokenDistribution,
  k: number,
): Array<[token: number, logprob: number]> {
  const m = Math.min(Math.max(0, Math.floor(k)), dist.tokens.length);
  const out: Array<[number, number]> = new Array(m);
  for (let i = 0; i < m; i++) out[i] = [dist.tokens[i], dist.logits[i] - dist.logZ];
  return out;
}

/**
 * Entropy in nats. Exact for a complete distribution. For top candidates only, the tail mass r
 * has every probability <= the smallest kept p_min, so its entropy is at least r·(−log p_min):
 * the result is that lower bound, tight when the tail is small.
 */
export function entropyOf(dist: NextTokenDistribution): number {
  let h = 0;
  let mass = 0;
  let pMin = 1;
  for (let i = 0; i < dist.tokens.length; i++) {
    const lp = dist.logits[i] - dist.logZ;
    const p = Math.exp(lp);
    if (p > 0) h -= p * lp;
    mass += p;
    pMin = Math.min(pMin, p);
  }
  if (dist.complete) return h;
  const tail = Math.max(0, 1 - mass);
  return tail > 0 && pMin > 0 ? h - tail * Math.log(pMin) : h;
}
