/**
 * `lynx-exit fit --train EVENTS --calib EVENTS --out B.lynx.json`: trains the probe, calibrates the
 * conformal thresholds on disjoint problems and writes a bundle; prints the metrics.
 */
import type { Command } from 'commander';
import { saveBundle } from '../../bundle/io.ts';
import { PER_EVENT_MODES, type PerEventMode } from '../../conformal/MondrianConformal.ts';
import { UserError } from '../../errors.ts';
import { type FitBundleOptions, type FitReport, fitBundle } from '../../pipeline/fit.ts';
import { numberListOption, numberOption } from '../options.ts';

/** Parsed options of `fit`: `fitBundle`'s (every default filled in by the flags), `--no-scores` and the bundle path. */
export interface FitCommandOptions extends Required<Omit<FitBundleOptions, 'keepScores'>> {
  scores: boolean;
  out: string;
}

function parsePerEvent(value: string): PerEventMode {
  if ((PER_EVENT_MODES as readonly string[]).includes(value)) return value as PerEventMode;
  throw new UserError(`--per-event must be ${PER_EVENT_MODES.join(' or ')}, got "${value}"`);
}

/** What the guarantee assumes and gives; shown after `fit --help`. */
export const GUARANTEE_HELP = `
What the calibration guarantees, and under what assumption:
  Assumption: calibration problems and the problems LYNX is deployed on are exchangeable (drawn
  from the same distribution, same model, prompt and sampling settings). Calibrating on one data
  set and deploying on another (e.g. MATH train -> GSM8K, AIME or CommonsenseQA) is outside it: the
  levels are then a heuristic, to be checked with \`lynx-exit audit\` on the target data.
  Calibration uses one rollout per problem (a store with several is subsampled with --seed).
  Per event (--deltas): at a cue whose forced exit would be wrong (label 0), LYNX exits with
    probability <= delta. --per-event pooled (default, LYNX's) calibrates on every cue event; cues
    of one rollout are correlated, so this holds approximately (slightly optimistic with few, long
    rollouts). --per-event one-per-rollout calibrates on one cue drawn per rollout: exact for a
    uniformly chosen cue of a fresh rollout, with fewer calibration events.
  Per trajectory (--alphas): with probability >= 1 - epsilon over the calibration draw, the share
    of rollouts whose LYNX exit (first cue with p >= lambda) is wrong is <= alpha.
  Neither bounds accuracy loss directly: an exit can be wrong where the full answer is wrong too.
`;

function parseProbe(value: string): 'mlp' | 'logreg' {
  if (value === 'mlp' || value === 'logreg') return value;
  throw new UserError(`--probe must be mlp or logreg, got "${value}"`);
}

const fmt = (x: number | null, digits = 3) =>
  x === null ? 'n/a' : Number.isFinite(x) ? x.toFixed(digits) : String(x);

/** The human-readable report printed after a fit. */
export function formatFitReport(r: FitReport, out: string): string {
  const lines = [
    `[fit] train: ${r.train.events} events (${r.train.positives} label 1) from ${r.train.problems} problems; probe fitted on ${r.train.fitRows}, validated on ${r.train.valRows} (${r.train.valProblems} held-out problems)`,
    `[fit] calib: ${r.calib.events} events (${r.calib.positives} label 1) from ${r.calib.problems} problems, ${r.calib.trajectories} trajectories (one rollout per problem${r.calib.subsampledProblems > 0 ? `, drawn for ${r.calib.subsampledProblems} problems` : ''})`,
    `[fit] probe AUROC: train ${fmt(r.trainAuroc)}, validation ${fmt(r.valAuroc)}, calibration ${fmt(r.calibAuroc)} (accuracy@0.5 ${fmt(r.calibAccuracy)})`,
    `[fit] per-event Mondrian, ${r.calib.perEvent === 'pooled' ? 'every cue event' : 'one cue per rollout'} (${r.calib.perEventN0} label 0, ${r.calib.perEventN1} label 1; in-sample rates: the quantiles were fitted on them):`,
    ...r.deltas.map(
      (d) =>
        `[fit]   delta ${d.delta}: q1 ${fmt(d.q1, 4)} q0 ${fmt(d.q0, 4)}  premature exits ${fmt(d.prematureExitRate)} of label-0 events, exits ${fmt(d.exitRateLabel1)} of label-1 events`,
    ),
    `[fit] per-trajectory Learn-then-Test (first cue with p >= lambda; confidence 1 - epsilon):`,
    ...r.alphas.map(
      (a) =>
        `[fit]   alpha ${a.alpha} epsilon ${a.epsilon}: lambda ${fmt(a.lambda, 3)}${a.certified ? '' : ' (nothing certified: never exit)'}  wrong exits ${a.losses}/${a.n} trajectories, exit rate ${fmt(a.exitRate)}`,
    ),
    ...r.warnings.map((w) => `[fit] warning: ${w}`),
    `[fit] wrote ${out} (${r.seconds.toFixed(1)}s)`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The whole command: fit, save, report. */
export async function runFit(o: FitCommandOptions, write: (text: string) => void): Promise<FitReport> {
  const report = fitBundle({
    train: o.train,
    calib: o.calib,
    probe: o.probe,
    deltas: o.deltas,
    alphas: o.alphas,
    epsilon: o.epsilon,
    seed: o.seed,
    valFraction: o.valFraction,
    keepScores: o.scores,
    perEvent: o.perEvent,
  });
  await saveBundle(o.out, report.bundle);
  write(formatFitReport(report, o.out));
  return report;
}

/** The `fit` command's help and options, without its action (`register` and the demo parse with it). */
export function defineFit(cmd: Command): Command {
  const level = { min: 0, max: 1 };
  return cmd
    .description(
      'train the probe on one events store, calibrate on another (disjoint problems), write a bundle',
    )
    .requiredOption('--train <events>', 'training events store (prefix or any of its files)')
    .requiredOption('--calib <events>', 'calibration events store (problems disjoint from --train)')
    .requiredOption('-o, --out <file>', 'bundle to write (e.g. model.lynx.json)')
    .option('--probe <kind>', 'mlp (LYNX: 256-64 MLP) or logreg', parseProbe, 'mlp')
    .option(
      '--deltas <list>',
      'per-event Mondrian levels',
      numberListOption('deltas', level),
      [0.01, 0.05, 0.1, 0.2, 0.3],
    )
    .option(
      '--alphas <list>',
      'per-trajectory risk levels (Learn-then-Test)',
      numberListOption('alphas', level),
      [0.05, 0.1, 0.2],
    )
    .option(
      '--epsilon <e>',
      'trajectory calibration failure probability',
      numberOption('epsilon', level),
      0.1,
    )
    .option(
      '--seed <n>',
      'probe and validation-split seed',
      numberOption('seed', { integer: true, min: 0 }),
      0,
    )
    .option(
      '--val-fraction <f>',
      'fraction of training problems held out for the validation AUROC',
      numberOption('val-fraction', { min: 0, max: 0.9 }),
      0.2,
    )
    .option(
      '--per-event <mode>',
      'per-event calibration on every cue (pooled, LYNX) or on one cue drawn per rollout (one-per-rollout)',
      parsePerEvent,
      'pooled',
    )
    .option('--no-scores', 'do not store calibration scores in the bundle (then only the listed levels work)')
    .addHelpText('after', GUARANTEE_HELP);
}

/** Registers `fit`. */
export function register(program: Command): void {
  defineFit(program.command('fit')).action(async (opts: FitCommandOptions) => {
    await runFit(opts, (t) => process.stdout.write(t));
  });
}
