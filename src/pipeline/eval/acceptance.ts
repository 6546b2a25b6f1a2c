/**
 * Checks an eval summary against the end-to-end acceptance criteria (issue 5): on the calibration
 * family, some LYNX δ keeps vanilla accuracy (within `accuracyTolerance`) with at least
 * `minTokenSaving` fewer tokens; the premature-exit rate at every δ is at most δ + 3 SE; LYNX's
 * wall-clock saving is at least its token saving minus `wallClockSlack`.
 */

import { ensure } from '../../errors.ts';
import { percent } from '../format.ts';
import { DEV_SLICE } from './evalPlan.ts';
import type { EvalSummary, GroupSummary } from './summary.ts';
import { isVanillaGroup } from './tuning.ts';

/** Thresholds of the acceptance protocol. */
export interface AcceptanceCriteria {
  /** The family the probe was calibrated on (the claims are made there). */
  dataset: string;
  accuracyTolerance: number;
  minTokenSaving: number;
  wallClockSlack: number;
}

export const DEFAULT_ACCEPTANCE: AcceptanceCriteria = {
  dataset: 'testbed-arith',
  accuracyTolerance: 0.01,
  minTokenSaving: 0.4,
  wallClockSlack: 0.05,
};

/** One LYNX-at-δ row of the check. */
export interface LynxCheckRow {
  label: string;
  temperature: number;
  delta: number;
  accuracy: number;
  vanillaAccuracy: number;
  accuracyDelta: number;
  tokenSaving: number;
  wallClockSaving: number;
  /** Label-0 cues met, and P(exit | label 0) on them (null when none was met). */
  wrongCues: number;
  prematureRate: number | null;
  /** δ + 3·sqrt(δ(1-δ)/n): the rate's upper limit if the true rate were δ. */
  prematureBound: number;
  prematureOk: boolean;
  keepsAccuracy: boolean;
  savesEnough: boolean;
  wallClockOk: boolean;
}

/** The outcome of each criterion and the rows behind it. */
export interface AcceptanceReport {
  rows: LynxCheckRow[];
  /** Per temperature: labels of the δ rows that keep accuracy with enough saving. */
  qualifying: Record<string, string[]>;
  savingMet: boolean;
  prematureMet: boolean;
  wallClockMet: boolean;
}

/** Runs the checks over one or more summaries (e.g. one per temperature). */
export function checkAcceptance(
  summaries: readonly EvalSummary[],
  criteria: AcceptanceCriteria = DEFAULT_ACCEPTANCE,
): AcceptanceReport {
  // The claims are made on the reported problems, not on dev, where settings are chosen.
  const groups = summaries
    .flatMap((s) => s.groups)
    .filter((g) => g.dataset === criteria.dataset && g.slice !== DEV_SLICE);
  const vanilla = new Map(groups.filter(isVanillaGroup).map((g) => [g.temperature, g]));
  const rows: LynxCheckRow[] = [];
  for (const g of groups) {
    const delta = g.options.delta;
    if (g.method !== 'lynx' || typeof delta !== 'number') continue;
    const base = vanilla.get(g.temperature);
    ensure(
      base && g.savingsVsVanilla,
      () => `no vanilla run on ${criteria.dataset} at T ${g.temperature} to compare ${g.label} with`,
    );
    rows.push(lynxRow(g, base, delta, criteria));
  }
  ensure(rows.length, `no LYNX δ runs on ${criteria.dataset} in these summaries`);
  const qualifying: Record<string, string[]> = {};
  for (const r of rows) {
    qualifying[r.temperature] ??= [];
    if (r.keepsAccuracy && r.savesEnough) qualifying[r.temperature].push(r.label);
  }
  return {
    rows,
    qualifying,
    savingMet: Object.values(qualifying).every((labels) => labels.length > 0),
    prematureMet: rows.every((r) => r.prematureOk),
    wallClockMet: rows.every((r) => r.wallClockOk),
  };
}

function lynxRow(g: GroupSummary, base: GroupSummary, delta: number, c: AcceptanceCriteria): LynxCheckRow {
  const s = g.savingsVsVanilla!;
  const n = g.premature.wrongCues;
  const bound = n > 0 ? delta + 3 * Math.sqrt((delta * (1 - delta)) / n) : 1;
  const rate = g.premature.rate;
  return {
    label: g.label,
    temperature: g.temperature,
    delta,
    accuracy: g.accuracy,
    vanillaAccuracy: base.accuracy,
    accuracyDelta: s.accuracyDelta,
    tokenSaving: s.tokens,
    wallClockSaving: s.wallClock,
    wrongCues: n,
    prematureRate: rate,
    prematureBound: bound,
    prematureOk: rate === null || rate <= bound,
    keepsAccuracy: s.accuracyDelta >= -c.accuracyTolerance,
    savesEnough: s.tokens >= c.minTokenSaving,
    wallClockOk: s.wallClock >= s.tokens - c.wallClockSlack,
  };
}

const pct = (x: number | null) => percent(x, 'n/a');
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');

/** The report as a markdown table plus one line per criterion. */
export function formatAcceptance(r: AcceptanceReport, c: AcceptanceCriteria = DEFAULT_ACCEPTANCE): string {
  const lines = [
    `Acceptance on ${c.dataset}:`,
    '',
    '| T | method | accuracy (vanilla) | token saving | wall-clock saving | P(exit \\| wrong) (label-0 cues) | ≤ δ + 3 SE |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const x of r.rows) {
    lines.push(
      `| ${x.temperature} | ${x.label} | ${pct(x.accuracy)} (${pct(x.vanillaAccuracy)}) | ${pct(x.tokenSaving)} | ` +
        `${pct(x.wallClockSaving)} | ${pct(x.prematureRate)} (${x.wrongCues}) | ${mark(x.prematureOk)} (${pct(x.prematureBound)}) |`,
    );
  }
  const qual = Object.entries(r.qualifying)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([t, labels]) => `T ${t}: ${labels.length ? labels.join(', ') : 'none'}`)
    .join('; ');
  lines.push(
    '',
    `- some δ within ${pct(c.accuracyTolerance)} of vanilla accuracy with ≥ ${pct(c.minTokenSaving)} fewer tokens: ${mark(r.savingMet)} (${qual})`,
    `- premature-exit rate ≤ δ + 3 SE at every δ: ${mark(r.prematureMet)}`,
    `- wall-clock saving ≥ token saving − ${pct(c.wallClockSlack)} at every δ: ${mark(r.wallClockMet)}`,
  );
  return lines.join('\n');
}
