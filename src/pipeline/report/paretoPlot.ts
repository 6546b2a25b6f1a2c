/**
 * The accuracy–tokens plot of one (dataset, slice, temperature): per family, a line through its
 * non-dominated settings only (its frontier), dominated settings as faint points, vanilla as
 * dashed reference lines (its accuracy and its tokens) rather than a point, the tuned choices
 * ringed; no text on the plot (a legend names the families, tooltips the settings), and a y axis
 * fitted to the intervals drawn. Rendered by Vega-Lite → Vega to an inline SVG string, offline.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { GroupSummary } from '../eval/summary.ts';
import { isVanillaGroup, type MethodRole, methodRole } from '../eval/tuning.ts';

/** One plotted setting. */
export interface ParetoPoint {
  family: string;
  role: MethodRole;
  label: string;
  tokens: number;
  accuracy: number;
  lo: number;
  hi: number;
  /** On its family's frontier. */
  pareto: boolean;
  /** The family's tuned choice. */
  chosen: boolean;
  /** Token saving against vanilla (null: none). */
  saving: number | null;
}

/** Vanilla's accuracy and tokens, drawn as reference lines. */
export interface ParetoReference {
  accuracy: number;
  tokens: number;
}

/** The plot's points (every setting but vanilla) and vanilla's reference, from one cell's groups. */
export function paretoPoints(
  groups: readonly GroupSummary[],
  chosen: ReadonlySet<string> = new Set(),
): { points: ParetoPoint[]; vanilla: ParetoReference | null } {
  const v = groups.find(isVanillaGroup);
  return {
    points: groups
      .filter((g) => !isVanillaGroup(g))
      .map((g) => ({
        family: g.family,
        role: methodRole(g.method),
        label: g.label,
        tokens: g.tokens.decoded,
        accuracy: g.accuracy,
        lo: g.ci95[0],
        hi: g.ci95[1],
        pareto: g.pareto,
        chosen: chosen.has(g.label),
        saving: g.savingsVsVanilla?.tokens ?? null,
      })),
    vanilla: v ? { accuracy: v.accuracy, tokens: v.tokens.decoded } : null,
  };
}

/**
 * Settings more than this far below vanilla's accuracy are left below the y axis (and named under the
 * plot): one NoThinking point at 3% would otherwise squeeze every frontier that matters into a band.
 */
export const OFF_AXIS_BELOW = 0.3;

/** The settings left below the axis (see `OFF_AXIS_BELOW`). */
export function offAxisPoints(
  points: readonly ParetoPoint[],
  vanilla: ParetoReference | null,
): ParetoPoint[] {
  return vanilla ? points.filter((p) => p.accuracy < vanilla.accuracy - OFF_AXIS_BELOW) : [];
}

/**
 * The y domain: the intervals of the settings on the axis and vanilla's accuracy, padded by 5% of
 * their span (at least 0.02), within [0, 1].
 */
export function accuracyDomain(
  points: readonly ParetoPoint[],
  vanilla: ParetoReference | null,
): [number, number] {
  const off = new Set(offAxisPoints(points, vanilla));
  const shown = points.filter((p) => !off.has(p));
  const ys = [...shown.flatMap((p) => [p.lo, p.hi]), ...(vanilla ? [vanilla.accuracy] : [])];
  if (ys.length === 0) return [0, 1];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const pad = Math.max(0.02, 0.05 * (hi - lo));
  return [Math.max(0, lo - pad), Math.min(1, hi + pad)];
}

/** The Vega-Lite spec of the plot (no data URLs: the values are inline). */
export function paretoSpec(
  points: readonly ParetoPoint[],
  vanilla: ParetoReference | null,
  title: string,
): TopLevelSpec {
  const domain = accuracyDomain(points, vanilla);
  const x = {
    field: 'tokens',
    type: 'quantitative',
    title: 'mean tokens decoded per run (incl. probes)',
    scale: { zero: true },
  } as const;
  const y = {
    field: 'accuracy',
    type: 'quantitative',
    title: 'accuracy (95% Wilson CI)',
    scale: { domain, zero: false, nice: false },
  } as const;
  // LYNX's families first (the strongest colours), then the controls, the peers and the oracle.
  const rank: Record<MethodRole, number> = { lynx: 0, control: 1, peer: 2, reference: 3 };
  const families = [...new Map(points.map((p) => [p.family, p.role])).entries()]
    .sort(([a, ra], [b, rb]) => rank[ra] - rank[rb] || a.localeCompare(b))
    .map(([f]) => f);
  const color = {
    field: 'family',
    type: 'nominal',
    title: 'family',
    scale: { domain: families, scheme: 'category10' },
    legend: { orient: 'right', labelLimit: 240, symbolOpacity: 1 },
  } as const;
  const tooltip = [
    { field: 'label', type: 'nominal', title: 'setting' },
    { field: 'family', type: 'nominal', title: 'family' },
    { field: 'accuracy', type: 'quantitative', title: 'accuracy', format: '.3f' },
    { field: 'lo', type: 'quantitative', title: '95% CI low', format: '.3f' },
    { field: 'hi', type: 'quantitative', title: '95% CI high', format: '.3f' },
    { field: 'tokens', type: 'quantitative', title: 'tokens', format: '.1f' },
    { field: 'saving', type: 'quantitative', title: 'saving vs vanilla', format: '.1%' },
  ];
  const values = points.map((p) => ({ ...p }));
  const only = (pareto: boolean) => ({ filter: { field: 'pareto', equal: pareto } });
  const layers: unknown[] = [];
  if (vanilla) {
    const rule = { type: 'rule', color: '#555', strokeDash: [5, 4], strokeWidth: 1.2 } as const;
    const ref = [{ ...vanilla, what: 'vanilla' }];
    layers.push(
      {
        name: 'vanillaAccuracy',
        data: { values: ref },
        mark: rule,
        encoding: {
          y: { field: 'accuracy', type: 'quantitative' },
          tooltip: [{ field: 'what' }, { field: 'accuracy', format: '.3f' }],
        },
      },
      {
        name: 'vanillaTokens',
        data: { values: ref },
        mark: rule,
        encoding: {
          x: { field: 'tokens', type: 'quantitative' },
          tooltip: [{ field: 'what' }, { field: 'tokens', format: '.1f' }],
        },
      },
    );
  }
  layers.push(
    {
      data: { values },
      mark: { type: 'rule', clip: true },
      encoding: {
        x,
        y: { field: 'lo', type: 'quantitative' },
        y2: { field: 'hi' },
        color,
        opacity: { condition: { test: 'datum.pareto', value: 0.55 }, value: 0.15 },
      },
    },
    {
      name: 'frontierLine',
      data: { values },
      transform: [only(true)],
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x, y, color, detail: { field: 'family' }, order: { field: 'tokens' } },
    },
    {
      name: 'dominated',
      data: { values },
      transform: [only(false)],
      mark: { type: 'point', filled: true, size: 45, opacity: 0.3, clip: true },
      encoding: { x, y, color, tooltip },
    },
    {
      name: 'frontier',
      data: { values },
      transform: [only(true)],
      mark: { type: 'point', filled: true, size: 70, opacity: 0.95, clip: true },
      encoding: { x, y, color, tooltip },
    },
    {
      name: 'chosen',
      data: { values },
      transform: [{ filter: { field: 'chosen', equal: true } }],
      mark: { type: 'point', filled: false, size: 260, strokeWidth: 1.5, color: '#111', clip: true },
      encoding: { x, y, tooltip },
    },
  );
  return { title, width: 460, height: 300, layer: layers } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG string (headless: no DOM, no canvas, no network). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
