/** Plausible wrong numbers for slips. */
import type { SeededRandom } from '../../random/SeededRandom.ts';

/** A wrong, non-negative number near `right`: off by one, off by ten, or two swapped digits. */
export function numberSlip(right: number, rng: SeededRandom): number {
  for (;;) {
    const r = rng.next();
    let w: number;
    if (r < 0.5) w = right + (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(2));
    else if (r < 0.8) w = right + (rng.next() < 0.5 ? -10 : 10);
    else {
      const s = String(right);
      w = s.length >= 2 ? Number(s.slice(0, -2) + s[s.length - 1] + s[s.length - 2]) : right + 1;
    }
    if (w !== right && w >= 0) return w;
  }
}
