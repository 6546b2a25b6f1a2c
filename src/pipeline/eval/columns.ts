/**
 * The one set of metric names and definitions: the CLI table, the HTML report and summary.json's
 * `definitions` read them from here, and the README's table is this list (a test holds it to that).
 */
import { fixed, percent } from '../format.ts';
import type { GroupSummary } from './groupSummary.ts';

/** One column of the summary table. */
export interface SummaryColumn {
  name: string;
  /** Where summary.json holds it (per group). */
  field: string;
  definition: string;
  align: 'left' | 'right';
  /** The cell text; `missing` stands for a value that does not exist. */
  cell(g: GroupSummary, missing: string): string;
}

const pct = (x: number | null | undefined, missing: string) => percent(x, missing, 1);

/** The columns, in table order. */
export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  {
    name: 'method',
    field: 'label',
    definition: 'the setting as written (`lynx:delta=0.1`), or its `label=`',
    align: 'left',
    cell: (g) => g.label,
  },
  {
    name: 'dataset',
    field: 'dataset',
    definition: 'the data set',
    align: 'left',
    cell: (g) => g.dataset,
  },
  {
    name: 'slice',
    field: 'slice',
    definition: 'which of its problems: `dev` (settings are chosen there), `test` (reported there), or `all`',
    align: 'left',
    cell: (g) => g.slice,
  },
  {
    name: 'T',
    field: 'temperature',
    definition: 'sampling temperature',
    align: 'right',
    cell: (g) => String(g.temperature),
  },
  {
    name: 'n',
    field: 'n',
    definition: 'runs in the cell (problems × seeds)',
    align: 'right',
    cell: (g) => String(g.n),
  },
  {
    name: 'accuracy [95% CI]',
    field: 'accuracy, groups[].ci95',
    definition: 'share of runs whose answer grades correct; Wilson score interval',
    align: 'right',
    cell: (g, m) => `${pct(g.accuracy, m)} [${pct(g.ci95[0], m)}, ${pct(g.ci95[1], m)}]`,
  },
  {
    name: 'tokens',
    field: 'tokens.decoded',
    definition:
      "mean tokens decoded and paid for per run: thinking (a rolled-back cue token included), trial/probe answers, answer (the oracle's look-ahead is free)",
    align: 'right',
    cell: (g, m) => fixed(g.tokens.decoded, m, 1),
  },
  {
    name: 'used',
    field: 'tokens.used',
    definition: "LYNX's accounting: kept thinking + exit cue + answer",
    align: 'right',
    cell: (g, m) => fixed(g.tokens.used, m, 1),
  },
  {
    name: 'save tok',
    field: 'savingsVsVanilla.tokens',
    definition: '1 − Σ method tokens / Σ vanilla tokens over the (problem, seed) runs both have',
    align: 'right',
    cell: (g, m) => pct(g.savingsVsVanilla?.tokens, m),
  },
  {
    name: 'save time',
    field: 'savingsVsVanilla.wallClock',
    definition:
      'the same for wall-clock of the reasoning loop (decoding, probe scoring, trials; grading excluded)',
    align: 'right',
    cell: (g, m) => pct(g.savingsVsVanilla?.wallClock, m),
  },
  {
    name: 'early exits',
    field: 'exits.early',
    definition: 'share of runs the method ended early (cue or probe exit)',
    align: 'right',
    cell: (g, m) => pct(g.exits.early, m),
  },
  {
    name: 'premature',
    field: 'premature.rate',
    definition:
      "P(exit at a cue | that cue's forced exit is wrong): exits at label-0 cues / label-0 cues met, from the cue-label pass (a rollout that never exits, with LYNX's forced exit at every cue, same seed) — the per-cue rate δ bounds",
    align: 'right',
    cell: (g, m) =>
      g.premature.rate === null
        ? m
        : `${pct(g.premature.rate, m)} (${g.premature.exitsAtWrongCues}/${g.premature.wrongCues})`,
  },
  {
    name: 'ms mean',
    field: 'wallMs.mean',
    definition: 'mean wall-clock per run (ms)',
    align: 'right',
    cell: (g, m) => fixed(g.wallMs.mean, m, 0),
  },
  {
    name: 'ms p50',
    field: 'wallMs.p50',
    definition: 'median wall-clock per run (ms)',
    align: 'right',
    cell: (g, m) => fixed(g.wallMs.p50, m, 0),
  },
];

/** Terms of the tuning protocol, defined next to the columns. */
export const TUNING_TERMS: Readonly<Record<string, string>> = {
  family:
    'the settings tuned and drawn together: a method (LYNX at δ and at α are two families), or `family=`',
  frontier:
    "a family's settings that no other setting of the family beats on both tokens and accuracy (summary.json: groups[].pareto)",
  choice:
    "per family, the setting with the fewest tokens whose accuracy is within the tolerance (1 point) of vanilla's on the slice it is chosen on (dev), else the most accurate; reported on another slice (test) (summary.json: choices)",
  margin:
    "LYNX's chosen setting against the best control (position, fixed budget) and the best peer (DEER, Dynasor, entropy, NoThinking), each picked on dev by the same rule: their tokens − LYNX's, and LYNX's saving − theirs as a share of the oracle's saving (summary.json: margins)",
  reference:
    "the length `N%` token counts are shares of: vanilla's mean thinking tokens on the dev slice, per data set and temperature (summary.json: references)",
};

/** Every definition by name: the columns (with their summary.json field), then the tuning terms. */
export const METRIC_DEFINITIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    SUMMARY_COLUMNS.map((c) => [c.name, `${c.definition} (summary.json: groups[].${c.field})`]),
  ),
  ...TUNING_TERMS,
};

/** The definitions as a Markdown table (the README's). */
export function definitionsMarkdown(): string {
  const rows = Object.entries(METRIC_DEFINITIONS).map(
    ([name, text]) => `| \`${name}\` | ${text.replaceAll('|', '\\|')} |`,
  );
  return ['| name | meaning |', '|---|---|', ...rows].join('\n');
}
