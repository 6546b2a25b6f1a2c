/**
 * The risk level a user asks LYNX for, defined once: a per-event level δ (Mondrian) or a
 * per-trajectory level α with confidence 1 − ε (Learn-then-Test). The CLI flags, eval's method
 * specs, the server's `lynx` field, the policy and the bundle's decision all use this type and
 * validator.
 */
import { InvalidArgumentError } from '../errors.ts';

/** δ (per event) or α with an optional ε (per trajectory). */
export type RiskLevel = { delta: number } | { alpha: number; epsilon?: number };

/** δ when a user asks for LYNX without a level. */
export const DEFAULT_DELTA = 0.1;
/** ε of an α level when none is given (and fit's default). */
export const DEFAULT_EPSILON = 0.1;

/** Loose risk settings as they come from flags or JSON. */
export interface RiskLevelInput {
  delta?: number;
  alpha?: number;
  epsilon?: number;
}

/**
 * The validated level: exactly one of δ and α, each in (0, 1); ε in (0, 1) and only with α.
 * With neither δ nor α: `DEFAULT_DELTA` when `orDefault`, else an error.
 */
export function riskLevel(o: RiskLevelInput, opts: { orDefault?: boolean; what?: string } = {}): RiskLevel {
  const what = opts.what ?? 'LYNX';
  const has = (x: number | undefined) => x !== undefined;
  if (has(o.delta) && has(o.alpha))
    throw new InvalidArgumentError(
      `${what}: give exactly one of delta (per-cue risk) or alpha (per-trajectory risk), not both`,
    );
  if (!has(o.delta) && !has(o.alpha)) {
    if (opts.orDefault && !has(o.epsilon)) return { delta: DEFAULT_DELTA };
    throw new InvalidArgumentError(
      has(o.epsilon)
        ? `${what}: epsilon goes with alpha`
        : `${what}: give exactly one of delta (per-cue risk) or alpha (per-trajectory risk)`,
    );
  }
  const inUnit = (name: string, v: number) => {
    if (!(v > 0 && v < 1)) throw new InvalidArgumentError(`${what}: ${name} must be in (0, 1), got ${v}`);
  };
  if (has(o.delta)) {
    if (has(o.epsilon)) throw new InvalidArgumentError(`${what}: epsilon goes with alpha, not delta`);
    inUnit('delta', o.delta!);
    return { delta: o.delta! };
  }
  inUnit('alpha', o.alpha!);
  if (has(o.epsilon)) inUnit('epsilon', o.epsilon!);
  return has(o.epsilon) ? { alpha: o.alpha!, epsilon: o.epsilon! } : { alpha: o.alpha! };
}
