import { createHash } from 'node:crypto';
import { MondrianConformal, type PredictionSet, predictionSet } from '../conformal/MondrianConformal.ts';
import { checkLevel } from '../conformal/quantile.ts';
import { DEFAULT_EPSILON, type RiskLevel } from '../conformal/riskLevel.ts';
import { type CueEvent, TrajectoryCalibrator } from '../conformal/TrajectoryCalibrator.ts';
import { BundleMismatchError, DataFormatError, InvalidArgumentError } from '../errors.ts';
import { Probe } from '../probe/Probe.ts';
import { checkFingerprint, type Fingerprint } from './fingerprint.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleData } from './schema.ts';

/** Which guarantee a decision uses: per-event Mondrian level δ, or trajectory-level risk α (confidence 1−ε). */
/** The risk level of a decision (the one `RiskLevel`). */
export type DecisionLevel = RiskLevel;

/** The outcome of scoring one cue event. */
export interface Decision {
  /** Probe probability that exiting now gives a correct answer. */
  p: number;
  exit: boolean;
  /** Mondrian prediction set (δ mode only). */
  set?: PredictionSet;
  /** Trajectory threshold used (α mode only): exit iff p ≥ lambda. */
  lambda?: number;
}

const same = (a: number, b: number) => Math.abs(a - b) <= 1e-12;

/** 'sha256:<hex>' of a probe's JSON (what `probeSha256` stores). */
export function probeChecksum(probe: BundleData['probe']): string {
  return `sha256:${createHash('sha256').update(canonicalJson(probe)).digest('hex')}`;
}

/** JSON with object keys sorted, so the checksum does not depend on key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A loaded bundle: the probe plus calibrated thresholds, and the one exit decision the online loop uses. */
export class Bundle {
  readonly probe: Probe;
  private mondrian: MondrianConformal | null = null;
  private trajectoryCalibrator: TrajectoryCalibrator | null = null;

  constructor(readonly data: BundleData) {
    if (data.probeSha256 !== undefined && data.probeSha256 !== probeChecksum(data.probe))
      throw new DataFormatError(
        `the probe weights do not match the bundle's checksum (${data.probeSha256.slice(0, 19)}…): the file was edited or corrupted`,
      );
    this.probe = Probe.fromJSON(data.probe);
    if (this.probe.inputDim !== data.features.dim)
      throw new DataFormatError(
        `probe takes ${this.probe.inputDim} features but features.dim is ${data.features.dim}`,
      );
    const s = data.conformal.scores;
    if (s && s.p.length !== s.y.length) throw new DataFormatError('conformal.scores: p and y lengths differ');
  }

  /** Assembles a bundle from its parts (format, version and createdAt filled in). */
  static create(
    parts: Omit<BundleData, 'format' | 'version' | 'createdAt'> & { createdAt?: string },
  ): Bundle {
    // In the schema's key order, so a saved and reloaded bundle serializes identically.
    return new Bundle({
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      createdAt: parts.createdAt ?? new Date().toISOString(),
      model: parts.model,
      features: parts.features,
      cues: parts.cues,
      exitCue: parts.exitCue,
      probe: parts.probe,
      probeSha256: probeChecksum(parts.probe),
      conformal: parts.conformal,
      provenance: parts.provenance,
    });
  }

  get fingerprint(): Fingerprint {
    return this.data.model.fingerprint;
  }

  /** Throws a UserError naming both models unless `model` is the one this bundle was made for. */
  checkModel(model: Fingerprint): void {
    checkFingerprint(this.fingerprint, model);
  }

  /** Scores one feature vector and decides whether to exit at this cue. */
  decide(features: Float32Array, level: DecisionLevel): Decision {
    if (features.length !== this.data.features.dim)
      throw new BundleMismatchError(
        `bundle expects ${this.data.features.dim} features, got a vector of ${features.length}`,
      );
    const p = this.probe.predictProba(features);
    if ('delta' in level) {
      const q = this.perClassFor(level.delta);
      const set = predictionSet(p, q);
      return { p, exit: set.length === 1 && set[0] === 1, set };
    }
    const lambda = this.lambdaFor(level.alpha, level.epsilon);
    return { p, exit: p >= lambda, lambda };
  }

  /** Mondrian thresholds for δ: stored, or computed from stored calibration scores. */
  perClassFor(delta: number): { q1: number; q0: number } {
    checkLevel(delta, 'delta');
    const hit = this.data.conformal.perClass.find((e) => same(e.delta, delta));
    if (hit) return hit;
    const s = this.data.conformal.scores;
    if (!s) {
      const have = this.data.conformal.perClass.map((e) => e.delta).join(', ') || 'none';
      throw new InvalidArgumentError(
        `bundle has no conformal thresholds for delta ${delta}; available: ${have}`,
      );
    }
    const rows = s.perEventRows;
    this.mondrian ??= rows
      ? new MondrianConformal(
          rows.map((r) => s.p[r]),
          rows.map((r) => s.y[r]),
        )
      : new MondrianConformal(s.p, s.y);
    return this.mondrian.quantiles(delta);
  }

  /** Trajectory threshold λ for (α, ε): stored, or certified from stored calibration trajectories. */
  lambdaFor(alpha: number, epsilon?: number): number {
    checkLevel(alpha, 'alpha');
    if (epsilon !== undefined) checkLevel(epsilon, 'epsilon');
    const hits = this.data.conformal.trajectory.filter(
      (e) => same(e.alpha, alpha) && (epsilon === undefined || same(e.epsilon, epsilon)),
    );
    if (hits.length === 1) return hits[0].lambda;
    if (hits.length > 1)
      throw new InvalidArgumentError(
        `bundle has several trajectory calibrations for alpha ${alpha} (epsilon ${hits.map((h) => h.epsilon).join(', ')}); say which epsilon`,
      );
    const s = this.data.conformal.scores;
    if (!s?.trajectory) {
      const have =
        this.data.conformal.trajectory.map((e) => `alpha ${e.alpha}/epsilon ${e.epsilon}`).join(', ') ||
        'none';
      throw new InvalidArgumentError(
        `bundle has no trajectory calibration for alpha ${alpha}${epsilon === undefined ? '' : ` epsilon ${epsilon}`}; available: ${have}`,
      );
    }
    this.trajectoryCalibrator ??= new TrajectoryCalibrator(groupTrajectories(s.p, s.y, s.trajectory));
    return this.trajectoryCalibrator.certify(alpha, epsilon ?? DEFAULT_EPSILON).lambda;
  }

  /** The bundle as plain data (∞ kept as numbers; saveBundle writes them as "Infinity"). */
  toJSON(): BundleData {
    return this.data;
  }
}

/** Groups stored events into trajectories by index, keeping their stored (cue) order. */
function groupTrajectories(p: number[], y: number[], traj: number[]): CueEvent[][] {
  const byId = new Map<number, CueEvent[]>();
  traj.forEach((t, i) => {
    let list = byId.get(t);
    if (!list) byId.set(t, (list = []));
    list.push({ p: p[i], y: y[i] });
  });
  return [...byId.values()];
}
