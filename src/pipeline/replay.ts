/**
 * LYNX's online exit replayed on an events store of full rollouts. Collect samples each rollout by
 * (seed, position), so the rollout a method sees up to a cue is the stored one, and the stored
 * forced exit at that cue is the exit LYNX would take there (cut before the cue, exit cue, greedy
 * answer): exiting at the first cue the probe passes costs that event's `usedTokens` and is right
 * iff its label is 1; a rollout where no cue passes keeps its own tokens and answer. That makes the
 * accuracy and tokens of many probes and levels computable from one collect, without decoding.
 */
import { shouldExit } from '../conformal/MondrianConformal.ts';
import { type EventsData, problemKey, rolloutKey } from './events.ts';

/** One rollout as the replay needs it: its own outcome and, in order, its cue events. */
export interface ReplayRollout {
  problem: string;
  tokens: number;
  correct: boolean;
  /** Probe score, label, LYNX's tokens on an exit there and thinking tokens before it, per cue (synthetic events left out). */
  cues: Array<{ p: number; y: number; used: number; position: number }>;
}

/** What a way of exiting gives over a set of rollouts. */
export interface ReplayOutcome {
  /** Share of rollouts answered correctly. */
  accuracy: number;
  /** Mean generated tokens per rollout (thinking + answer, or used tokens at the exit). */
  meanTokens: number;
  /** 1 − tokens used / tokens of the full rollouts. */
  saving: number;
  /** Share of rollouts that exited at a cue. */
  exitRate: number;
  /** Share of rollouts that exited at a cue whose forced answer was wrong. */
  wrongExitRate: number;
}

/** The rollouts of `d` with the probe score `p[i]` of each event row i. */
export function replayRollouts(
  d: Pick<EventsData, 'rollouts' | 'events'>,
  p: ArrayLike<number>,
): ReplayRollout[] {
  const byKey = new Map<string, ReplayRollout>();
  for (const r of d.rollouts)
    byKey.set(rolloutKey(r.task, r.problemId, r.rollout), {
      problem: problemKey(r.task, r.problemId),
      tokens: r.tokens,
      correct: r.correct,
      cues: [],
    });
  const order = d.events.map((_, i) => i).sort((a, b) => d.events[a].cueIndex - d.events[b].cueIndex);
  for (const i of order) {
    const e = d.events[i];
    // The online policy decides at cues only; a synthetic event has none.
    if (e.synthetic) continue;
    const k = rolloutKey(e.task, e.problemId, e.rollout);
    let r = byKey.get(k);
    // Events without their rollout's record (not from `readEvents`): totals from the event, outcome unknown.
    if (!r)
      byKey.set(
        k,
        (r = { problem: problemKey(e.task, e.problemId), tokens: e.rolloutTokens, correct: false, cues: [] }),
      );
    r.cues.push({ p: p[i], y: e.label, used: e.usedTokens, position: e.position });
  }
  return [...byKey.values()];
}

/** Replays "exit at cue `exitAt(r)`" (an index into `r.cues`, or −1 for no exit) over `rollouts`. */
export function replay(
  rollouts: readonly ReplayRollout[],
  exitAt: (r: ReplayRollout) => number,
): ReplayOutcome {
  let full = 0;
  let used = 0;
  let correct = 0;
  let exits = 0;
  let wrongExits = 0;
  for (const r of rollouts) {
    const j = exitAt(r);
    full += r.tokens;
    if (j < 0) {
      used += r.tokens;
      if (r.correct) correct++;
      continue;
    }
    const cue = r.cues[j];
    used += cue.used;
    exits++;
    if (cue.y === 1) correct++;
    else wrongExits++;
  }
  const n = Math.max(1, rollouts.length);
  return {
    accuracy: correct / n,
    meanTokens: used / n,
    saving: full > 0 ? 1 - used / full : 0,
    exitRate: exits / n,
    wrongExitRate: wrongExits / n,
  };
}

/** LYNX at per-cue level thresholds `q`: exit at the first cue whose prediction set is {1}. */
export function replayLynx(rollouts: readonly ReplayRollout[], q: { q1: number; q0: number }): ReplayOutcome {
  return replay(rollouts, (r) => r.cues.findIndex((c) => shouldExit(c.p, q)));
}

/** The rollouts as sampled (no exit). */
export function replayVanilla(rollouts: readonly ReplayRollout[]): ReplayOutcome {
  return replay(rollouts, () => -1);
}

/** The oracle: exit at the earliest cue whose forced answer is right (the ceiling of any cue-exit rule). */
export function replayOracle(rollouts: readonly ReplayRollout[]): ReplayOutcome {
  return replay(rollouts, (r) => r.cues.findIndex((c) => c.y === 1));
}

/** The model-blind position rule: exit at the first cue at or after `after` thinking tokens. */
export function replayPositionRule(rollouts: readonly ReplayRollout[], after: number): ReplayOutcome {
  return replay(rollouts, (r) => r.cues.findIndex((c) => c.position >= after));
}
