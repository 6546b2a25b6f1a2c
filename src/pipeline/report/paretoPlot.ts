/**
 * The accuracy–tokens plot of one (dataset, temperature): a point per method setting with its
 * Wilson interval, settings of the same method joined by a line (LYNX over δ, DEER over
 * thresholds), rendered by Vega-Lite → Vega to an inline SVG string, offline.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { GroupSummary } from '../eval/summary.ts';

/** One plotted point. */
export interface ParetoPoint {
  method: string;
  label: string;
  tokens: number;
  accuracy: number;
  lo: number;
  hi: number;
}

/** The points of a set of summary groups (one per method setting). */
export function paretoPoints(groups: readonly GroupSummary[]): ParetoPoint[] {
  return groups.map((g) => ({
    method: g.method,
    label: g.label,
    tokens: g.tokens.decoded,
    accuracy: g.accuracy,
    lo: g.ci95[0],
    hi: g.ci95[1],
  }));
}

/** The Vega-Lite spec of the plot (no data URLs: the values are inline). */
export function paretoSpec(points: readonly ParetoPoint[], title: string): TopLevelSpec {
  const x = {
    field: 'tokens',
    type: 'quantitative',
    title: 'mean tokens decoded per problem (incl. probes)',
    scale: { zero: true },
  } as const;
  const color = { field: 'method', type: 'nominal', title: 'method' } as const;
  return {
    title,
    width: 460,
    height: 300,
    data: { values: points.map((p) => ({ ...p })) },
    layer: [
      {
        mark: { type: 'rule', opacity: 0.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', opacity: 0.6 },
        encoding: {
          x,
          y: { field: 'accuracy', type: 'quantitative' },
          color,
          detail: { field: 'method' },
          order: { field: 'tokens' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: {
          x,
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'accuracy (95% Wilson CI)',
            scale: { domain: [0, 1] },
          },
          color,
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10 },
        encoding: { x, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
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
