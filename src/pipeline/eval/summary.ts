/**
 * The eval summary: per (method, dataset, temperature), pooled over seeds and problems. Metric
 * definitions are written into `summary.json` (`definitions`) so the file explains itself.
 */

import { fixed, percent } from '../format.ts';
import type { OptionValue } from './methodSpec.ts';
import { type EvalRow, instanceKey } from './row.ts';
import { mean, median, sum, wilsonInterval } from './stats.ts';

/** What each summary field means (copied into summary.json). */
export const METRIC_DEFINITIONS = {
  accuracy:
    'fraction of runs whose answer grades correct, pooled over seeds and problems; ci95 is the Wilson score interval',
  tokens:
    "means per run: decoded = every token the method decoded and pays for (thinking incl. a rolled-back cue token, trial/probe answers, answer), i.e. total minus the oracle's uncharged look-ahead; total = every decoded token; used = LYNX accounting (kept thinking + exit cue + answer); charged = used + charged probe tokens",
  wallMs:
    'wall-clock per run (ms) of the reasoning loop: decoding, probe scoring and trials (grading excluded)',
  savingsVsVanilla:
    'paired on the instances (dataset, problem, temperature, seed) both this method and vanilla ran: tokens = 1 - sum(method decoded)/sum(vanilla decoded); usedTokens likewise with used tokens; wallClock = 1 - sum(method ms)/sum(vanilla ms); accuracyDelta = method accuracy - vanilla accuracy on those instances',
  exits:
    'early = fraction of runs a policy ended early (cue-exit or probe-exit); reasons counts every exit reason',
  premature:
    "labels come from the cue-label pass (a non-exiting rollout with LYNX's greedy forced exit at every cue, same sampling seed, so the same prefix); a cue is label 0 if that forced exit is wrong. rate = P(exit at a cue | label 0) = exits the method took at label-0 cues / label-0 cues the method met (the per-event quantity LYNX's delta bounds); wrongExitRate = fraction of runs whose exit cue has label 0",
} as const;

/** Accuracy of one seed. */
export interface SeedAccuracy {
  seed: number;
  n: number;
  accuracy: number;
}

/** One (method, dataset, temperature) cell. */
export interface GroupSummary {
  method: string;
  label: string;
  options: Record<string, OptionValue>;
  dataset: string;
  temperature: number;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  bySeed: SeedAccuracy[];
  tokens: {
    decoded: number;
    total: number;
    used: number;
    charged: number;
    thinking: number;
    probe: number;
    answer: number;
  };
  wallMs: { mean: number; p50: number };
  exits: { early: number; reasons: Record<string, number> };
  savingsVsVanilla: null | {
    pairs: number;
    tokens: number;
    usedTokens: number;
    wallClock: number;
    accuracyDelta: number;
  };
  premature: {
    /** Runs whose instance has a label row. */
    labelledRuns: number;
    /** Label-0 cues met, exits taken at them, and the rate (null when no label-0 cue was met). */
    wrongCues: number;
    exitsAtWrongCues: number;
    rate: number | null;
    /** Runs that exited at a label-0 cue, as a fraction of labelled runs (null if none). */
    wrongExitRuns: number;
    wrongExitRate: number | null;
    /** Cue events without a label (the label pass did not meet a cue at that position). */
    unlabelledCues: number;
  };
}

/** What the eval was. */
export interface EvalContext {
  model: string;
  engine: string;
  datasets: string[];
  methods: string[];
  temperatures: number[];
  seeds: number[];
  maxTokens: number;
}

/** The whole summary. */
export interface EvalSummary {
  createdAt: string;
  context: EvalContext;
  definitions: typeof METRIC_DEFINITIONS;
  groups: GroupSummary[];
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
  for (const r of runs) {
    const lab = labels.get(instanceKey(r));
    if (!lab) continue;
    labelledRuns++;
    for (const e of r.cueEvents) {
      const label = lab.get(e.position);
      if (label === undefined) {
        unlabelledCues++;
        continue;
      }
      if (label) continue;
      wrongCues++;
      if (e.exit) {
        exitsAtWrongCues++;
        wrongExitRuns++;
      }
    }
  }
  return {
    labelledRuns,
    wrongCues,
    exitsAtWrongCues,
    rate: wrongCues > 0 ? exitsAtWrongCues / wrongCues : null,
    wrongExitRuns,
    wrongExitRate: labelledRuns > 0 ? wrongExitRuns / labelledRuns : null,
    unlabelledCues,
  };
}

/** Summarizes result rows (run rows and label rows of one eval). Groups follow `context.methods` order. */
export function summarizeEval(rows: readonly EvalRow[], context: EvalContext): EvalSummary {
  const labels = labelIndex(rows);
  const groups = new Map<string, EvalRow[]>();
  for (const r of rows) {
    if (r.kind !== 'run') continue;
    const key = JSON.stringify([r.label, r.dataset, r.temperature]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  // Vanilla's rows per (dataset, temperature), by instance.
  const vanillaBy = new Map<string, Map<string, EvalRow>>();
  for (const r of rows) {
    if (r.kind !== 'run' || r.method !== 'vanilla' || Object.keys(r.options).length > 0) continue;
    const k = JSON.stringify([r.dataset, r.temperature]);
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
    const isVanilla = first.method === 'vanilla' && Object.keys(first.options).length === 0;
    out.push({
      method: first.method,
      label: first.label,
      options: first.options,
      dataset: first.dataset,
      temperature: first.temperature,
      n: runs.length,
      correct,
      accuracy: correct / runs.length,
      ci95: wilsonInterval(correct, runs.length),
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
        isVanilla ? undefined : vanillaBy.get(JSON.stringify([first.dataset, first.temperature])),
      ),
      premature: premature(runs, labels),
    });
  }
  out.sort(
    (a, b) =>
      context.datasets.indexOf(a.dataset) - context.datasets.indexOf(b.dataset) ||
      a.temperature - b.temperature ||
      order(a.label) - order(b.label) ||
      a.label.localeCompare(b.label),
  );
  return { createdAt: new Date().toISOString(), context, definitions: METRIC_DEFINITIONS, groups: out };
}

const pct = (x: number | null | undefined, digits = 1) => percent(x, '-', digits);
const num = (x: number, digits = 1) => fixed(x, '-', digits);

/** The summary as an aligned plain-text table (one line per group). */
export function formatSummaryTable(s: EvalSummary): string {
  const head = [
    'method',
    'dataset',
    'T',
    'n',
    'accuracy [95% CI]',
    'tokens',
    'used',
    'save tok',
    'save time',
    'early exits',
    'premature',
    'ms mean',
    'ms p50',
  ];
  const body = s.groups.map((g) => [
    g.label,
    g.dataset,
    String(g.temperature),
    String(g.n),
    `${pct(g.accuracy)} [${pct(g.ci95[0])}, ${pct(g.ci95[1])}]`,
    num(g.tokens.decoded),
    num(g.tokens.used),
    pct(g.savingsVsVanilla?.tokens),
    pct(g.savingsVsVanilla?.wallClock),
    pct(g.exits.early),
    g.premature.rate === null
      ? '-'
      : `${pct(g.premature.rate)} (${g.premature.exitsAtWrongCues}/${g.premature.wrongCues})`,
    num(g.wallMs.mean, 0),
    num(g.wallMs.p50, 0),
  ]);
  const rows = [head, ...body];
  const widths = head.map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const left = new Set([0, 1]);
  const line = (r: string[]) =>
    r
      .map((c, j) => (left.has(j) ? c.padEnd(widths[j]) : c.padStart(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
