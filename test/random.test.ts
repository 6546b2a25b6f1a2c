import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/random/SeededRandom.ts';

describe('SeededRandom', () => {
  it('is reproducible under a seed and differs across seeds', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new SeededRandom(7)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new SeededRandom(7)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new SeededRandom(8)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws uniforms with mean 1/2 and normals with unit variance (n = 20000, 5 SE tolerance)', () => {
    const r = new SeededRandom(1);
    const n = 20000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });
});
