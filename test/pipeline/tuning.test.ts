// The tuning protocol on synthetic rows whose numbers are known by construction: the frontier is
// the non-dominated set (checked against brute force on random settings), the selection rule picks
// on dev and reports on test, and LYNX's margins over the best control and the best peer follow
// from the token counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EvalRow } from '../../src/pipeline/eval/row.ts';
import { type GroupSummary, summarizeEval } from '../../src/pipeline/eval/summary.ts';
import { paretoLabels, pickSetting } from '../../src/pipeline/eval/tuning.ts';
import { formatTuning } from '../../src/pipeline/eval/tuningTable.ts';
import { SYNTHETIC_METHODS, syntheticEval, syntheticRow } from '../report/reportRows.ts';

/** Dev and test rows of the synthetic eval, plus a position control and the oracle; on dev, lynx δ 0.3 is never wrong. */
function rows(): EvalRow[] {
  const out: EvalRow[] = [];
  for (const slice of ['dev', 'test']) {
    for (const r of syntheticEval({ slice })) {
      if (r.temperature !== 0.6) continue;
      out.push(slice === 'dev' && r.label === 'lynx:delta=0.3' ? { ...r, correct: true, answer: r.gold } : r);
    }
    for (let i = 0; i < 3; i++) {
      const base = { problemId: `q${i}`, temperature: 0.6, seed: 1, slice, gold: '4', ms: 10 };
      out.push(
        syntheticRow({
          ...base,
          method: 'position',
          label: 'position:after=9',
          options: { after: 9 },
          stop: 9,
          correct: true,
        }),
      );
      out.push(syntheticRow({ ...base, method: 'oracle', label: 'oracle', stop: 5, correct: true }));
    }
  }
  return out;
}

const context = {
  model: 'toy',
  engine: 'test',
  datasets: ['toy'],
  methods: [...SYNTHETIC_METHODS, 'position:after=9', 'oracle'],
  temperatures: [0.6],
  seeds: [1],
  maxTokens: 100,
  tuning: { on: 'dev', reportedOn: ['test'], tolerance: 0.01 },
};

describe('choices', () => {
  const s = summarizeEval(rows(), context);

  it('each family is chosen on dev and reported on test, with both results', () => {
    const lynx = s.choices.find((c) => c.family === 'lynx δ')!;
    // On dev δ 0.3 keeps vanilla's accuracy with the fewest tokens; on test it loses q1, and says so.
    expect(lynx).toMatchObject({
      label: 'lynx:delta=0.3',
      chosenOn: 'dev',
      evaluatedOn: 'test',
      inSample: false,
    });
    expect(lynx.onChosen.accuracy).toBe(1);
    expect(lynx.evaluated?.accuracy).toBeCloseTo(2 / 3, 12);
    expect(lynx.evaluated?.accuracyDelta).toBeCloseTo(-1 / 3, 12);
    expect(s.choices.map((c) => c.family).sort()).toEqual(['deer', 'lynx δ', 'position']);
    expect(s.choices.every((c) => c.withinTolerance)).toBe(true);
  });

  it("margins: tokens and saving points over the best control and peer, as a share of the oracle's saving", () => {
    const [m] = s.margins;
    // Test slice, per run: vanilla 14 thinking + 4 answer = 18; LYNX δ 0.3 and the oracle stop at
    // cue 5 (6 + 4 = 10); position at cue 9 (10 + 4 = 14); DEER at cue 11 (12 + 6 probe + 4 = 22).
    expect(m).toMatchObject({ chosenOn: 'dev', evaluatedOn: 'test', inSample: false });
    expect(m.lynx.tokens).toBe(10);
    expect(m.oracleSaving).toBeCloseTo(1 - 10 / 18, 12);
    expect(m.overControl).toMatchObject({ family: 'position', tokens: 4 });
    expect(m.overControl?.savingPoints).toBeCloseTo(4 / 18, 12);
    expect(m.overControl?.shareOfOracle).toBeCloseTo(4 / 8, 12);
    expect(m.overPeer).toMatchObject({ family: 'deer', tokens: 12 });
    expect(m.overPeer?.shareOfOracle).toBeCloseTo(12 / 8, 12);
    const text = formatTuning(s);
    expect(text).toContain(
      'margin: toy T=0.6, chosen on dev, reported on test: LYNX (lynx δ: lynx:delta=0.3)',
    );
    expect(text).toContain("= 50% of the oracle's saving");
  });

  it('nothing is chosen without vanilla on the tuning slice', () => {
    const noDevVanilla = rows().filter((r) => !(r.slice === 'dev' && r.label === 'vanilla'));
    expect(summarizeEval(noDevVanilla, context).choices).toEqual([]);
  });
});

/** A group with only what the frontier and the rule read. */
function group(label: string, family: string, tokens: number, accuracy: number, delta = 0): GroupSummary {
  return {
    label,
    family,
    method: family === 'vanilla' ? 'vanilla' : 'deer',
    options: {},
    dataset: 'd',
    slice: 'test',
    temperature: 0.6,
    accuracy,
    tokens: { decoded: tokens },
    savingsVsVanilla: { accuracyDelta: delta },
  } as unknown as GroupSummary;
}

describe('frontier and rule on random settings', () => {
  const settings = fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 10 })), {
    minLength: 1,
    maxLength: 12,
  });

  it('the frontier is exactly the settings no other setting beats on both counts', () => {
    fc.assert(
      fc.property(settings, (xs) => {
        const gs = xs.map(([t, a], i) => group(`s${i}`, 'f', t, a / 10));
        const front = paretoLabels(gs);
        for (const g of gs) {
          const beaten = gs.some(
            (h) =>
              h.tokens.decoded <= g.tokens.decoded &&
              h.accuracy >= g.accuracy &&
              (h.tokens.decoded < g.tokens.decoded || h.accuracy > g.accuracy),
          );
          expect(front.has(JSON.stringify([JSON.stringify(['d', 'test', 0.6]), g.label]))).toBe(!beaten);
        }
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('the pick is the fewest tokens within the tolerance, else the most accurate', () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 0, max: 10 }), (xs, v) => {
        const vanilla = group('vanilla', 'vanilla', 30, v / 10);
        const gs = xs.map(([t, a], i) => group(`s${i}`, 'f', t, a / 10, (a - v) / 10));
        const { group: pick, withinTolerance } = pickSetting(gs, vanilla, 0.1);
        const keeps = gs.filter((g) => g.accuracy >= vanilla.accuracy - 0.1 - 1e-9);
        expect(withinTolerance).toBe(keeps.length > 0);
        if (keeps.length > 0) {
          expect(pick.tokens.decoded).toBe(Math.min(...keeps.map((g) => g.tokens.decoded)));
          expect(keeps).toContain(pick);
        } else expect(pick.accuracy).toBe(Math.max(...gs.map((g) => g.accuracy)));
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
