import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { Probe } from '../../src/probe/Probe.ts';
import { StandardScaler } from '../../src/probe/StandardScaler.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { xorData } from './data.ts';

function linearData(n: number, d: number, seed: number) {
  const r = new SeededRandom(seed);
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r.next() < 0.4 ? 1 : 0;
    // Unequal scales and offsets, so the scaler matters.
    x.push(
      Float32Array.from(
        { length: d },
        (_, k) => 100 + (k + 1) * 10 * r.normal() + (k === 0 && label ? 15 : 0),
      ),
    );
    y.push(label);
  }
  return { x, y };
}

describe('StandardScaler', () => {
  it('standardizes columns to mean 0 / std 1 and leaves constant columns unscaled', () => {
    const rows = [
      [1, 5, 2],
      [3, 5, 4],
      [8, 5, 9],
    ].map((r) => Float32Array.from(r));
    const data = new Float32Array(9);
    rows.forEach((r, i) => {
      data.set(r, i * 3);
    });
    const s = StandardScaler.fit({ data, rows: 3, cols: 3 });
    expect(s.mean[0]).toBeCloseTo(4, 12);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt((9 + 1 + 16) / 3), 12);
    expect(s.scale[1]).toBe(1);
    const t = s.transformRow(rows[2]);
    expect(t[0]).toBeCloseTo(4 / Math.sqrt(26 / 3), 6);
    expect(t[1]).toBe(0);
  });
});

describe('Probe', () => {
  for (const kind of ['mlp', 'logistic'] as const) {
    it(`${kind}: JSON round trip is exact and batch = single-row predictions`, () => {
      const train = linearData(400, 6, 1);
      const test = linearData(50, 6, 2);
      const probe = Probe.fit(train.x, train.y, { kind, hidden: [16, 8], maxEpochs: 30, seed: 4 });
      const json = JSON.parse(JSON.stringify(probe.toJSON()));
      const again = Probe.fromJSON(json);
      expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(probe.toJSON()));
      const batch = probe.predictProbaBatch(test.x);
      test.x.forEach((row, i) => {
        expect(again.predictProba(row)).toBe(probe.predictProba(row));
        expect(probe.predictProba(row)).toBeCloseTo(batch[i], 6);
      });
      // The scaler is inside: raw features with big offsets still give a useful probe.
      const acc =
        test.x.filter((row, i) => (probe.predictProba(row) >= 0.5 ? 1 : 0) === test.y[i]).length / 50;
      expect(acc).toBeGreaterThan(0.7);
    });
  }

  it('does not mutate the caller rows', () => {
    const train = xorData(100, 2, 3);
    const before = train.x.map((r) => r.slice());
    Probe.fit(train.x, train.y, { kind: 'logistic' });
    train.x.forEach((r, i) => {
      expect(r).toEqual(before[i]);
    });
  });

  it('accepts a packed matrix (events.f32 layout)', () => {
    const train = linearData(200, 4, 5);
    const data = new Float32Array(200 * 4);
    train.x.forEach((r, i) => {
      data.set(r, i * 4);
    });
    const a = Probe.fit({ data, rows: 200, cols: 4 }, train.y, { kind: 'logistic' });
    const b = Probe.fit(train.x, train.y, { kind: 'logistic' });
    expect(a.predictProba(train.x[0])).toBe(b.predictProba(train.x[0]));
  });

  describe('bad input is a UserError that says what is wrong', () => {
    const ok = linearData(20, 3, 9);
    const cases: Array<[string, () => unknown, RegExp]> = [
      [
        'NaN names row and column',
        () => {
          const x = ok.x.map((r) => r.slice());
          x[7][2] = Number.NaN;
          return Probe.fit(x, ok.y, { kind: 'logistic' });
        },
        /row 7, column 2/,
      ],
      [
        'Inf names row and column',
        () => {
          const x = ok.x.map((r) => r.slice());
          x[3][0] = Number.POSITIVE_INFINITY;
          return Probe.fit(x, ok.y, { kind: 'logistic' });
        },
        /Infinity at row 3, column 0/,
      ],
      [
        'ragged rows',
        () => Probe.fit([...ok.x.slice(0, 5), new Float32Array(2)], ok.y.slice(0, 6)),
        /ragged.*row 5 has 2/,
      ],
      [
        'one-class labels',
        () =>
          Probe.fit(
            ok.x,
            ok.y.map(() => 1),
          ),
        /all 20 training labels are 1/,
      ],
      ['empty set', () => Probe.fit([], []), /empty/],
      [
        'labels not 0/1',
        () =>
          Probe.fit(
            ok.x,
            ok.y.map((v, i) => (i === 4 ? 2 : v)),
          ),
        /row 4 is 2/,
      ],
      ['label count mismatch', () => Probe.fit(ok.x, ok.y.slice(1)), /19 labels for 20/],
    ];
    for (const [name, f, re] of cases) {
      it(name, () => {
        expect(f).toThrow(UserError);
        expect(f).toThrow(re);
      });
    }

    it('wrong dimension or NaN at prediction time', () => {
      const probe = Probe.fit(ok.x, ok.y, { kind: 'logistic' });
      expect(() => probe.predictProba(new Float32Array(4))).toThrow(/expects 3 features, got a vector of 4/);
      expect(() => probe.predictProba(Float32Array.from([1, Number.NaN, 2]))).toThrow(/column 1/);
    });

    it('corrupt probe JSON', () => {
      const probe = Probe.fit(ok.x, ok.y, { kind: 'logistic' });
      const j = probe.toJSON();
      expect(() => Probe.fromJSON({ ...j, classifier: { ...j.classifier, kind: 'svm' } })).toThrow(UserError);
      const bad = structuredClone(j);
      bad.scaler.scale.base64 = bad.scaler.scale.base64.slice(0, 8);
      expect(() => Probe.fromJSON(bad)).toThrow(/scaler.scale/);
    });
  });
});
