/**
 * Which calibration events enter the conformal and Learn-then-Test calibrations, so that what is
 * calibrated is exchangeable with what is deployed on:
 *
 * - One rollout per problem. Rollouts of one problem share its difficulty; Learn-then-Test's
 *   binomial test treats its n trajectories as independent draws, so several rollouts of a problem
 *   would overstate n. A store with several rollouts per problem is subsampled with a seed.
 * - Per-event calibration, `pooled` (LYNX's): every cue event of those rollouts. Events of one
 *   rollout are correlated, so the per-event bound is only approximate (slightly optimistic with
 *   few long rollouts). `one-per-rollout`: one cue event per rollout, drawn with the seed: the
 *   calibration pairs are then independent, and the bound is exact for "a uniformly chosen cue of a
 *   fresh rollout", a rollout-weighted version of the per-event rate.
 */
import type { PerEventMode } from '../conformal/MondrianConformal.ts';
import { SeededRandom } from '../random/SeededRandom.ts';
import { type EventsData, problemKey, rolloutKey } from './events.ts';

/** The calibration rows chosen from a store. */
export interface CalibrationSample {
  /** Chosen rollouts, each as its event rows in cue order (rollouts without events are left out). */
  trajectories: number[][];
  /** Rows for the per-event calibration: every row of the trajectories, or one per trajectory. */
  perEventRows: number[];
  /** Problems in the store (from its rollouts, with or without events). */
  problems: number;
  /** Problems that had several rollouts, of which one was kept. */
  subsampledProblems: number;
  /** Rollouts in the store and rollouts kept (one per problem). */
  rollouts: number;
  keptRollouts: number;
  /** Kept rollouts without any cue event (they never exit: loss 0). */
  keptWithoutEvents: number;
}

/** Chooses one rollout per problem and the per-event rows, deterministically under `seed`. */
export function sampleCalibration(d: EventsData, mode: PerEventMode, seed: number): CalibrationSample {
  const rng = new SeededRandom(seed ^ 0x5eed_ca1b);
  const rowsByRollout = new Map<string, number[]>();
  d.events.forEach((e, i) => {
    const k = rolloutKey(e.task, e.problemId, e.rollout);
    let list = rowsByRollout.get(k);
    if (!list) rowsByRollout.set(k, (list = []));
    list.push(i);
  });
  const rolloutsByProblem = new Map<string, string[]>();
  const add = (problem: string, rollout: string) => {
    let list = rolloutsByProblem.get(problem);
    if (!list) rolloutsByProblem.set(problem, (list = []));
    if (!list.includes(rollout)) list.push(rollout);
  };
  for (const r of d.rollouts)
    add(problemKey(r.task, r.problemId), rolloutKey(r.task, r.problemId, r.rollout));
  // Stores written by hand or by older versions may hold events without done lines.
  for (const e of d.events) add(problemKey(e.task, e.problemId), rolloutKey(e.task, e.problemId, e.rollout));

  const trajectories: number[][] = [];
  const perEventRows: number[] = [];
  let subsampledProblems = 0;
  let keptWithoutEvents = 0;
  let rollouts = 0;
  for (const problem of [...rolloutsByProblem.keys()].sort()) {
    const list = (rolloutsByProblem.get(problem) ?? []).sort();
    rollouts += list.length;
    if (list.length > 1) subsampledProblems++;
    const kept = list.length === 1 ? list[0] : list[rng.int(list.length)];
    const rows = (rowsByRollout.get(kept) ?? []).sort((a, b) => d.events[a].cueIndex - d.events[b].cueIndex);
    if (rows.length === 0) {
      keptWithoutEvents++;
      continue;
    }
    trajectories.push(rows);
    if (mode === 'pooled') perEventRows.push(...rows);
    else perEventRows.push(rows[rng.int(rows.length)]);
  }
  return {
    trajectories,
    perEventRows,
    problems: rolloutsByProblem.size,
    subsampledProblems,
    rollouts,
    keptRollouts: rolloutsByProblem.size,
    keptWithoutEvents,
  };
}
