import { describe, expect, it } from 'vitest';
import { LogisticRegressionProbe } from '../../src/probe/LogisticRegressionProbe.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

/** Independent reference: Newton / IRLS on C·Σ wᵢ logloss + ½‖β‖² (intercept free), dense solve. */
function irls(x: number[][], y: number[], w: number[], C: number): number[] {
  const d = x[0].length;
  const p = d + 1;
  const theta = new Array(p).fill(0);
  for (let it = 0; it < 100; it++) {
    const g = new Array(p).fill(0);
    const H = Array.from({ length: p }, () => new Array(p).fill(0));
    for (let i = 0; i < x.length; i++) {
      const xi = [...x[i], 1];
      const z = xi.reduce((s, v, k) => s + v * theta[k], 0);
      const mu = 1 / (1 + Math.exp(-z));
      for (let a = 0; a < p; a++) {
        g[a] += C * w[i] * (mu - y[i]) * xi[a];
        for (let b = 0; b < p; b++) H[a][b] += C * w[i] * mu * (1 - mu) * xi[a] * xi[b];
      }
    }
    for (let a = 0; a < d; a++) {
      g[a] += theta[a];
      H[a][a] += 1;
    }
    // Solve H step = g by Gaussian elimination with partial pivoting.
    const A = H.map((row, i) => [...row, g[i]]);
    for (let c = 0; c < p; c++) {
      let piv = c;
      for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let r = c + 1; r < p; r++) {
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= p; k++) A[r][k] -= f * A[c][k];
      }
    }
    const step = new Array(p).fill(0);
    for (let r = p - 1; r >= 0; r--) {
      let s = A[r][p];
      for (let k = r + 1; k < p; k++) s -= A[r][k] * step[k];
      step[r] = s / A[r][r];
    }
    for (let a = 0; a < p; a++) theta[a] -= step[a];
    if (Math.max(...step.map(Math.abs)) < 1e-13) break;
  }
  return theta;
}

describe('LogisticRegressionProbe', () => {
  it('matches an IRLS solution to 1e-4 with class-balanced weights', () => {
    const r = new SeededRandom(11);
    const n = 200;
    const d = 5;
    const xs: number[][] = [];
    const y: number[] = [];
    const trueBeta = [1.5, -2, 0.5, 0, 1];
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: d }, (_, k) => r.normal() * (k + 1) * 0.7 + (k === 2 ? 3 : 0));
      const z = row.reduce((s, v, k) => s + v * trueBeta[k], -2.5);
      xs.push(row.map((v) => Math.fround(v)));
      y.push(r.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    }
    const n1 = y.reduce((a, b) => a + b, 0);
    expect(n1).toBeGreaterThan(20);
    expect(n - n1).toBeGreaterThan(20);
    const w = y.map((v) => (v ? n / (2 * n1) : n / (2 * (n - n1))));
    for (const C of [1, 0.05]) {
      const ref = irls(xs, y, w, C);
      const probe = new LogisticRegressionProbe({ C }).fit(
        xs.map((row) => Float32Array.from(row)),
        y,
      );
      expect(probe.fitInfo?.converged).toBe(true);
      for (let k = 0; k < d; k++) expect(Math.abs(probe.coef[k] - ref[k])).toBeLessThan(1e-4);
      expect(Math.abs(probe.intercept - ref[d])).toBeLessThan(1e-4);
    }
  });
});
