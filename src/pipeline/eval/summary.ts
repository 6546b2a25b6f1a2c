/**
 * The eval summary: per (method, dataset, slice, temperature), pooled over seeds and problems, with
 * each family's frontier, the tuned choices and LYNX's margins (`tuning.ts`). Metric definitions
 * are written into `summary.json` (`definitions`, from `columns.ts`) so the file explains itself.
 */

import { lastBoxed } from '../../answers/extract.ts';
import { clusteredRatio } from '../audit.ts';
import { METRIC_DEFINITIONS, SUMMARY_COLUMNS } from './columns.ts';
import { DEV_SLICE } from './evalPlan.ts';
import type { GroupSummary } from './groupSummary.ts';
import { defaultFamily } from './methodSpec.ts';
import type { ReferenceThinking } from './references.ts';
import { type EvalRow, instanceKey } from './row.ts';
import { mean, median, sum, wilsonInterval } from './stats.ts';
import {
  chooseSettings,
  DEFAULT_TOLERANCE,
  type FamilyChoice,
  isVanillaGroup,
  type LynxMargin,
  lynxMargins,
  markPareto,
  type TuningSetup,
} from './tuning.ts';

export { METRIC_DEFINITIONS } from './columns.ts';
export type { GroupSummary, SeedAccuracy } from './groupSummary.ts';

/** What the eval was. */
export interface EvalContext {
  model: string;
  engine: string;
  datasets: string[];
  methods: string[];
  /** Family of each method label (default: `defaultFamily` of the rows' method and options). */
  families?: Record<string, string>;
  temperatures: number[];
  seeds: number[];
  /** Seeds on the dev slice when they differ from `seeds`. */
  devSeeds?: number[];
  maxTokens: number;
  /** Where choices are made and reported (default: in-sample on every slice, 1 point tolerance). */
  tuning?: TuningSetup;
}

/** The whole summary. */
export interface EvalSummary {
  createdAt: string;
  context: EvalContext;
  definitions: Record<string, string>;
  groups: GroupSummary[];
  /** Vanilla's mean thinking on dev: what `N%` token counts were shares of. */
  references: ReferenceThinking[];
  /** Each family's setting, chosen on `chosenOn` and reported on `evaluatedOn`. */
  choices: FamilyChoice[];
  /** LYNX against the best control and the best peer, from the choices. */
  margins: LynxMargin[];
}

const EARLY = new Set(['cue-exit', 'probe-exit']);

/** Tokens a run decoded and is charged for: all decoded tokens but the oracle's free look-ahead. */
export function decodedTokens(r: EvalRow): number {
  return r.counts.total - r.counts.freeProbe;
}

/** Cue labels by instance: position → forced exit correct. */
function labelIndex(rows: readonly EvalRow[]): Map<string, Map<number, boolean>> {
  const out = new Map<string, Map<number, boolean>>();
  for (const r of rows) {
    if (r.kind !== 'labels') continue;
    const m = new Map<number, boolean>();
    for (const e of r.cueEvents)
      if (typeof e.details?.correct === 'boolean') m.set(e.position, e.details.correct);
    out.set(instanceKey(r), m);
  }
  return out;
}

function savings(
  runs: readonly EvalRow[],
  vanilla: Map<string, EvalRow> | undefined,
): GroupSummary['savingsVsVanilla'] {
  if (!vanilla) return null;
  const pairs = runs.flatMap((r) => {
    const v = vanilla.get(instanceKey(r));
    return v ? [[r, v] as const] : [];
  });
  if (pairs.length === 0) return null;
  const ratio = (f: (r: EvalRow) => number) => {
    const base = sum(pairs.map(([, v]) => f(v)));
    return base > 0 ? 1 - sum(pairs.map(([m]) => f(m))) / base : 0;
  };
  return {
    pairs: pairs.length,
    tokens: ratio(decodedTokens),
    usedTokens: ratio((r) => r.counts.used),
    wallClock: ratio((r) => r.timings.totalMs),
    accuracyDelta: mean(pairs.map(([m, v]) => Number(m.correct) - Number(v.correct))),
  };
}

function premature(
  runs: readonly EvalRow[],
  labels: Map<string, Map<number, boolean>>,
): GroupSummary['premature'] {
  let labelledRuns = 0;
  let wrongCues = 0;
  let exitsAtWrongCues = 0;
  let wrongExitRuns = 0;
  let unlabelledCues = 0;
  // Per problem (over seeds): [exits at label-0 cues, label-0 cues, wrong-exit runs, labelled runs].
  const clusters = new Map<string, [number, number, number, number]>();
  for (const r of runs) {
    const lab = labels.get(instanceKey(r));
    if (!lab) continue;
    labelledRuns++;
    const c = clusters.get(r.problemId) ?? [0, 0, 0, 0];
    clusters.set(r.problemId, c);
    c[3]++;
    for (const e of r.cueEvents) {
      const label = lab.get(e.position);
      if (label === undefined) {
        unlabelledCues++;
        continue;
      }
      if (label) continue;
      wrongCues++;
      c[1]++;
      if (e.exit) {
        exitsAtWrongCues++;
        wrongExitRuns++;
        c[0]++;
        c[2]++;
      }
    }
  }
  const ci = (a: number, b: number): [number, number] | null => {
    const est = clusteredRatio([...clusters.values()].map((c) => ({ a: c[a], b: c[b] })));
    return Number.isFinite(est.value) ? est.ci95 : null;
  };
  return {
    labelledRuns,
    wrongCues,
    exitsAtWrongCues,
    rate: wrongCues > 0 ? exitsAtWrongCues / wrongCues : null,
    rateCi95: wrongCues > 0 ? ci(0, 1) : null,
    wrongExitRuns,
    wrongExitRate: labelledRuns > 0 ? wrongExitRuns / labelledRuns : null,
    wrongExitCi95: labelledRuns > 0 ? ci(2, 3) : null,
    unlabelledCues,
  };
}

/**
 * Summarizes result rows (run rows and label rows of one eval): the groups (in `context.methods`
 * order), each family's frontier, the choices and LYNX's margins.
 */
export function summarizeEval(
  rows: readonly EvalRow[],
  context: EvalContext,
  references: ReferenceThinking[] = [],
): EvalSummary {
  const labels = labelIndex(rows);
  const groups = new Map<string, EvalRow[]>();
  for (const r of rows) {
    if (r.kind !== 'run') continue;
    const key = JSON.stringify([r.label, r.dataset, r.slice, r.temperature]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  // Vanilla's rows per (dataset, slice, temperature), by instance.
  const vanillaBy = new Map<string, Map<string, EvalRow>>();
  for (const r of rows) {
    if (r.kind !== 'run' || !isVanillaGroup(r)) continue;
    const k = JSON.stringify([r.dataset, r.slice, r.temperature]);
    let m = vanillaBy.get(k);
    if (!m) vanillaBy.set(k, (m = new Map()));
    m.set(instanceKey(r), r);
  }
  const order = (label: string) => {
    const i = context.methods.indexOf(label);
    return i < 0 ? context.methods.length : i;
  };
  const out: GroupSummary[] = [];
  for (const runs of groups.values()) {
    const first = runs[0];
    const correct = runs.filter((r) => r.correct).length;
    const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
    const reasons: Record<string, number> = {};
    for (const r of runs) reasons[r.exit.reason] = (reasons[r.exit.reason] ?? 0) + 1;
    const isVanilla = isVanillaGroup(first);
    out.push({
      method: first.method,
      label: first.label,
      family: context.families?.[first.label] ?? defaultFamily(first.method, first.options),
      options: first.options,
      dataset: first.dataset,
      slice: first.slice,
      temperature: first.temperature,
      n: runs.length,
      correct,
      accuracy: correct / runs.length,
      ci95: wilsonInterval(correct, runs.length),
      boxed: runs.filter((r) => lastBoxed(r.answerText) !== null).length / runs.length,
      bySeed: seeds.map((seed) => {
        const s = runs.filter((r) => r.seed === seed);
        return { seed, n: s.length, accuracy: s.filter((r) => r.correct).length / s.length };
      }),
      tokens: {
        decoded: mean(runs.map(decodedTokens)),
        total: mean(runs.map((r) => r.counts.total)),
        used: mean(runs.map((r) => r.counts.used)),
        charged: mean(runs.map((r) => r.counts.charged)),
        thinking: mean(runs.map((r) => r.counts.thinking)),
        probe: mean(runs.map((r) => r.counts.probe)),
        answer: mean(runs.map((r) => r.counts.answer)),
      },
      wallMs: {
        mean: mean(runs.map((r) => r.timings.totalMs)),
        p50: median(runs.map((r) => r.timings.totalMs)),
      },
      exits: { early: runs.filter((r) => EARLY.has(r.exit.reason)).length / runs.length, reasons },
      savingsVsVanilla: savings(
        runs,
        isVanilla
          ? undefined
          : vanillaBy.get(JSON.stringify([first.dataset, first.slice, first.temperature])),
      ),
      premature: premature(runs, labels),
      pareto: false,
    });
  }
  // Dev (where settings are chosen) before the slices reported on.
  const sliceOrder = (s: string) => (s === DEV_SLICE ? 0 : 1);
  out.sort(
    (a, b) =>
      context.datasets.indexOf(a.dataset) - context.datasets.indexOf(b.dataset) ||
      sliceOrder(a.slice) - sliceOrder(b.slice) ||
      a.slice.localeCompare(b.slice) ||
      a.temperature - b.temperature ||
      order(a.label) - order(b.label) ||
      a.label.localeCompare(b.label),
  );
  markPareto(out);
  const tuning = context.tuning ?? {
    on: null,
    reportedOn: [...new Set(out.map((g) => g.slice))],
    tolerance: DEFAULT_TOLERANCE,
  };
  const choices = chooseSettings(out, tuning);
  return {
    createdAt: new Date().toISOString(),
    context,
    definitions: { ...METRIC_DEFINITIONS },
    groups: out,
    references,
    choices,
    margins: lynxMargins(out, choices),
  };
}

/** Aligned plain-text table of `cells` under `head`; columns in `left` are left-aligned. */
export function alignTable(
  head: readonly string[],
  body: readonly string[][],
  left: ReadonlySet<number>,
): string {
  const rows = [head, ...body];
  const widths = head.map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, j) => (left.has(j) ? c.padEnd(widths[j]) : c.padStart(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** The summary as an aligned plain-text table (one line per group; the columns of `columns.ts`). */
export function formatSummaryTable(s: EvalSummary): string {
  const cols = SUMMARY_COLUMNS;
  const left = new Set(cols.flatMap((c, j) => (c.align === 'left' ? [j] : [])));
  return alignTable(
    cols.map((c) => c.name),
    s.groups.map((g) => cols.map((c) => c.cell(g, '-'))),
    left,
  );
}
