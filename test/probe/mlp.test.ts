import { describe, expect, it } from 'vitest';
import { MlpProbe } from '../../src/probe/MlpProbe.ts';
import { auroc } from '../../src/probe/metrics.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { xorData } from './data.ts';

describe('MlpProbe', () => {
  it('learns a planted XOR problem (held-out AUROC ≥ 0.95) with noise dims', () => {
    const train = xorData(1500, 18, 1);
    const test = xorData(600, 18, 2);
    // Small net + log-loss early stopping: with accuracy, XOR's long plateau at 0.5 stops training early.
    const mlp = new MlpProbe({ hidden: [32, 16], seed: 3, validationScore: 'logLoss' }).fit(train.x, train.y);
    const p = mlp.predictProba(test.x);
    expect(auroc(p, test.y)).toBeGreaterThanOrEqual(0.95);
    // Early stopping actually stopped before max epochs and restored a best epoch.
    const info = mlp.fitInfo!;
    expect(info.epochs).toBeLessThan(500);
    expect(info.bestEpoch).toBeLessThanOrEqual(info.epochs);
    expect(info.validationRows).toBe(300);
  });

  it('a linear baseline cannot do XOR, confirming the problem is nonlinear', async () => {
    const { LogisticRegressionProbe } = await import('../../src/probe/LogisticRegressionProbe.ts');
    const train = xorData(1500, 18, 1);
    const test = xorData(600, 18, 2);
    const lr = new LogisticRegressionProbe().fit(train.x, train.y);
    expect(auroc(lr.predictProba(test.x), test.y)).toBeLessThan(0.65);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    const train = xorData(300, 6, 5);
    const opts = { hidden: [16, 8], maxEpochs: 20 };
    const a = new MlpProbe({ ...opts, seed: 9 }).fit(train.x, train.y);
    const b = new MlpProbe({ ...opts, seed: 9 }).fit(train.x, train.y);
    const c = new MlpProbe({ ...opts, seed: 10 }).fit(train.x, train.y);
    expect(a.weights.length).toBe(3);
    for (let l = 0; l < 3; l++)
      expect(Buffer.from(a.weights[l].buffer).equals(Buffer.from(b.weights[l].buffer))).toBe(true);
    expect(Buffer.from(a.weights[0].buffer).equals(Buffer.from(c.weights[0].buffer))).toBe(false);
  });

  it('beats chance on held-out data with a weak, imbalanced linear signal and default (256, 64)', () => {
    const r = new SeededRandom(21);
    const make = (n: number) => {
      const x: Float32Array[] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        const label = r.next() < 0.25 ? 1 : 0;
        const row = new Float32Array(40);
        for (let k = 0; k < 40; k++) row[k] = r.normal() + (k < 5 && label ? 0.6 : 0);
        x.push(row);
        y.push(label);
      }
      return { x, y };
    };
    const train = make(800);
    const test = make(800);
    const mlp = new MlpProbe({ seed: 1 }).fit(train.x, train.y);
    const p = mlp.predictProba(test.x);
    // Bayes AUROC here is Φ(0.6·√5/√2) ≈ 0.83; demand clearly-better-than-chance.
    expect(auroc(p, test.y)).toBeGreaterThan(0.7);
    // Class balancing: the positive class is not ignored at threshold 0.5.
    const predictedPos = Array.from(p).filter((v) => v >= 0.5).length;
    expect(predictedPos).toBeGreaterThan(100);
  });

  it('predictRow agrees with the batched forward pass', () => {
    const train = xorData(200, 3, 8);
    const mlp = new MlpProbe({ hidden: [8, 4], maxEpochs: 5, seed: 2 }).fit(train.x, train.y);
    const batch = mlp.predictProba(train.x);
    train.x.forEach((row, i) => {
      expect(mlp.predictRow(row)).toBeCloseTo(batch[i], 6);
    });
  });
});
