import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { checkAcceptance, formatAcceptance } from '../../src/pipeline/eval/acceptance.ts';
import type { EvalSummary, GroupSummary } from '../../src/pipeline/eval/summary.ts';

/** A summary cell with only the fields the check reads set meaningfully. */
function group(over: Partial<GroupSummary> & Pick<GroupSummary, 'method' | 'label'>): GroupSummary {
  return {
    family: over.method,
    options: {},
    dataset: 'testbed-arith',
    slice: 'test',
    temperature: 0.6,
    n: 75,
    correct: 45,
    accuracy: 0.6,
    ci95: [0.5, 0.7],
    boxed: 1,
    bySeed: [],
    tokens: { decoded: 100, total: 100, used: 100, charged: 100, thinking: 90, probe: 0, answer: 10 },
    wallMs: { mean: 100, p50: 100 },
    exits: { early: 0, reasons: {} },
    savingsVsVanilla: null,
    premature: {
      labelledRuns: 75,
      wrongCues: 0,
      exitsAtWrongCues: 0,
      rate: null,
      rateCi95: null,
      wrongExitRuns: 0,
      wrongExitRate: null,
      wrongExitCi95: null,
      unlabelledCues: 0,
    },
    pareto: true,
    ...over,
  };
}

function lynx(
  delta: number,
  tokens: number,
  wallClock: number,
  accuracyDelta: number,
  rate: number,
  n = 100,
) {
  return group({
    method: 'lynx',
    label: `lynx:delta=${delta}`,
    options: { delta },
    savingsVsVanilla: { pairs: 75, tokens, usedTokens: tokens, wallClock, accuracyDelta },
    premature: {
      ...group({ method: 'x', label: 'x' }).premature,
      wrongCues: n,
      exitsAtWrongCues: rate * n,
      rate,
    },
  });
}

const summary = (groups: GroupSummary[]) => ({ groups }) as unknown as EvalSummary;

describe('checkAcceptance', () => {
  it('passes when some δ keeps accuracy with ≥ 40% saving, rates are within δ + 3 SE and wall-clock tracks tokens', () => {
    const r = checkAcceptance([
      summary([
        group({ method: 'vanilla', label: 'vanilla' }),
        lynx(0.1, 0.3, 0.28, 0, 0.1),
        lynx(0.3, 0.45, 0.43, -0.005, 0.3),
      ]),
    ]);
    expect(r.qualifying['0.6']).toEqual(['lynx:delta=0.3']);
    expect([r.savingMet, r.prematureMet, r.wallClockMet]).toEqual([true, true, true]);
    // δ + 3·sqrt(δ(1-δ)/n) with n = 100
    expect(r.rows[1].prematureBound).toBeCloseTo(0.3 + 3 * Math.sqrt(0.21 / 100), 12);
    expect(formatAcceptance(r)).toContain(
      '| 0.6 | lynx:delta=0.3 | 60.0% (60.0%) | 45.0% | 43.0% | 30.0% (100) | yes',
    );
  });

  it('fails each criterion on its own', () => {
    const v = group({ method: 'vanilla', label: 'vanilla' });
    const lostAccuracy = checkAcceptance([summary([v, lynx(0.3, 0.5, 0.5, -0.02, 0.2)])]);
    expect([lostAccuracy.savingMet, lostAccuracy.prematureMet, lostAccuracy.wallClockMet]).toEqual([
      false,
      true,
      true,
    ]);
    // 0.3 + 3·sqrt(0.21/100) = 0.4375: a rate of 0.45 is out
    const unsafe = checkAcceptance([summary([v, lynx(0.3, 0.5, 0.5, 0, 0.45)])]);
    expect([unsafe.savingMet, unsafe.prematureMet, unsafe.wallClockMet]).toEqual([true, false, true]);
    const slowClock = checkAcceptance([summary([v, lynx(0.3, 0.5, 0.44, 0, 0.2)])]);
    expect([slowClock.savingMet, slowClock.prematureMet, slowClock.wallClockMet]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('requires a qualifying δ at every temperature and refuses summaries without LYNX or vanilla', () => {
    const at = (t: number, g: GroupSummary) => ({ ...g, temperature: t });
    const v = group({ method: 'vanilla', label: 'vanilla' });
    const r = checkAcceptance([
      summary([at(0.6, v), at(0.6, lynx(0.3, 0.5, 0.5, 0, 0.2))]),
      summary([at(1, v), at(1, lynx(0.3, 0.3, 0.3, 0, 0.2))]),
    ]);
    expect(r.qualifying).toEqual({ '0.6': ['lynx:delta=0.3'], '1': [] });
    expect(r.savingMet).toBe(false);
    expect(() => checkAcceptance([summary([v])])).toThrow(/no LYNX/);
    expect(() => checkAcceptance([summary([lynx(0.3, 0.5, 0.5, 0, 0.2)])])).toThrow(/no vanilla/);
    // Input errors, not bugs: the script prints them as one line.
    expect(() => checkAcceptance([summary([v])])).toThrow(UserError);
  });
});
