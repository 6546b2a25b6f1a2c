/**
 * What `fit` warns about: settings under which the bundle's δ / α would not mean what a user reads
 * into them. Each warning is one line, printed and stored in the bundle's provenance.
 */
import type { PerClassQuantiles } from '../conformal/MondrianConformal.ts';
import type { TrajectoryCertificate } from '../conformal/TrajectoryCalibrator.ts';
import { isTestbedTask } from '../tasks/testbedTasks.ts';
import type { CalibrationSample } from './calibrationSample.ts';

/** Train − validation AUROC above which the probe is called overfitted. */
export const OVERFIT_AUROC_GAP = 0.1;

/** Inputs of `fitWarnings`. */
export interface FitWarningInputs {
  /** The calibration store's collect settings (dataset, split, slice, ...). */
  calibSplit: Record<string, unknown>;
  sample: CalibrationSample;
  perClass: readonly PerClassQuantiles[];
  alphas: readonly TrajectoryCertificate[];
  epsilon: number;
  trainAuroc: number;
  valAuroc: number | null;
}

const f3 = (x: number) => x.toFixed(3);

/** The warnings for one fit, in a fixed order. */
export function fitWarnings(w: FitWarningInputs): string[] {
  const out: string[] = [];
  const s = w.calibSplit;
  if (typeof s.dataset === 'string' && isTestbedTask(s.dataset) && s.split === 'train') {
    out.push(
      `calibration problems come from the testbed's train split, which the testbed model was trained on; the guarantee covers problems drawn like these, not held-out ones (collect with --split heldout)`,
    );
  }
  if (w.sample.subsampledProblems > 0) {
    out.push(
      `${w.sample.subsampledProblems} of ${w.sample.problems} calibration problems have several rollouts; one rollout per problem was drawn with --seed, ${w.sample.trajectories.length} trajectories enter the calibration`,
    );
  }
  if (w.valAuroc !== null && w.trainAuroc - w.valAuroc > OVERFIT_AUROC_GAP) {
    out.push(
      `the probe overfits: AUROC ${f3(w.trainAuroc)} on its training rows, ${f3(w.valAuroc)} on held-out problems; collect more problems or use --probe logreg (the guarantee still holds, exits get rarer)`,
    );
  }
  for (const q of w.perClass) {
    if (q.q0 === Number.POSITIVE_INFINITY) {
      const need = Math.ceil((1 - q.delta) / q.delta);
      out.push(
        `delta ${q.delta}: q0 is infinite (${q.n0} label-0 calibration events, the level needs at least ${need}); LYNX never exits at this delta`,
      );
      continue;
    }
    // The realized rate of one calibration draw is Beta-distributed around δ with this spread.
    const spread = Math.sqrt((q.delta * (1 - q.delta)) / (q.n0 + 2));
    if (spread > q.delta / 2) {
      out.push(
        `delta ${q.delta}: only ${q.n0} label-0 calibration events; the premature-exit rate this calibration gives varies by about ±${f3(spread)} around ${q.delta} (the bound holds on average over calibration draws)`,
      );
    }
  }
  for (const a of w.alphas) {
    if (a.certified) continue;
    // Even with no wrong exit at all, Binom(n, α) ≤ 0 has probability (1 − α)^n.
    const need = Math.ceil(Math.log(w.epsilon) / Math.log(1 - a.alpha));
    out.push(
      a.n < need
        ? `alpha ${a.alpha}: nothing certified: ${a.n} calibration trajectories, at least ${need} are needed at epsilon ${w.epsilon} even with no wrong exit; LYNX never exits at this alpha`
        : `alpha ${a.alpha}: nothing certified at epsilon ${w.epsilon} (the safest threshold already has too many wrong exits); LYNX never exits at this alpha`,
    );
  }
  return out;
}
