/**
 * The eval's HTML report: one self-contained file (inline CSS, SVG and script; no network). Per
 * data set: the accuracy–tokens frontiers of every family (per reported slice and temperature),
 * the tuned choices and LYNX's margins, the calibration plot of LYNX's levels, and the summary
 * table; then a trace viewer, and the definitions (summary.json's, the CLI's and the README's).
 */
import { SUMMARY_COLUMNS } from '../eval/columns.ts';
import type { EvalRow } from '../eval/row.ts';
import type { EvalSummary, GroupSummary } from '../eval/summary.ts';
import { DEFAULT_TOLERANCE } from '../eval/tuning.ts';
import { CHOICE_HEAD, choiceCells, marginText } from '../eval/tuningTable.ts';
import { type CalibrationPoint, calibrationSpec } from './calibrationPlot.ts';
import { escapeHtml, jsonForScript } from './escape.ts';
import { OFF_AXIS_BELOW, offAxisPoints, paretoPoints, paretoSpec, renderSvg } from './paretoPlot.ts';
import { viewerTraces } from './traceData.ts';
import { VIEWER_SCRIPT } from './viewerScript.ts';

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Problem instances in the trace viewer (default 200). */
  maxTraces?: number;
  /** A problem's text, shown in the trace viewer. */
  question?: (dataset: string, problemId: string) => string | undefined;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 8px 0; display: inline-block; vertical-align: top; } figcaption { color: #666; font-size: 12px; max-width: 620px; }
.thinking { white-space: pre-wrap; font: 13px/1.5 ui-monospace, monospace; background: #fafafa; border: 1px solid #ddd; padding: 10px; max-height: 420px; overflow: auto; }
.question { white-space: pre-wrap; background: #f3f6fb; border-left: 3px solid #1f4e99; padding: 6px 10px; margin: 8px 0; }
mark.cue { padding: 0 2px; border-radius: 3px; }
mark.lab-1 { background: #b7e4c7; } mark.lab-0 { background: #f8c4c4; } mark.lab-u { background: #ffe08a; }
sup.p { color: #555; font-size: 10px; margin-right: 2px; }
span.stop { display: inline-block; background: #1f4e99; color: #fff; font: 11px system-ui, sans-serif; padding: 0 4px; margin: 0 2px; border-radius: 3px; }
#trace-view td { text-align: left; white-space: normal; }
tr.bad td:last-child { color: #b00; } tr.ok td:last-child { color: #080; } tr.premature td:first-child { font-weight: 600; }
.legend span { margin-right: 12px; } .muted { color: #666; } .warn { color: #a11; } ul.margins li { margin: 4px 0; }
`;

/** A table with escaped cells; the first `left` columns are left-aligned. */
function htmlTable(cls: string, head: readonly string[], rows: readonly string[][]): string {
  const tr = (cells: readonly string[], tag: string) =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table class="${cls}">${tr(head, 'th')}${rows.map((r) => tr(r, 'td')).join('')}</table>`;
}

function summaryTable(groups: readonly GroupSummary[]): string {
  return htmlTable(
    'summary',
    SUMMARY_COLUMNS.map((c) => c.name),
    groups.map((g) => SUMMARY_COLUMNS.map((c) => c.cell(g, '–'))),
  );
}

/** LYNX's levels on the reported slices: realized premature rate against δ (per cue met) or α (per run). */
function calibrationPoints(
  groups: readonly GroupSummary[],
  reported: ReadonlySet<string>,
): CalibrationPoint[] {
  const out: CalibrationPoint[] = [];
  for (const g of groups) {
    if (g.method !== 'lynx' || !reported.has(g.slice)) continue;
    const p = g.premature;
    const delta = typeof g.options.delta === 'number' ? g.options.delta : undefined;
    const alpha = typeof g.options.alpha === 'number' ? g.options.alpha : undefined;
    const label = `${g.label} · T=${g.temperature} · ${g.slice}`;
    if (alpha !== undefined && p.wrongExitRate !== null && p.wrongExitCi95)
      out.push({
        series: `per run (α), T=${g.temperature}`,
        target: alpha,
        realized: p.wrongExitRate,
        lo: p.wrongExitCi95[0],
        hi: p.wrongExitCi95[1],
        label,
      });
    else if (alpha === undefined && delta !== undefined && p.rate !== null && p.rateCi95)
      out.push({
        series: `per cue met (δ), T=${g.temperature}`,
        target: delta,
        realized: p.rate,
        lo: p.rateCi95[0],
        hi: p.rateCi95[1],
        label,
      });
  }
  return out;
}

async function datasetSection(summary: EvalSummary, dataset: string): Promise<string> {
  const groups = summary.groups.filter((g) => g.dataset === dataset);
  const tuning = summary.context.tuning;
  const reported = new Set(tuning?.reportedOn ?? groups.map((g) => g.slice));
  const choices = summary.choices.filter((c) => c.dataset === dataset);
  const parts: string[] = [];
  const cells = [
    ...new Map(
      groups.filter((g) => reported.has(g.slice)).map((g) => [`${g.slice}\u0000${g.temperature}`, g]),
    ).values(),
  ];
  for (const cell of cells) {
    const gs = groups.filter((g) => g.slice === cell.slice && g.temperature === cell.temperature);
    const chosen = new Set(
      choices
        .filter((c) => c.evaluatedOn === cell.slice && c.temperature === cell.temperature)
        .map((c) => c.label),
    );
    const { points, vanilla } = paretoPoints(gs, chosen);
    const svg = await renderSvg(
      paretoSpec(points, vanilla, `${dataset} · ${cell.slice} · T=${cell.temperature}`),
    );
    const front = points.filter((p) => p.pareto).map((p) => p.label);
    const below = offAxisPoints(points, vanilla)
      .map((p) => `${escapeHtml(p.label)} (${(100 * p.accuracy).toFixed(1)}%, ${p.tokens.toFixed(0)} tokens)`)
      .join(', ');
    const belowText = below
      ? ` Below the axis (more than ${Math.round(100 * OFF_AXIS_BELOW)} points under vanilla): ${below}.`
      : '';
    parts.push(
      `<figure class="pareto" data-dataset="${escapeHtml(dataset)}" data-slice="${escapeHtml(cell.slice)}" data-temperature="${cell.temperature}" data-points="${points.length}" data-frontier="${escapeHtml(JSON.stringify(front))}">${svg}` +
        `<figcaption>Accuracy against mean tokens decoded per run (thinking, trial/probe answers and the answer; the oracle's free look-ahead excluded). Each family's line joins its non-dominated settings; faint points are dominated settings; dashed lines are vanilla's accuracy and tokens; rings are the tuned choices. Bars: 95% Wilson intervals.${belowText}</figcaption></figure>`,
    );
  }
  const calibration = calibrationPoints(groups, reported);
  if (calibration.length > 0) {
    const svg = await renderSvg(calibrationSpec(calibration, `${dataset} · LYNX premature exits`));
    parts.push(
      `<figure class="calibration" data-points="${calibration.length}">${svg}<figcaption>Realized against target premature-exit rate for each LYNX level, with 95% intervals (cluster-robust by problem). δ: exits at label-0 cues / label-0 cues met; α: runs that exited at a label-0 cue. Points on or below the diagonal keep the promise.</figcaption></figure>`,
    );
  }
  if (choices.length > 0) {
    parts.push(
      `<h3>Tuned choices</h3>${htmlTable(
        'choices',
        ['T', ...CHOICE_HEAD],
        choices.map((c) => [String(c.temperature), ...choiceCells(c, '–')]),
      )}`,
    );
    const margins = summary.margins.filter((m) => m.dataset === dataset);
    if (margins.length > 0)
      parts.push(
        `<ul class="margins">${margins.map((m) => `<li>${escapeHtml(marginText(m))}</li>`).join('')}</ul>`,
      );
  }
  parts.push(`<h3>All settings</h3>${summaryTable(groups)}`);
  return `<section class="dataset" data-dataset="${escapeHtml(dataset)}"><h2>${escapeHtml(dataset)}</h2>${parts.join('')}</section>`;
}

function protocolText(summary: EvalSummary): string {
  const t = summary.context.tuning;
  const tol = `${((t?.tolerance ?? DEFAULT_TOLERANCE) * 100).toFixed(1)} point(s)`;
  if (t?.on)
    return `<p class="protocol">Every family's setting is chosen on <b>${escapeHtml(t.on)}</b> (fewest tokens within ${tol} of vanilla's accuracy there, else the most accurate) and reported on <b>${escapeHtml(t.reportedOn.join(', '))}</b>, disjoint problems.</p>`;
  return `<p class="protocol warn">No tuning slice: each family's choice is made on the slice it is reported on (in-sample, optimistic; run eval --tune for a dev/test protocol). Rule: fewest tokens within ${tol} of vanilla's accuracy, else the most accurate.</p>`;
}

function referencesText(summary: EvalSummary): string {
  if (summary.references.length === 0) return '';
  const items = summary.references.map(
    (r) =>
      `${r.dataset} T=${r.temperature}: ${r.thinkingTokens.toFixed(1)} thinking tokens (vanilla, ${r.runs} runs on ${r.slice})`,
  );
  return `<p class="references">N% token counts are shares of the reference thinking: ${escapeHtml(items.join('; '))}.</p>`;
}

/** Definitions as list items; `x` in backticks becomes code. */
function definitionsList(defs: Record<string, string>): string {
  return Object.entries(defs)
    .map(
      ([k, v]) =>
        `<li><b>${escapeHtml(k)}</b>: ${escapeHtml(v).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`,
    )
    .join('');
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
    if (summary.groups.some((g) => g.dataset === dataset))
      sections.push(await datasetSection(summary, dataset));
  }
  // The viewer keeps the first instances: those of the reported slices first, dev's after.
  const reported = new Set(c.tuning?.reportedOn ?? []);
  const ordered = [
    ...rows.filter((r) => reported.has(r.slice)),
    ...rows.filter((r) => !reported.has(r.slice)),
  ];
  const traces = viewerTraces(reported.size > 0 ? ordered : rows, opts.maxTraces ?? 200, opts.question);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>lynx-exit eval · ${escapeHtml(c.model)}</title><style>${CSS}</style></head>
<body>
<h1>lynx-exit eval</h1>
<p>Model <b>${escapeHtml(c.model)}</b> (${escapeHtml(c.engine)} engine) · data sets ${escapeHtml(c.datasets.join(', '))} · temperatures ${escapeHtml(c.temperatures.join(', '))} · seeds ${escapeHtml(c.seeds.join(', '))} · at most ${c.maxTokens} tokens per run · ${escapeHtml(summary.createdAt)}</p>
<p class="muted">Every number here comes from the model named above; methods on one problem share the sampling seed, so they share the sampled prefix until one exits.</p>
${protocolText(summary)}
${referencesText(summary)}
${sections.join('\n')}
<section id="traces"><h2>Trace viewer</h2>
<p class="legend"><span><mark class="cue lab-1">cue</mark> forced exit there correct</span><span><mark class="cue lab-0">cue</mark> forced exit wrong</span><span><mark class="cue lab-u">cue</mark> no label</span><span><span class="stop">■ method</span> where a method stopped thinking</span></p>
<p class="muted">Premature: an early exit at a cue whose forced exit was wrong, or with a wrong answer where vanilla's was right. ${traces.length} problem instances are kept (the reported slices' first).</p>
<label>Show <select id="trace-filter"><option value="all">all problems</option><option value="premature">with a premature exit</option><option value="disagree">with an answer unlike vanilla's</option></select></label>
<label>Problem <select id="trace-select"></select></label> <span id="trace-count" class="muted"></span>
<div id="trace-view"></div>
</section>
<section id="definitions"><h2>Definitions</h2><ul>${definitionsList(summary.definitions)}</ul></section>
<script type="application/json" id="trace-data">${jsonForScript(traces)}</script>
<script>${VIEWER_SCRIPT}</script>
</body></html>
`;
}
