// The calibration protocol under clustering, by simulation (seeded; tolerances stated per check).
// Problems differ in difficulty, so rollouts of one problem — and cues of one rollout — are
// correlated. Learn-then-Test on every rollout of 30 problems × 10 overstates its n and breaks
// P(risk > α) ≤ ε; one rollout per problem (what fit does) keeps it. Per event, one cue per rollout
// is exact for a uniformly chosen cue of a fresh rollout.
import { describe, expect, it } from 'vitest';
import { MondrianConformal, shouldExit } from '../../src/conformal/MondrianConformal.ts';
import { type CueEvent, TrajectoryCalibrator } from '../../src/conformal/TrajectoryCalibrator.ts';
import { sampleCalibration } from '../../src/pipeline/calibrationSample.ts';
import type { EventsData } from '../../src/pipeline/events.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * One rollout of a problem with difficulty d: 4 cues; the answer settles at cue s (later for hard
 * problems); label 1 from the settle cue on. The probe score follows the label, plus a problem-level
 * offset shared by all its rollouts (the probe is fooled the same way on every rollout of a problem).
 */
function rollout(rng: SeededRandom, d: { settle: number; offset: number }): CueEvent[] {
  const settle = d.settle + (rng.next() < 0.3 ? 1 : 0);
  return Array.from({ length: 4 }, (_, j) => {
    const y = j >= settle ? 1 : 0;
    return { p: sigmoid(2.2 * (y - 0.5) + d.offset + 0.5 * rng.normal()), y };
  });
}

function problem(rng: SeededRandom): { settle: number; offset: number } {
  return { settle: rng.int(4), offset: 1.4 * rng.normal() };
}

/** Events data in the shape sampleCalibration reads: several rollouts per problem. */
function asStore(problems: CueEvent[][][]): { d: EventsData; flat: CueEvent[] } {
  const events: EventsData['events'] = [];
  const rollouts: EventsData['rollouts'] = [];
  const flat: CueEvent[] = [];
  problems.forEach((rs, pi) => {
    rs.forEach((r, ri) => {
      rollouts.push({ task: 't', problemId: `p${pi}`, rollout: ri } as EventsData['rollouts'][number]);
      r.forEach((e, ci) => {
        events.push({
          task: 't',
          problemId: `p${pi}`,
          rollout: ri,
          cueIndex: ci,
          label: e.y,
        } as EventsData['events'][number]);
        flat.push(e);
      });
    });
  });
  return { d: { events, rollouts } as EventsData, flat };
}

describe('calibration with clustered events', () => {
  // The true risk of every grid λ, from 40 000 fresh problems with one rollout each.
  const population = (() => {
    const rng = new SeededRandom(99);
    return new TrajectoryCalibrator(Array.from({ length: 40_000 }, () => rollout(rng, problem(rng))));
  })();
  const trueRisk = (lambda: number) => {
    const g = population.grid.indexOf(lambda);
    return g < 0 ? 0 : population.lossCounts[g] / population.n;
  };

  it('Learn-then-Test: one rollout per problem keeps P(risk > alpha) <= epsilon; all rollouts do not', () => {
    const alpha = 0.2;
    const epsilon = 0.1;
    const sims = 600;
    const rng = new SeededRandom(2026);
    let violAll = 0;
    let violOne = 0;
    for (let s = 0; s < sims; s++) {
      const probs = Array.from({ length: 30 }, () => {
        const d = problem(rng);
        return Array.from({ length: 10 }, () => rollout(rng, d));
      });
      const { d, flat } = asStore(probs);
      const all = new TrajectoryCalibrator(probs.flat()).certify(alpha, epsilon);
      if (all.certified && trueRisk(all.lambda) > alpha) violAll++;
      const sample = sampleCalibration(d, 'pooled', s);
      expect(sample.trajectories).toHaveLength(30);
      const one = new TrajectoryCalibrator(
        sample.trajectories.map((rows) => rows.map((r) => flat[r])),
      ).certify(alpha, epsilon);
      if (one.certified && trueRisk(one.lambda) > alpha) violOne++;
    }
    const se = Math.sqrt((epsilon * (1 - epsilon)) / sims); // ≈ 0.012
    // Valid: at most ε + 3 SE. Invalid: the clustered version clearly exceeds ε (the simulation can tell).
    expect(violOne / sims).toBeLessThanOrEqual(epsilon + 3 * se);
    expect(violAll / sims).toBeGreaterThan(epsilon + 3 * se);
  });

  it('per event: one cue per rollout is exact for a uniformly chosen cue of a fresh rollout', () => {
    const delta = 0.1;
    const sims = 400;
    const rng = new SeededRandom(7);
    // P(exit | label 0) for a uniform cue of a fresh rollout, from a large fresh sample.
    const fresh = Array.from({ length: 20_000 }, () => rollout(rng, problem(rng)));
    const uniformCueRate = (q: { q0: number; q1: number }) => {
      let a = 0;
      let b = 0;
      for (const r of fresh)
        for (const e of r)
          if (e.y === 0) {
            b += 1 / r.length;
            if (shouldExit(e.p, q)) a += 1 / r.length;
          }
      return a / b;
    };
    let sum = 0;
    for (let s = 0; s < sims; s++) {
      const probs = Array.from({ length: 200 }, () => [rollout(rng, problem(rng))]);
      const { d, flat } = asStore(probs);
      const sample = sampleCalibration(d, 'one-per-rollout', s);
      expect(sample.perEventRows).toHaveLength(200);
      const m = new MondrianConformal(
        sample.perEventRows.map((r) => flat[r].p),
        sample.perEventRows.map((r) => flat[r].y),
      );
      sum += uniformCueRate(m.quantiles(delta));
    }
    // Marginal over calibration draws: mean realized rate ≤ δ, within 0.01 (Monte Carlo error ≈ 0.002).
    expect(sum / sims).toBeLessThanOrEqual(delta + 0.01);
  });
});
