// The pure parts of the layer ablation: cutting a store's rows to some of its layers, the paper's
// layers on other depths, and the replay of LYNX's exits from stored forced exits (hand-computed).
import { describe, expect, it } from 'vitest';
import type { EventRecord, EventsData, RolloutRecord } from '../../src/pipeline/events.ts';
import { selectLayers } from '../../src/pipeline/featureLayers.ts';
import { pairedAurocBootstrap } from '../../src/pipeline/layerAblation/bootstrap.ts';
import { paperLayers } from '../../src/pipeline/layerAblation/runLayerAblation.ts';
import { replayLynx, replayOracle, replayRollouts, replayVanilla } from '../../src/pipeline/replay.ts';
import { syntheticMeta } from './syntheticEvents.ts';

/** A store of rollouts given as [tokens, correct, cues as (label, usedTokens)], features = row·10 + column. */
function store(
  rollouts: Array<[number, boolean, Array<[0 | 1, number]>]>,
  layers = [0, 1, -1],
  width = 2,
): EventsData {
  const events: EventRecord[] = [];
  const done: RolloutRecord[] = [];
  rollouts.forEach(([tokens, correct, cues], k) => {
    cues.forEach(([label, used], cueIndex) => {
      events.push({
        type: 'event',
        row: events.length,
        task: 't',
        problemId: `p${k}`,
        rollout: 0,
        cueIndex,
        position: used - 10,
        cue: 'wait',
        cueText: ' wait',
        synthetic: false,
        label,
        forcedAnswer: '',
        forcedTokens: 2,
        forcedStoppedBy: 'eos',
        usedTokens: used,
        gold: '4',
        rolloutTokens: tokens,
        rolloutThinkingTokens: tokens - 5,
      });
    });
    done.push({
      type: 'done',
      task: 't',
      problemId: `p${k}`,
      rollout: 0,
      seed: k,
      events: cues.length,
      tokens,
      thinkingTokens: tokens - 5,
      exitReason: 'model',
      finish: 'stop',
      answer: '',
      correct,
      gold: '4',
      jsonlOffset: 0,
      rows: events.length,
      f32Bytes: 0,
    });
  });
  const dim = layers.length * width;
  const X = Float32Array.from(
    { length: events.length * dim },
    (_, i) => Math.floor(i / dim) * 10 + (i % dim),
  );
  return {
    paths: { prefix: 'mem', meta: 'mem.meta.json', jsonl: 'mem.jsonl', f32: 'mem.f32' },
    meta: { ...syntheticMeta(dim, { layers }), format: 'lynx-exit.events', version: 1, createdAt: '' },
    events,
    rollouts: done,
    X,
    dim,
    y: Uint8Array.from(events, (e) => e.label),
    incompleteBytes: 0,
  };
}

describe('selectLayers', () => {
  it('keeps the blocks of the chosen layers, in the order asked for', () => {
    const d = store([
      [
        100,
        true,
        [
          [1, 30],
          [0, 50],
          [1, 70],
        ],
      ],
    ]);
    const s = selectLayers(d, [-1, 0]);
    expect(s.meta.layers).toEqual([-1, 0]);
    expect(s.dim).toBe(4);
    expect(s.meta.dim).toBe(4);
    // Row r of the store is r·10 + [0 1 | 2 3 | 4 5] for layers [0 | 1 | -1].
    expect([...s.X]).toEqual([4, 5, 0, 1, 14, 15, 10, 11, 24, 25, 20, 21]);
    expect(s.events).toBe(d.events);
    expect(() => selectLayers(d, [2])).toThrow(/holds layers 0,1,-1, not layer 2/);
    expect(() => selectLayers(d, [])).toThrow(/at least one/);
  });
});

describe('paperLayers', () => {
  it("scales the paper's 9 and 16 of 28 (HF numbering) to other depths, as engine indices plus the final norm", () => {
    expect(paperLayers(28)).toEqual([8, 15, -1]);
    expect(paperLayers(4)).toEqual([0, 1, -1]);
    expect(paperLayers(36)).toEqual([11, 20, -1]);
    // Too shallow for two distinct intermediate layers.
    expect(paperLayers(2)).toEqual([0, -1]);
  });
});

describe('replay of LYNX from stored forced exits', () => {
  // Rollout 0: 100 tokens, wrong on its own; cues: wrong exit at 30, right at 50.
  // Rollout 1: 200 tokens, right on its own; cues: right at 60, right at 90.
  // Rollout 2: 50 tokens, right, no cue.
  const d = store([
    [
      100,
      false,
      [
        [0, 30],
        [1, 50],
      ],
    ],
    [
      200,
      true,
      [
        [1, 60],
        [1, 90],
      ],
    ],
    [50, true, []],
  ]);

  it('vanilla and oracle', () => {
    const r = replayRollouts(d, [0, 0, 0, 0]);
    expect(replayVanilla(r)).toEqual({
      accuracy: 2 / 3,
      meanTokens: 350 / 3,
      saving: 0,
      exitRate: 0,
      wrongExitRate: 0,
    });
    // Oracle: rollout 0 exits at 50 (right), rollout 1 at 60, rollout 2 runs to the end.
    const o = replayOracle(r);
    expect(o.accuracy).toBe(1);
    expect(o.meanTokens).toBeCloseTo(160 / 3, 12);
    expect(o.saving).toBeCloseTo(1 - 160 / 350, 12);
  });

  it('exits at the first cue whose prediction set is {1} (p > q0 and 1 − p ≤ q1)', () => {
    // q0 = 0.5, q1 = 0.5: exit iff p > 0.5.
    const r = replayRollouts(d, [0.9, 0.2, 0.4, 0.8]);
    const out = replayLynx(r, { q0: 0.5, q1: 0.5 });
    // Rollout 0 exits at its first cue (wrong, 30 tokens); rollout 1 at its second (right, 90).
    expect(out.exitRate).toBeCloseTo(2 / 3, 12);
    expect(out.wrongExitRate).toBeCloseTo(1 / 3, 12);
    expect(out.accuracy).toBeCloseTo(2 / 3, 12);
    expect(out.meanTokens).toBeCloseTo((30 + 90 + 50) / 3, 12);
    // An infinite q0 never exits: vanilla.
    expect(replayLynx(r, { q0: Number.POSITIVE_INFINITY, q1: 1 })).toEqual(replayVanilla(r));
  });
});

describe('pairedAurocBootstrap', () => {
  it('gives the plain AUROC as the point estimate, zero difference for the base, and percentile intervals', () => {
    const y = [1, 0, 1, 0, 1, 0, 1, 1];
    const good = [0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.95];
    const bad = [0.4, 0.6, 0.5, 0.5, 0.3, 0.7, 0.6, 0.2];
    const clusters = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'];
    const r = pairedAurocBootstrap([bad, good], y, clusters, 0, 200, 1);
    expect(r.auroc[1].value).toBe(1);
    expect(r.diff[0]).toEqual({ value: 0, ci95: [0, 0] });
    expect(r.diff[1].value).toBeCloseTo(1 - r.auroc[0].value, 12);
    // A perfect probe stays perfect on every resample; the other one varies.
    expect(r.auroc[1].ci95).toEqual([1, 1]);
    expect(r.auroc[0].ci95[0]).toBeLessThan(r.auroc[0].ci95[1]);
    expect(r.diff[1].ci95).toEqual([1 - r.auroc[0].ci95[1], 1 - r.auroc[0].ci95[0]]);
  });
});
