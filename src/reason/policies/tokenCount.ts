/**
 * Token-count options that may be absolute (`budget=128`) or a share of a reference thinking
 * length (`budget=50%`), so one setting fits models whose traces are 200 or 5000 tokens long. The
 * reference is supplied by the caller: eval uses vanilla's mean thinking tokens on the dev slice of
 * the same data set and temperature (never the problems it reports on).
 */
import { z } from 'zod';
import { UserError } from '../../errors.ts';

const SHARE = /^(\d+(?:\.\d+)?)%$/;

/** A caller's reference for `N%` values: thinking tokens (e.g. vanilla's mean on a dev split). */
export interface RelativeTo {
  reference?: number;
}

/** A token count of at least `min`, or `N%` of the reference thinking length. */
export function tokenCount(min: number) {
  return z.union([
    z.int().min(min),
    z.string().regex(SHARE, { error: `expected an integer ≥ ${min} or a share like 50%` }),
  ]);
}

/** True for an `N%` value. */
export function isShare(value: unknown): value is string {
  return typeof value === 'string' && SHARE.test(value);
}

/** True when some option value is an `N%` share (the policy then needs a reference). */
export function needsReference(options: Record<string, unknown>): boolean {
  return Object.values(options).some(isShare);
}

/** Tokens of a `tokenCount` value: as given, or round(N% × reference), at least `min`. */
export function resolveTokens(
  policy: string,
  key: string,
  value: number | string,
  reference: number | undefined,
  min: number,
): number {
  if (typeof value === 'number') return value;
  const share = Number(SHARE.exec(value)?.[1]) / 100;
  if (reference === undefined || !(reference > 0))
    throw new UserError(
      `${policy}: ${key}=${value} is a share of a reference thinking length, and none was given ` +
        "(eval measures it as vanilla's mean thinking on the dev slice; elsewhere give tokens, e.g. 64)",
    );
  return Math.max(min, Math.round(share * reference));
}
