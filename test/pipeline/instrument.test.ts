import { describe, expect, it } from 'vitest';
import { checkInstrument, formatInstrument, instrumentPassed } from '../../src/pipeline/eval/instrument.ts';
import type { EvalSummary, GroupSummary } from '../../src/pipeline/eval/summary.ts';

/** A summary cell with the fields the check reads. */
function cell(
  method: string,
  label: string,
  o: { saving?: number; accuracyDelta?: number; early?: number; boxed?: number; slice?: string } = {},
): GroupSummary {
  return {
    method,
    label,
    family: method,
    options: {},
    dataset: 'testbed-arith',
    slice: o.slice ?? 'test',
    temperature: 0.6,
    n: 100,
    correct: 80,
    accuracy: 0.8,
    ci95: [0.7, 0.9],
    boxed: o.boxed ?? 1,
    bySeed: [],
    tokens: { decoded: 100, total: 100, used: 100, charged: 100, thinking: 90, probe: 0, answer: 10 },
    wallMs: { mean: 1, p50: 1 },
    exits: { early: o.early ?? 0, reasons: {} },
    savingsVsVanilla:
      method === 'vanilla'
        ? null
        : {
            pairs: 100,
            tokens: o.saving ?? 0,
            usedTokens: 0,
            wallClock: 0,
            accuracyDelta: o.accuracyDelta ?? 0,
          },
    premature: {} as GroupSummary['premature'],
    pareto: true,
  };
}

const summaryOf = (groups: GroupSummary[]) => ({ groups, margins: [] }) as unknown as EvalSummary;

describe('checkInstrument', () => {
  const base = [
    cell('vanilla', 'vanilla'),
    cell('oracle', 'oracle', { saving: 0.5 }),
    cell('deer', 'deer:threshold=0.9', { early: 0.1 }),
    cell('deer', 'deer:threshold=0.8', { early: 0.4 }),
    cell('dynasor', 'dynasor', { early: 0.35 }),
    cell('no-thinking', 'no-thinking', { boxed: 0.95 }),
  ];

  it('takes the best position rule within the tolerance and compares it with the oracle', () => {
    const [row] = checkInstrument([
      summaryOf([
        ...base,
        cell('position', 'position:after=50', { saving: 0.45, accuracyDelta: -0.05 }),
        cell('position', 'position:after=150', { saving: 0.2, accuracyDelta: -0.005 }),
        cell('position', 'position:after=250', { saving: 0.05, accuracyDelta: 0 }),
        // dev settings are where choices are made, never the evidence
        cell('position', 'position:after=10', { saving: 0.6, accuracyDelta: 0, slice: 'dev' }),
      ]),
    ]);
    expect(row.position).toEqual({ label: 'position:after=150', saving: 0.2, shareOfOracle: 0.4 });
    expect(row.deerEarlyExits).toBe(0.4);
    expect(row.checks).toEqual({ oracle: true, position: true, deer: true, dynasor: true, noThinking: true });
    expect(instrumentPassed([row])).toBe(true);
    expect(formatInstrument([row])).toContain('position:after=150: 20.0% (40.0%) ✓');
  });

  it('keeps a setting at exactly the tolerance despite float sums, as the tuning rule does', () => {
    // 0.84 − 0.85 is −0.010000000000000009 in floating point: "1 point below" must still count.
    const delta = 0.84 - 0.85;
    expect(delta).toBeLessThan(-0.01);
    const [row] = checkInstrument([
      summaryOf([
        ...base,
        cell('position', 'position:after=50', { saving: 0.3, accuracyDelta: delta }),
        cell('position', 'position:after=150', { saving: 0.1, accuracyDelta: 0 }),
      ]),
    ]);
    expect(row.position?.label).toBe('position:after=50');
    expect(row.atVanillaAccuracy.control?.label).toBe('position:after=50');
  });

  it('fails a position rule that gets most of the oracle saving, a weak oracle and peers that never exit', () => {
    const [row] = checkInstrument([
      summaryOf([
        cell('vanilla', 'vanilla'),
        cell('oracle', 'oracle', { saving: 0.3 }),
        cell('position', 'position:after=96', { saving: 0.27, accuracyDelta: 0 }),
        cell('deer', 'deer', { early: 0 }),
        cell('no-thinking', 'no-thinking', { boxed: 0.2 }),
      ]),
    ]);
    expect(row.checks).toEqual({
      oracle: false,
      position: false,
      deer: false,
      dynasor: null,
      noThinking: false,
    });
    expect(instrumentPassed([row])).toBe(false);
  });

  it("reads LYNX's margins at vanilla accuracy off the frontiers: best setting within the tolerance per side", () => {
    const [row] = checkInstrument([
      summaryOf([
        ...base,
        cell('lynx', 'lynx:delta=0.3', { saving: 0.46, accuracyDelta: 0 }),
        cell('lynx', 'lynx:alpha=0.2', { saving: 0.6, accuracyDelta: -0.03 }),
        cell('position', 'position:after=65%', { saving: 0.3, accuracyDelta: -0.01 }),
        cell('fixed-budget', 'fixed-budget:budget=80%', { saving: 0.24, accuracyDelta: -0.015 }),
        cell('dynasor', 'dynasor:window=2', { saving: 0.36, accuracyDelta: -0.035 }),
        cell('deer', 'deer:threshold=0.95', { saving: 0.18, accuracyDelta: 0 }),
      ]),
    ]);
    expect(row.atVanillaAccuracy.lynx?.label).toBe('lynx:delta=0.3');
    expect(row.atVanillaAccuracy.control?.label).toBe('position:after=65%');
    expect(row.atVanillaAccuracy.peer?.label).toBe('deer:threshold=0.95');
    // (0.46 − 0.30) of the oracle's 0.5 saving
    expect(formatInstrument([row])).toContain('16.0 pt, 0 tok/run, 32.0% of oracle');
  });

  it('needs vanilla', () => {
    expect(() => checkInstrument([summaryOf([cell('oracle', 'oracle')])])).toThrow(/no vanilla run/);
  });
});
