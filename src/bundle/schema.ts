import { z } from 'zod';
import { PER_EVENT_MODES } from '../conformal/MondrianConformal.ts';
import { ProbeJsonSchema } from '../probe/Probe.ts';
import { FingerprintSchema } from './fingerprint.ts';

export const BUNDLE_FORMAT = 'lynx-exit.bundle';
export const BUNDLE_VERSION = 1;

/** A number that may be +∞ (conformal thresholds, λ); JSON has no ∞, so it is stored as "Infinity". */
const _MaybeInfinite = z
  .union([z.number(), z.literal('Infinity')])
  .transform((v) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v));

/** A conformal score threshold or λ: a probability-scale number, or +∞ (that level never exits). */
const Threshold = z
  .union([z.number().min(0).max(1), z.literal('Infinity')])
  .transform((v) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v));

const Probability = z.number().gt(0).lt(1);

/** Stored calibration scores: enough to compute thresholds for any δ or α on the fly. */
const CalibrationScoresSchema = z
  .object({
    p: z.array(z.number().min(0).max(1)),
    y: z.array(z.union([z.literal(0), z.literal(1)])),
    /** Trajectory index of each event; events of a trajectory are stored in cue order. */
    trajectory: z.array(z.number().int().nonnegative()).optional(),
    /** `one-per-rollout` calibration: the events (indices into p) the per-event calibration used. */
    perEventRows: z.array(z.number().int().nonnegative()).optional(),
  })
  .refine((c) => c.p.length === c.y.length && (!c.trajectory || c.trajectory.length === c.p.length), {
    message: 'p, y and trajectory must have the same length',
  })
  .refine((c) => !c.perEventRows || c.perEventRows.every((r) => r < c.p.length), {
    message: 'perEventRows must index stored scores',
  });

/** The `*.lynx.json` bundle: everything needed to run LYNX exits for one model. */
export const BundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  createdAt: z.string(),
  model: z.object({ fingerprint: FingerprintSchema, id: z.string() }),
  features: z.object({
    /** Engine layer indices whose hidden states are concatenated, in order; -1 = final norm. */
    layers: z.array(z.number().int().min(-1)).min(1),
    dim: z.number().int().positive(),
  }),
  cues: z.object({ lexicon: z.array(z.string().min(1)).min(1), mode: z.string() }),
  exitCue: z.string(),
  probe: ProbeJsonSchema,
  /** 'sha256:<hex>' of the probe's JSON, checked at load (absent in bundles from before it existed). */
  probeSha256: z.string().optional(),
  conformal: z.object({
    /** How per-event calibration used the cue events (absent: pooled, as in bundles before it existed). */
    perEvent: z.enum(PER_EVENT_MODES).optional(),
    perClass: z.array(
      z.object({
        delta: Probability,
        q1: Threshold,
        q0: Threshold,
        n1: z.number().int().nonnegative(),
        n0: z.number().int().nonnegative(),
      }),
    ),
    trajectory: z.array(
      z.object({
        alpha: Probability,
        epsilon: Probability,
        lambda: Threshold,
        n: z.number().int().nonnegative(),
      }),
    ),
    scores: CalibrationScoresSchema.optional(),
  }),
  provenance: z.object({
    train: z.record(z.string(), z.unknown()),
    calibration: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.unknown()),
    /** What fit warned about (infinite quantiles, overfitting, too few events, subsampling). */
    warnings: z.array(z.string()).optional(),
  }),
});

/** A parsed bundle (∞ as numbers). */
export type BundleData = z.output<typeof BundleSchema>;

/** JSON replacer that writes ±∞ as strings (MaybeInfinite reads "Infinity" back). */
export function infinityReplacer(_key: string, value: unknown): unknown {
  return value === Number.POSITIVE_INFINITY ? 'Infinity' : value;
}
