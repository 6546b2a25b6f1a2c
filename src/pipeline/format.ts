/** Number formatting shared by the pipeline's tables and reports. */

/** `x` as a percentage with `digits` decimals, or `missing` when there is no value (null, undefined, NaN). */
export function percent(x: number | null | undefined, missing: string, digits = 1): string {
  return x === null || x === undefined || Number.isNaN(x) ? missing : `${(100 * x).toFixed(digits)}%`;
}

/** `x` with `digits` decimals, or `missing` when it is NaN. */
export function fixed(x: number, missing: string, digits = 1): string {
  return Number.isNaN(x) ? missing : x.toFixed(digits);
}
