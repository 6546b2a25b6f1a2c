import { describe, expect, it } from 'vitest';
import {
  type CueEvent,
  TrajectoryCalibrator,
  trajectoryLoss,
} from '../../src/conformal/TrajectoryCalibrator.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Synthetic rollouts: 0–8 cues; the chance that a forced exit is correct rises along the trajectory
 * and with a per-trajectory ability; the probe score is a noisy function of the label and ability.
 */
function trajectories(r: SeededRandom, n: number): CueEvent[][] {
  const out: CueEvent[][] = [];
  for (let t = 0; t < n; t++) {
    const m = r.int(9);
    const ability = r.normal();
    const traj: CueEvent[] = [];
    for (let i = 0; i < m; i++) {
      const y = r.next() < sigmoid(-1.5 + 0.5 * i + ability) ? 1 : 0;
      traj.push({ p: sigmoid((y ? 1.2 : -1.2) + 0.4 * ability + r.normal()), y });
    }
    out.push(traj);
  }
  return out;
}

describe('TrajectoryCalibrator', () => {
  it('loss and exit counts on the grid equal a brute-force evaluation of the policy', () => {
    const r = new SeededRandom(5);
    const trajs = trajectories(r, 60).map((t) => t.map((e) => ({ ...e, p: Math.round(e.p * 20) / 20 }))); // ties
    const grid = [1.2, 1, 0.95, 0.7, 0.5, 0.45, 0.3, 0.1, 0];
    const cal = new TrajectoryCalibrator(trajs, { grid });
    grid.forEach((lambda, g) => {
      const losses = trajs.reduce((s, t) => s + trajectoryLoss(t, lambda), 0);
      const exits = trajs.filter((t) => t.some((e) => e.p >= lambda)).length;
      expect(cal.lossCounts[g]).toBe(losses);
      expect(cal.exitCounts[g]).toBe(exits);
    });
  });

  it('stops at the first failing λ (fixed sequence) and reports it', () => {
    // Trajectory A: wrong at p=0.9, then right at 0.95 → non-monotone risk in λ.
    const a: CueEvent[] = [
      { p: 0.9, y: 0 },
      { p: 0.95, y: 1 },
    ];
    const good: CueEvent[] = [{ p: 0.97, y: 1 }];
    const trajs = [...Array(20).fill(a), ...Array(80).fill(good)];
    const cal = new TrajectoryCalibrator(trajs, { grid: [1, 0.96, 0.92, 0.8] });
    const cert = cal.certify(0.1, 0.1);
    // λ=1 and 0.96: no wrong exits; 0.92: A exits at 0.95 (right); 0.8: A exits at 0.9 (wrong, 20%).
    expect(cert.lambda).toBe(0.92);
    expect(cert.tested).toBe(4);
    expect(cert.losses).toBe(0);
    expect(cert.exitRate).toBe(1);
  });

  it('certifies nothing (never exit) when the calibration set is too small', () => {
    const trajs = Array.from({ length: 10 }, () => [{ p: 0.99, y: 1 }]);
    // (1−0.05)^10 ≈ 0.6 > ε: even zero losses cannot certify α = 0.05.
    const cert = new TrajectoryCalibrator(trajs).certify(0.05, 0.1);
    expect(cert.certified).toBe(false);
    expect(cert.lambda).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects bad input', () => {
    expect(() => new TrajectoryCalibrator([])).toThrow(/empty/);
    expect(() => new TrajectoryCalibrator([[{ p: Number.NaN, y: 1 }]])).toThrow(/trajectory 0, cue 0/);
    expect(() => new TrajectoryCalibrator([[{ p: 0.5, y: 3 }]])).toThrow(/label 3/);
    expect(() => new TrajectoryCalibrator([[]], { grid: [0.5, 0.7] })).toThrow(/decreasing/);
    expect(() => new TrajectoryCalibrator([[]]).certify(1, 0.1)).toThrow(/alpha/);
  });

  it('P(true risk ≤ α) ≥ 1 − ε over 300 calibration draws, and the certified policy exits', () => {
    const r = new SeededRandom(77);
    // The population risk curve, from a large independent sample.
    const population = new TrajectoryCalibrator(trajectories(r, 60_000));
    const trueRisk = population.riskCurve();
    expect(trueRisk.at(-1)!.risk).toBeGreaterThan(0.3); // exiting at the first cue is often wrong
    const epsilon = 0.1;
    const splits = 300;
    const alphas = [0.05, 0.1, 0.2];
    const violations = alphas.map(() => 0);
    const exitRate = alphas.map(() => 0);
    const risk = alphas.map(() => 0);
    for (let s = 0; s < splits; s++) {
      const cal = new TrajectoryCalibrator(trajectories(r, 500));
      alphas.forEach((alpha, a) => {
        const cert = cal.certify(alpha, epsilon);
        const g = cert.certified ? population.grid.indexOf(cert.lambda) : -1;
        const rTrue = g < 0 ? 0 : trueRisk[g].risk;
        if (rTrue > alpha) violations[a]++;
        exitRate[a] += g < 0 ? 0 : trueRisk[g].exitRate;
        risk[a] += rTrue;
      });
    }
    alphas.forEach((alpha, a) => {
      // Binomial tolerance on the violation frequency: 3·sqrt(ε(1−ε)/splits) ≈ 0.052.
      expect(violations[a] / splits).toBeLessThanOrEqual(
        epsilon + 3 * Math.sqrt((epsilon * (1 - epsilon)) / splits),
      );
      // Not vacuous: many trajectories exit, and the risk budget is mostly used.
      expect(exitRate[a] / splits).toBeGreaterThan(0.3);
      expect(risk[a] / splits).toBeGreaterThan(alpha / 2);
    });
  });
});
