/**
 * The calibration plot (realized premature-exit rate against its target, with 95% intervals, the
 * diagonal drawn: points on or under it keep the promise), shared by the audit page and the eval
 * report.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One plotted point: a target level and the rate realized at it. */
export interface CalibrationPoint {
  series: string;
  target: number;
  realized: number;
  lo: number;
  hi: number;
  /** What the point is (tooltip), e.g. the setting's label. */
  label?: string;
}

/** The Vega-Lite spec of the calibration plot. */
export function calibrationSpec(points: readonly CalibrationPoint[], title: string): TopLevelSpec {
  const top = Math.min(1, Math.max(0.1, ...points.map((p) => Math.max(p.hi, p.target))) * 1.1);
  const domain: number[] = [0, top];
  const x = {
    field: 'target',
    type: 'quantitative',
    title: 'target rate (δ or α)',
    scale: { domain },
  } as const;
  const y = {
    field: 'realized',
    type: 'quantitative',
    title: 'realized premature-exit rate (95% CI)',
    scale: { domain },
  } as const;
  const color = { field: 'series', type: 'nominal', title: 'rate', legend: { labelLimit: 320 } } as const;
  const values = points.map((p) => ({ ...p, label: p.label ?? p.series }));
  return {
    title,
    width: 380,
    height: 380,
    layer: [
      {
        data: {
          values: [
            { target: 0, realized: 0 },
            { target: top, realized: top },
          ],
        },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
        encoding: { x, y },
      },
      {
        data: { values },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        name: 'calibration',
        data: { values },
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x,
          y,
          color,
          shape: { field: 'series', type: 'nominal' },
          tooltip: [
            { field: 'label', type: 'nominal', title: 'setting' },
            { field: 'target', type: 'quantitative', title: 'target' },
            { field: 'realized', type: 'quantitative', title: 'realized', format: '.3f' },
            { field: 'lo', type: 'quantitative', title: '95% CI low', format: '.3f' },
            { field: 'hi', type: 'quantitative', title: '95% CI high', format: '.3f' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
