/**
 * The audit of a bundle's guarantee on problems it was not calibrated on: from an events store of
 * full rollouts (a forced exit at every cue) it replays the bundle's online decision at each cue —
 * the same probe on the same hidden state, so the replay is the online policy — and measures
 *
 * - per event, pooled: P(exit | label 0) over every cue of every rollout (the rate LYNX's δ names);
 * - per event, one cue per rollout: the same with each rollout weighted once (what
 *   `--per-event one-per-rollout` guarantees exactly);
 * - per trajectory: the share of rollouts whose exit (first cue with p ≥ λ) is wrong, for each α.
 *
 * Standard errors are cluster-robust by problem (cues of a rollout, rollouts of a problem are
 * correlated). A level "holds" when its realized rate is at most target + 2 SE.
 */
import type { Bundle } from '../bundle/Bundle.ts';
import { describeFingerprint, sameModel } from '../bundle/fingerprint.ts';
import { shouldExit } from '../conformal/MondrianConformal.ts';
import { UserError } from '../errors.ts';
import type { EventsData } from './events.ts';
import { type ReplayRollout, replayRollouts } from './replay.ts';

/** How many standard errors above its target a realized rate may be and still hold. */
export const AUDIT_SE_TOLERANCE = 2;

/** A ratio estimate with its cluster-robust standard error. */
export interface RatioEstimate {
  value: number;
  se: number;
  /** Normal 95% interval, clipped to [0, 1]. */
  ci95: [number, number];
  /** Numerator and denominator (e.g. exits at label-0 cues, label-0 cues). */
  k: number;
  n: number;
}

/** One audited level. */
export interface LevelAudit {
  kind: 'delta' | 'alpha';
  /** The target rate: δ, or α. */
  target: number;
  epsilon?: number;
  lambda?: number;
  /** The rate the bundle's calibration mode guarantees (pooled or per rollout for δ; trajectories for α). */
  realized: RatioEstimate;
  /** δ only: the other per-event rate (per rollout when realized is pooled, and the other way round). */
  other?: RatioEstimate;
  holds: boolean;
  /** Share of label-1 cues that exit (δ) or of rollouts that exit (α): the power. */
  exitRate: number;
  /** Generated tokens saved over the full rollouts when LYNX exits at this level. */
  tokensSaved: number;
}

/** What `auditEvents` found. */
export interface AuditReport {
  problems: number;
  rollouts: number;
  cueEvents: number;
  label0Events: number;
  perEvent: 'pooled' | 'one-per-rollout';
  deltas: LevelAudit[];
  alphas: LevelAudit[];
  holds: boolean;
  verdict: string;
  warnings: string[];
}

/** Σa / Σb over clusters with the linearized (delta-method) cluster-robust standard error. */
export function clusteredRatio(clusters: ReadonlyArray<{ a: number; b: number }>): RatioEstimate {
  let A = 0;
  let B = 0;
  for (const c of clusters) {
    A += c.a;
    B += c.b;
  }
  const C = clusters.length;
  if (B === 0) return { value: Number.NaN, se: Number.NaN, ci95: [0, 1], k: A, n: B };
  const r = A / B;
  let ss = 0;
  for (const c of clusters) ss += (c.a - r * c.b) ** 2;
  const se = C > 1 ? Math.sqrt((C / (C - 1)) * ss) / B : Number.NaN;
  const half = 1.96 * se;
  return {
    value: r,
    se,
    ci95: [Math.max(0, r - half), Math.min(1, r + half)],
    k: A,
    n: B,
  };
}

/** Throws unless the store was collected on the bundle's model, features, exit cue and cue words. */
function checkStoreMatchesBundle(d: EventsData, bundle: Bundle): void {
  const m = d.meta;
  const b = bundle.data;
  if (!sameModel(m.model.fingerprint, b.model.fingerprint))
    throw new UserError(
      `events ${d.paths.prefix} come from ${m.model.id} (${describeFingerprint(m.model.fingerprint)}) but the bundle is for ${b.model.id} (${describeFingerprint(b.model.fingerprint)})`,
    );
  if (m.dim !== b.features.dim || m.layers.join(',') !== b.features.layers.join(','))
    throw new UserError(
      `events ${d.paths.prefix} hold features of layers ${m.layers.join(',')} (dim ${m.dim}); the bundle needs layers ${b.features.layers.join(',')} (dim ${b.features.dim})`,
    );
  if (m.exitCue !== b.exitCue)
    throw new UserError(
      `events ${d.paths.prefix} were labelled with exit cue ${JSON.stringify(m.exitCue)}, the bundle exits with ${JSON.stringify(b.exitCue)}`,
    );
  if (JSON.stringify(m.cues) !== JSON.stringify(b.cues))
    throw new UserError(
      `events ${d.paths.prefix} were collected at cues ${m.cues.lexicon.join('/')} (${m.cues.mode}); the bundle decides at ${b.cues.lexicon.join('/')} (${b.cues.mode})`,
    );
}

/** The store's rollouts with their cue events in order, scored by the bundle's probe. */
function rolloutsOf(d: EventsData, bundle: Bundle): ReplayRollout[] {
  return replayRollouts(d, bundle.probe.predictProbaBatch({ data: d.X, rows: d.events.length, cols: d.dim }));
}

/** Sums per-rollout contributions into per-problem clusters. */
function byProblem(
  rollouts: readonly ReplayRollout[],
  f: (r: ReplayRollout) => { a: number; b: number },
): Array<{ a: number; b: number }> {
  const m = new Map<string, { a: number; b: number }>();
  for (const r of rollouts) {
    const v = f(r);
    const c = m.get(r.problem);
    if (c) {
      c.a += v.a;
      c.b += v.b;
    } else m.set(r.problem, { ...v });
  }
  return [...m.values()];
}

/** Tokens saved when each rollout exits at `exitAt(r)` (an index into its cues, or -1). */
function tokensSaved(rollouts: readonly ReplayRollout[], exitAt: (r: ReplayRollout) => number): number {
  let full = 0;
  let used = 0;
  for (const r of rollouts) {
    const j = exitAt(r);
    full += r.tokens;
    used += j < 0 ? r.tokens : Math.min(r.tokens, r.cues[j].used);
  }
  return full > 0 ? 1 - used / full : 0;
}

const holds = (x: RatioEstimate, target: number) =>
  !Number.isFinite(x.value) || x.value <= target + AUDIT_SE_TOLERANCE * (Number.isFinite(x.se) ? x.se : 0);

/** Audits every calibrated level of `bundle` on the rollouts of `d`. */
export function auditEvents(d: EventsData, bundle: Bundle): AuditReport {
  checkStoreMatchesBundle(d, bundle);
  const rollouts = rolloutsOf(d, bundle);
  if (rollouts.length === 0) throw new UserError(`events ${d.paths.prefix} hold no complete rollout`);
  const perEvent = bundle.data.conformal.perEvent ?? 'pooled';
  const deltas: LevelAudit[] = bundle.data.conformal.perClass.map(({ delta }) => {
    const q = bundle.perClassFor(delta);
    const exits = (r: ReplayRollout) => r.cues.map((c) => shouldExit(c.p, q));
    const pooled = clusteredRatio(
      byProblem(rollouts, (r) => {
        const x = exits(r);
        return {
          a: r.cues.filter((c, j) => c.y === 0 && x[j]).length,
          b: r.cues.filter((c) => c.y === 0).length,
        };
      }),
    );
    // A uniformly chosen cue of the rollout: each cue weighs 1/m.
    const perRollout = clusteredRatio(
      byProblem(rollouts, (r) => {
        if (r.cues.length === 0) return { a: 0, b: 0 };
        const x = exits(r);
        const m = r.cues.length;
        return {
          a: r.cues.filter((c, j) => c.y === 0 && x[j]).length / m,
          b: r.cues.filter((c) => c.y === 0).length / m,
        };
      }),
    );
    let n1 = 0;
    let e1 = 0;
    for (const r of rollouts) {
      const x = exits(r);
      r.cues.forEach((c, j) => {
        if (c.y !== 1) return;
        n1++;
        if (x[j]) e1++;
      });
    }
    const [realized, other] = perEvent === 'pooled' ? [pooled, perRollout] : [perRollout, pooled];
    return {
      kind: 'delta',
      target: delta,
      realized,
      other,
      holds: holds(realized, delta),
      exitRate: n1 > 0 ? e1 / n1 : 0,
      tokensSaved: tokensSaved(rollouts, (r) => exits(r).indexOf(true)),
    };
  });
  const alphas: LevelAudit[] = bundle.data.conformal.trajectory.map(({ alpha, epsilon }) => {
    const lambda = bundle.lambdaFor(alpha, epsilon);
    const first = (r: ReplayRollout) => r.cues.findIndex((c) => c.p >= lambda);
    const risk = clusteredRatio(
      byProblem(rollouts, (r) => {
        const j = first(r);
        return { a: j >= 0 && r.cues[j].y === 0 ? 1 : 0, b: 1 };
      }),
    );
    return {
      kind: 'alpha',
      target: alpha,
      epsilon,
      lambda,
      realized: risk,
      holds: holds(risk, alpha),
      exitRate: rollouts.filter((r) => first(r) >= 0).length / rollouts.length,
      tokensSaved: tokensSaved(rollouts, first),
    };
  });
  const levels = [...deltas, ...alphas];
  const failed = levels.filter((l) => !l.holds);
  const name = (l: LevelAudit) => `${l.kind === 'delta' ? 'delta' : 'alpha'} ${l.target}`;
  const problems = new Set(rollouts.map((r) => r.problem)).size;
  const cueEvents = rollouts.reduce((s, r) => s + r.cues.length, 0);
  const label0Events = rollouts.reduce((s, r) => s + r.cues.filter((c) => c.y === 0).length, 0);
  const warnings: string[] = [];
  if (label0Events < 100)
    warnings.push(
      `only ${label0Events} label-0 cue events: the per-event rates are imprecise; audit more problems`,
    );
  const calib = bundle.data.provenance.calibration;
  const s = d.meta.settings;
  if (
    s.dataset !== undefined &&
    s.dataset === calib.dataset &&
    s.split === calib.split &&
    s.slice === calib.slice &&
    s.slice !== 'test'
  )
    warnings.push(
      `the audited problems come from the calibration's own selection (${String(s.dataset)}, ${String(s.split)}, slice ${String(s.slice)}); audit on problems the bundle never saw`,
    );
  const verdict =
    failed.length === 0
      ? `audit: the guarantee holds at every level (${levels.length} of ${levels.length} within target + ${AUDIT_SE_TOLERANCE} SE) on ${problems} problems`
      : `audit: the guarantee FAILS at ${failed.map(name).join(', ')} (realized rate above target + ${AUDIT_SE_TOLERANCE} SE) on ${problems} problems`;
  return {
    problems,
    rollouts: rollouts.length,
    cueEvents,
    label0Events,
    perEvent,
    deltas,
    alphas,
    holds: failed.length === 0,
    verdict,
    warnings,
  };
}
