/** Objective for L-BFGS: returns f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** History length. */
  memory?: number;
  maxIterations?: number;
  /** Stop when ‖∇f‖∞ ≤ gradTol · max(1, ‖∇f(x0)‖∞). */
  gradTol?: number;
  /** Also stop when an iteration lowers f by less than funcTol · max(1, |f|) (round-off floor). */
  funcTol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Minimizes a smooth function with limited-memory BFGS (two-loop recursion) and a backtracking
 * Armijo line search. Pairs with non-positive curvature are skipped, which keeps the direction a
 * descent direction for the convex objectives it is used on.
 */
export function minimizeLbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const m = opts.memory ?? 10;
  const maxIter = opts.maxIterations ?? 1000;
  const tol = opts.gradTol ?? 1e-9;
  const fTol = opts.funcTol ?? 1e-14;
  const d = x0.length;
  let x = x0.slice();
  let g = new Float64Array(d);
  let fx = f(x, g);
  const gTol = tol * Math.max(1, maxAbs(g));
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(d);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(d);
  let gNew = new Float64Array(d);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if (maxAbs(g) <= gTol) return { x, f: fx, iterations: iter, converged: true };
    // Two-loop recursion: dir = -H g.
    for (let i = 0; i < d; i++) dir[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], dir);
      const y = Y[j];
      for (let i = 0; i < d; i++) dir[i] -= alpha[j] * y[i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < d; i++) dir[i] *= gamma;
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Y[j], dir);
      const s = S[j];
      for (let i = 0; i < d; i++) dir[i] += (alpha[j] - beta) * s[i];
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }
    let t = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fNew = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < d; i++) xNew[i] = x[i] + t * dir[i];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) return { x, f: fx, iterations: iter, converged: maxAbs(g) <= gTol * 1e3 };
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const decrease = fx - fNew;
    fx = fNew;
    if (decrease <= fTol * Math.max(1, Math.abs(fx)))
      return { x, f: fx, iterations: iter + 1, converged: true };
  }
  return { x, f: fx, iterations: iter, converged: maxAbs(g) <= gTol };
}
