import { SeededRandom } from '../../src/random/SeededRandom.ts';

/** XOR in two informative dims (signs of x0·x1) plus Gaussian noise dims; a planted nonlinear problem. */
export function xorData(n: number, noiseDims: number, seed: number): { x: Float32Array[]; y: number[] } {
  const r = new SeededRandom(seed);
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float32Array(2 + noiseDims);
    const a = r.next() * 2 - 1;
    const b = r.next() * 2 - 1;
    row[0] = a;
    row[1] = b;
    for (let k = 2; k < row.length; k++) row[k] = r.normal();
    x.push(row);
    y.push(a * b > 0 ? 1 : 0);
  }
  return { x, y };
}
