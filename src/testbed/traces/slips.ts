/** Plausible wrong numbers for slips. */
import type { SeededRandom } from '../../random/SeededRandom.ts';

/** A wrong number near `right` (off by one or two, off by ten, or the last two digits swapped). */
export function numberSlip(right: number, rng: SeededRandom): number {
  for (;;) {
    const r = rng.next();
    let w: number;
    if (r < 0.5) w = right + (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(2));
    else if (r < 0.8) w = right + (rng.next() < 0.5 ? -10 : 10);
    else {
      const s = String(Math.abs(right));
      const swapped =
        s.length >= 2 ? Number(s.slice(0, -2) + s[s.length - 1] + s[s.length - 2]) : Math.abs(right) + 1;
      w = right < 0 ? -swapped : swapped;
    }
    // Non-negative unless the right value is negative itself (after an earlier missed slip).
    if (w !== right && (w >= 0 || right < 0)) return w;
  }
}
