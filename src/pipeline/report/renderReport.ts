/**
 * The eval's HTML report: one self-contained file (inline CSS, SVG and script; no network). Per
 * data set and temperature an accuracy–tokens plot and the summary table; then a trace viewer.
 */
import type { EvalRow } from '../eval/row.ts';
import type { EvalSummary, GroupSummary } from '../eval/summary.ts';
import { fixed, percent } from '../format.ts';
import { escapeHtml, jsonForScript } from './escape.ts';
import { paretoPoints, paretoSpec, renderSvg } from './paretoPlot.ts';
import { viewerTraces } from './traceData.ts';
import { VIEWER_SCRIPT } from './viewerScript.ts';

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Problem instances in the trace viewer (default 200). */
  maxTraces?: number;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 8px 0; } figcaption { color: #666; font-size: 12px; }
.thinking { white-space: pre-wrap; font: 13px/1.5 ui-monospace, monospace; background: #fafafa; border: 1px solid #ddd; padding: 10px; max-height: 420px; overflow: auto; }
mark.cue { padding: 0 2px; border-radius: 3px; }
mark.lab-1 { background: #b7e4c7; } mark.lab-0 { background: #f8c4c4; } mark.lab-u { background: #ffe08a; }
sup.p { color: #555; font-size: 10px; margin-right: 2px; }
span.stop { display: inline-block; background: #1f4e99; color: #fff; font: 11px system-ui, sans-serif; padding: 0 4px; margin: 0 2px; border-radius: 3px; }
#trace-view td { text-align: left; white-space: normal; }
tr.bad td:last-child { color: #b00; } tr.ok td:last-child { color: #080; }
.legend span { margin-right: 12px; } .muted { color: #666; }
`;

const pct = (x: number | null | undefined) => percent(x, '–');
const num = (x: number, d = 1) => fixed(x, '–', d);

function summaryTable(groups: readonly GroupSummary[]): string {
  const head = [
    'method',
    'T',
    'n',
    'accuracy',
    '95% CI',
    'tokens',
    'used',
    'save tok',
    'save time',
    'early exits',
    'premature',
    'ms mean',
    'ms p50',
  ];
  const rows = groups.map((g) =>
    [
      g.label,
      String(g.temperature),
      String(g.n),
      pct(g.accuracy),
      `${pct(g.ci95[0])} – ${pct(g.ci95[1])}`,
      num(g.tokens.decoded),
      num(g.tokens.used),
      pct(g.savingsVsVanilla?.tokens),
      pct(g.savingsVsVanilla?.wallClock),
      pct(g.exits.early),
      g.premature.rate === null
        ? '–'
        : `${pct(g.premature.rate)} (${g.premature.exitsAtWrongCues}/${g.premature.wrongCues})`,
      num(g.wallMs.mean, 0),
      num(g.wallMs.p50, 0),
    ]
      .map((c) => `<td>${escapeHtml(c)}</td>`)
      .join(''),
  );
  return `<table class="summary"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r}</tr>`).join('')}</table>`;
}

/** Renders the report page. */
export async function renderReport(
  summary: EvalSummary,
  rows: readonly EvalRow[],
  opts: ReportOptions = {},
): Promise<string> {
  const c = summary.context;
  const sections: string[] = [];
  for (const dataset of c.datasets) {
    const groups = summary.groups.filter((g) => g.dataset === dataset);
    if (groups.length === 0) continue;
    const temps = [...new Set(groups.map((g) => g.temperature))].sort((a, b) => a - b);
    const figures: string[] = [];
    for (const t of temps) {
      const gs = groups.filter((g) => g.temperature === t);
      const svg = await renderSvg(paretoSpec(paretoPoints(gs), `${dataset} · T=${t}`));
      figures.push(
        `<figure class="pareto" data-dataset="${escapeHtml(dataset)}" data-temperature="${t}" data-points="${gs.length}">${svg}` +
          `<figcaption>Accuracy against mean tokens decoded per problem (thinking, trial/probe answers and the answer; the oracle's free look-ahead excluded). Error bars: 95% Wilson intervals; lines join settings of one method.</figcaption></figure>`,
      );
    }
    sections.push(
      `<section class="dataset"><h2>${escapeHtml(dataset)}</h2>${figures.join('')}${summaryTable(groups)}</section>`,
    );
  }
  const traces = viewerTraces(rows, opts.maxTraces ?? 200);
  const defs = Object.entries(summary.definitions)
    .map(([k, v]) => `<li><b>${escapeHtml(k)}</b>: ${escapeHtml(v)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>lynx-exit eval · ${escapeHtml(c.model)}</title><style>${CSS}</style></head>
<body>
<h1>lynx-exit eval</h1>
<p>Model <b>${escapeHtml(c.model)}</b> (${escapeHtml(c.engine)} engine) · data sets ${escapeHtml(c.datasets.join(', '))} · temperatures ${escapeHtml(c.temperatures.join(', '))} · seeds ${escapeHtml(c.seeds.join(', '))} · at most ${c.maxTokens} tokens per run · ${escapeHtml(summary.createdAt)}</p>
<p class="muted">Every number here comes from the model named above; methods on one problem share the sampling seed, so they share the sampled prefix until one exits.</p>
${sections.join('\n')}
<section id="traces"><h2>Trace viewer</h2>
<p class="legend"><span><mark class="cue lab-1">cue</mark> forced exit there correct</span><span><mark class="cue lab-0">cue</mark> forced exit wrong</span><span><mark class="cue lab-u">cue</mark> no label</span><span><span class="stop">■ method</span> where a method stopped thinking</span></p>
<label>Problem <select id="trace-select"></select></label>
<div id="trace-view"></div>
</section>
<section><h2>Definitions</h2><ul>${defs}</ul></section>
<script type="application/json" id="trace-data">${jsonForScript(traces)}</script>
<script>${VIEWER_SCRIPT}</script>
</body></html>
`;
}
