/** The tuned choices and LYNX's margins as table cells and sentences: one wording for the CLI and the report. */
import { fixed, percent } from '../format.ts';
import { alignTable, type EvalSummary } from './summary.ts';
import type { FamilyChoice, LynxMargin, MarginVs } from './tuning.ts';

/** Column names of the choices table. */
export const CHOICE_HEAD = [
  'family',
  'setting',
  'chosen on',
  'accuracy there (vanilla)',
  'tokens there (vanilla)',
  'reported on',
  'accuracy [95% CI]',
  'Δ accuracy',
  'tokens',
  'save tok',
] as const;

const pct = (x: number | null | undefined, m: string) => percent(x, m, 1);
/** A share with a sign (−1% rather than -1%). */
const signed = (x: number) => `${x < 0 ? '−' : ''}${percent(Math.abs(x), '–', 0)}`;
const points = (x: number | null | undefined, m: string) =>
  x === null || x === undefined || Number.isNaN(x)
    ? m
    : `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} pt`;

/** One choice as cells under `CHOICE_HEAD`; `missing` for a value that does not exist. */
export function choiceCells(c: FamilyChoice, m: string): string[] {
  const on = c.onChosen;
  const ev = c.evaluated;
  return [
    c.family,
    c.label,
    `${c.chosenOn}${c.withinTolerance ? '' : ' (none kept accuracy: most accurate)'}`,
    `${pct(on.accuracy, m)} (${pct(on.vanillaAccuracy, m)})`,
    `${fixed(on.tokens, m, 1)} (${fixed(on.vanillaTokens, m, 1)})`,
    `${c.evaluatedOn}${c.inSample ? ' (in-sample)' : ''}`,
    ev ? `${pct(ev.accuracy, m)} [${pct(ev.ci95[0], m)}, ${pct(ev.ci95[1], m)}]` : m,
    ev ? points(ev.accuracyDelta, m) : m,
    ev ? fixed(ev.tokens, m, 1) : m,
    ev ? pct(ev.saving, m) : m,
  ];
}

function versus(name: string, v: MarginVs | null): string {
  if (!v) return `no ${name} to compare`;
  const share = v.shareOfOracle === null ? '' : ` = ${signed(v.shareOfOracle)} of the oracle's saving`;
  return (
    `over the best ${name} (${v.family}: ${v.label}, saving ${pct(v.saving, '–')} at ${points(v.accuracyDelta, '–')}): ` +
    `${fixed(Math.abs(v.tokens), '–', 1)} tokens per run ${v.tokens >= 0 ? 'fewer' : 'more'}, ${points(v.savingPoints, '–')} of saving${share}`
  );
}

/** One margin as a sentence. */
export function marginText(x: LynxMargin): string {
  const where = `${x.dataset} T=${x.temperature}, chosen on ${x.chosenOn}, reported on ${x.evaluatedOn}${x.inSample ? ' (in-sample)' : ''}`;
  const oracle = x.oracleSaving === null ? 'no oracle' : `oracle saves ${pct(x.oracleSaving, '–')}`;
  return (
    `${where}: LYNX (${x.lynx.family}: ${x.lynx.label}) saves ${pct(x.lynx.saving, '–')} of vanilla's tokens at ` +
    `${points(x.lynx.accuracyDelta, '–')} (${oracle}); ${versus('control', x.overControl)}; ${versus('peer', x.overPeer)}`
  );
}

/** The choices as an aligned text table, then the margins, one per line ('' when there are none). */
export function formatTuning(s: EvalSummary): string {
  if (s.choices.length === 0) return '';
  const head = ['dataset', 'T', ...CHOICE_HEAD];
  const body = s.choices.map((c) => [c.dataset, String(c.temperature), ...choiceCells(c, '-')]);
  const table = alignTable(head, body, new Set([0, 2, 3, 4, 7]));
  const margins = s.margins.map((m) => `margin: ${marginText(m)}\n`).join('');
  return `\n${table}${margins}`;
}
