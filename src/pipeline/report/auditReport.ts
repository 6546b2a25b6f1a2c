/**
 * The audit's outputs for people: a calibration plot (`calibrationPlot.ts`), a text table, and a
 * self-contained HTML page holding both.
 */
import type { AuditReport, LevelAudit } from '../audit.ts';
import { type CalibrationPoint, calibrationSpec } from './calibrationPlot.ts';
import { escapeHtml } from './escape.ts';
import { renderSvg } from './paretoPlot.ts';

function pointsOf(r: AuditReport): CalibrationPoint[] {
  const pooledName = 'per event, every cue (δ)';
  const rolloutName = 'per event, one cue per rollout (δ)';
  const out: CalibrationPoint[] = [];
  for (const d of r.deltas) {
    const [pooled, perRollout] = r.perEvent === 'pooled' ? [d.realized, d.other] : [d.other, d.realized];
    for (const [series, x] of [
      [pooledName, pooled],
      [rolloutName, perRollout],
    ] as const) {
      if (x && Number.isFinite(x.value))
        out.push({ series, target: d.target, realized: x.value, lo: x.ci95[0], hi: x.ci95[1] });
    }
  }
  for (const a of r.alphas) {
    if (Number.isFinite(a.realized.value))
      out.push({
        series: 'per trajectory (α)',
        target: a.target,
        realized: a.realized.value,
        lo: a.realized.ci95[0],
        hi: a.realized.ci95[1],
      });
  }
  return out;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

function rowOf(l: LevelAudit, perEvent: AuditReport['perEvent']): string[] {
  const x = l.realized;
  const level =
    l.kind === 'delta'
      ? `delta ${l.target} (${perEvent === 'pooled' ? 'every cue' : 'one cue/rollout'})`
      : `alpha ${l.target} (eps ${l.epsilon}, lambda ${l.lambda?.toFixed(3)})`;
  return [
    level,
    `${x.k.toFixed(l.kind === 'delta' && perEvent !== 'pooled' ? 1 : 0)}/${x.n.toFixed(l.kind === 'delta' && perEvent !== 'pooled' ? 1 : 0)}`,
    pct(x.value),
    Number.isFinite(x.se) ? `${(100 * x.se).toFixed(1)}` : 'n/a',
    `[${pct(x.ci95[0])}, ${pct(x.ci95[1])}]`,
    l.other ? pct(l.other.value) : '',
    pct(l.exitRate),
    pct(l.tokensSaved),
    l.holds ? 'holds' : 'EXCEEDS',
  ];
}

/** The audit as an aligned text table plus its verdict line. */
export function formatAuditTable(r: AuditReport): string {
  const head = [
    'level',
    'exits/label 0',
    'realized',
    'SE (pt)',
    '95% CI',
    r.perEvent === 'pooled' ? 'one cue/rollout' : 'every cue',
    'exit rate',
    'tokens saved',
    'verdict',
  ];
  const rows = [head, ...[...r.deltas, ...r.alphas].map((l) => rowOf(l, r.perEvent))];
  const widths = head.map((_, j) => Math.max(...rows.map((row) => row[j].length)));
  const lines = rows.map((row) =>
    row
      .map((c, j) => c.padEnd(widths[j]))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const about = `${r.problems} problems, ${r.rollouts} rollouts, ${r.cueEvents} cue events (${r.label0Events} label 0). delta rows: P(exit | label 0); alpha rows: share of rollouts whose exit is wrong; exit rate: label-1 cues (delta) / rollouts (alpha) that exit.`;
  return [about, ...lines, ...r.warnings.map((w) => `warning: ${w}`), r.verdict, ''].join('\n');
}

/** The calibration plot as an SVG string. */
export async function renderCalibrationSvg(r: AuditReport, title: string): Promise<string> {
  return renderSvg(calibrationSpec(pointsOf(r), title));
}

/** A self-contained HTML page: verdict, table, plot. */
export function auditHtml(r: AuditReport, svg: string, title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}pre{background:#f6f6f6;padding:1em;overflow:auto}
.ok{color:#176117}.bad{color:#a11}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="${r.holds ? 'ok' : 'bad'}"><strong>${escapeHtml(r.verdict)}</strong></p>
<pre>${escapeHtml(formatAuditTable(r))}</pre>
<figure>${svg}<figcaption>Realized against target rate with 95% intervals (cluster-robust by problem). Points on or below the dashed diagonal keep the promise.</figcaption></figure>
</body></html>
`;
}
