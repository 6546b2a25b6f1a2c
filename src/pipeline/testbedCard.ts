/**
 * Measures the properties the testbed model must have (issue 4): sampled full-trace accuracy,
 * cue events per trace, how early the first correct forced exit comes, and how often a forced exit
 * at a cue is wrong. Built on `collectEvents`, so the numbers come from the same code as probe data.
 */
import { rmSync } from 'node:fs';
import type { Engine } from '../engine/types.ts';
import { DEFAULT_SAMPLE } from '../reason/sampling.ts';
import { collectEvents } from './collect.ts';
import { readEvents } from './events.ts';
import { loadProblems } from './problems.ts';
import {
  type ReplayRollout,
  replayOracle,
  replayPositionRule,
  replayRollouts,
  replayVanilla,
} from './replay.ts';

/** The measured properties of one task (family). */
export interface TestbedCardRow {
  task: string;
  traces: number;
  /** Full-trace (vanilla) accuracy. */
  accuracy: number;
  /** Mean cue events per trace. */
  cuesPerTrace: number;
  /** Over correct traces with a correct forced exit: mean (position of the earliest one) / thinking tokens. */
  earliestCorrectExitFraction: number;
  /** Correct traces that have at least one cue with a correct forced exit. */
  correctTracesWithCorrectExit: number;
  /** Fraction of cue events whose forced exit is wrong. */
  wrongExitRate: number;
  meanThinkingTokens: number;
  meanTokens: number;
  /**
   * Offline, on these rollouts and their forced exits: the share of tokens the oracle (exit at the
   * first cue whose forced exit is right) saves against the whole rollouts, and the best share a
   * model-blind position rule (exit at the first cue at or after N thinking tokens) saves while
   * staying within one point of the rollouts' accuracy, with that N.
   */
  oracleSaving: number;
  positionSaving: number;
  positionAfter: number;
}

/** Options of `measureTestbed`. */
export interface TestbedCardOptions {
  tasks: string[];
  limit: number;
  temperature: number;
  seed: number;
  maxTokens: number;
  /** Scratch folder for the events stores (removed unless `keep`). */
  workDir: string;
  keep?: boolean;
  /** Rollouts decoded at once (batched; the store equals a serial run's). */
  parallel?: number;
  onProgress?: (task: string, done: number, total: number) => void;
}

/** Samples held-out problems of each task and measures the card's properties. */
export async function measureTestbed(engine: Engine, o: TestbedCardOptions): Promise<TestbedCardRow[]> {
  const rows: TestbedCardRow[] = [];
  for (const task of o.tasks) {
    const problems = loadProblems({ dataset: task, split: 'heldout', limit: o.limit, dataSeed: o.seed });
    const out = `${o.workDir}/${task}-t${o.temperature}-s${o.seed}`;
    rmSync(`${out}.jsonl`, { force: true });
    rmSync(`${out}.f32`, { force: true });
    rmSync(`${out}.meta.json`, { force: true });
    await collectEvents(engine, problems, {
      out,
      layers: [-1],
      samples: 1,
      temperature: o.temperature,
      topP: DEFAULT_SAMPLE.topP,
      seed: o.seed,
      maxTokens: o.maxTokens,
      exitMaxTokens: 16,
      parallel: o.parallel,
      settings: { dataset: task, split: 'heldout', purpose: 'testbed-card' },
      onRollout: (p) => o.onProgress?.(task, p.done, p.total),
    });
    const data = readEvents(out);
    rows.push(summarize(task, data.rollouts, data.events));
    if (!o.keep) for (const ext of ['jsonl', 'f32', 'meta.json']) rmSync(`${out}.${ext}`, { force: true });
  }
  return rows;
}

type Rollout = ReturnType<typeof readEvents>['rollouts'][number];
type Event = ReturnType<typeof readEvents>['events'][number];

/** Computes one card row from a task's rollouts and events. */
export function summarize(task: string, rollouts: Rollout[], events: Event[]): TestbedCardRow {
  const byRollout = new Map<string, Event[]>();
  for (const e of events) {
    const key = `${e.problemId}\u0000${e.rollout}`;
    byRollout.set(key, [...(byRollout.get(key) ?? []), e]);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const fractions: number[] = [];
  for (const r of rollouts) {
    if (!r.correct) continue;
    const evs = (byRollout.get(`${r.problemId}\u0000${r.rollout}`) ?? []).filter((e) => !e.synthetic);
    const first = evs.filter((e) => e.label === 1).sort((a, b) => a.position - b.position)[0];
    if (first && r.thinkingTokens > 0) fractions.push(first.position / r.thinkingTokens);
  }
  const real = events.filter((e) => !e.synthetic);
  // No probe scores: the card's exits are the oracle's and the position rule's, which read labels and positions.
  const replayed = replayRollouts({ rollouts, events }, new Float32Array(events.length));
  const position = bestPositionRule(replayed, Math.max(0, ...rollouts.map((r) => r.thinkingTokens)));
  return {
    task,
    traces: rollouts.length,
    accuracy: mean(rollouts.map((r) => (r.correct ? 1 : 0))),
    cuesPerTrace: real.length / Math.max(1, rollouts.length),
    earliestCorrectExitFraction: mean(fractions),
    correctTracesWithCorrectExit: fractions.length,
    wrongExitRate: mean(real.map((e) => (e.label === 0 ? 1 : 0))),
    meanThinkingTokens: mean(rollouts.map((r) => r.thinkingTokens)),
    meanTokens: mean(rollouts.map((r) => r.tokens)),
    oracleSaving: replayOracle(replayed).saving,
    positionSaving: position.saving,
    positionAfter: position.after,
  };
}

/** The position rule (first cue at or after N thinking tokens, N in steps of 8) that saves most within one point of full accuracy. */
function bestPositionRule(rollouts: readonly ReplayRollout[], longest: number) {
  const full = replayVanilla(rollouts).accuracy;
  let best = { saving: 0, after: Number.NaN };
  for (let after = 0; after <= longest; after += 8) {
    const r = replayPositionRule(rollouts, after);
    if (r.accuracy >= full - 0.01 && r.saving > best.saving) best = { saving: r.saving, after };
  }
  return best;
}
