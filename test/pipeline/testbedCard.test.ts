// The testbed card's offline numbers on a store small enough to work out by hand.
import { describe, expect, it } from 'vitest';
import type { EventRecord, RolloutRecord } from '../../src/pipeline/events.ts';
import { summarize } from '../../src/pipeline/testbedCard.ts';

function rollout(problemId: string, tokens: number, thinkingTokens: number, correct: boolean): RolloutRecord {
  return {
    type: 'done',
    task: 'testbed-arith',
    problemId,
    rollout: 0,
    seed: 1,
    events: 0,
    tokens,
    thinkingTokens,
    exitReason: 'natural',
    finish: 'eos',
    answer: '',
    correct,
    gold: '1',
    jsonlOffset: 0,
    rows: 0,
    f32Bytes: 0,
  };
}

function event(
  problemId: string,
  cueIndex: number,
  position: number,
  label: 0 | 1,
  rolloutTokens: number,
  synthetic = false,
): EventRecord {
  return {
    type: 'event',
    row: 0,
    task: 'testbed-arith',
    problemId,
    rollout: 0,
    cueIndex,
    position,
    cue: synthetic ? '' : 'wait',
    cueText: synthetic ? '' : 'Wait',
    synthetic,
    label,
    forcedAnswer: '1}',
    forcedTokens: 2,
    forcedStoppedBy: 'stop',
    usedTokens: position + 10,
    gold: '1',
    rolloutTokens,
    rolloutThinkingTokens: rolloutTokens - 20,
  };
}

describe('testbed card', () => {
  // p0: wrong cue at 40, right at 100 and 150; p1: right at 60 and 200; p2 (a wrong trace): a wrong
  // cue at 30; p3: no cue, only a synthetic event (not a cue: no online rule can exit there).
  const rollouts = [
    rollout('p0', 200, 180, true),
    rollout('p1', 300, 280, true),
    rollout('p2', 100, 90, false),
    rollout('p3', 400, 380, true),
  ];
  const events = [
    event('p0', 0, 40, 0, 200),
    event('p0', 1, 100, 1, 200),
    event('p0', 2, 150, 1, 200),
    event('p1', 0, 60, 1, 300),
    event('p1', 1, 200, 1, 300),
    event('p2', 0, 30, 0, 100),
    event('p3', 0, 266, 1, 400, true),
  ];
  const row = summarize('testbed-arith', rollouts, events);

  it('counts cues, wrong exits and the earliest right exit over real cues', () => {
    expect(row.traces).toBe(4);
    expect(row.accuracy).toBe(0.75);
    expect(row.cuesPerTrace).toBe(6 / 4);
    expect(row.wrongExitRate).toBe(2 / 6);
    expect(row.correctTracesWithCorrectExit).toBe(2);
    expect(row.earliestCorrectExitFraction).toBeCloseTo((100 / 180 + 60 / 280) / 2, 12);
  });

  it("gives the oracle's saving and the best position rule within one point of the traces' accuracy", () => {
    // Oracle: 110 + 70 + 100 (p2 has no right cue) + 400 (p3's synthetic event is not a cue) of 1000.
    expect(row.oracleSaving).toBeCloseTo(1 - 680 / 1000, 12);
    // N ≤ 40 exits p0 at its wrong cue (accuracy 2/4); N in 41..60 exits p0 at 100 and p1 at 60 and
    // skips p2's cue, as the oracle does; N = 48 is the first multiple of 8 there.
    expect(row.positionAfter).toBe(48);
    expect(row.positionSaving).toBeCloseTo(1 - 680 / 1000, 12);
  });
});
