/** One cell of the eval summary: a method setting on one (dataset, slice, temperature). */
import type { OptionValue } from './specGrammar.ts';

/** Accuracy of one seed. */
export interface SeedAccuracy {
  seed: number;
  n: number;
  accuracy: number;
}

/** One (method, dataset, slice, temperature) cell. */
export interface GroupSummary {
  method: string;
  label: string;
  /** The settings it is tuned and drawn with (`defaultFamily`, or the spec's `family=`). */
  family: string;
  options: Record<string, OptionValue>;
  dataset: string;
  slice: string;
  temperature: number;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  /** Share of runs whose answer text holds a complete `\boxed{…}` (the format the prompt asks for). */
  boxed: number;
  bySeed: SeedAccuracy[];
  tokens: {
    decoded: number;
    total: number;
    used: number;
    charged: number;
    thinking: number;
    probe: number;
    answer: number;
  };
  wallMs: { mean: number; p50: number };
  exits: { early: number; reasons: Record<string, number> };
  savingsVsVanilla: null | {
    pairs: number;
    tokens: number;
    usedTokens: number;
    wallClock: number;
    accuracyDelta: number;
  };
  premature: {
    /** Runs whose instance has a label row. */
    labelledRuns: number;
    /** Label-0 cues met, exits taken at them, and the rate (null when no label-0 cue was met). */
    wrongCues: number;
    exitsAtWrongCues: number;
    rate: number | null;
    /** 95% interval of the rate, cluster-robust by problem (cues of a run, runs of a problem correlate). */
    rateCi95: [number, number] | null;
    /** Runs that exited at a label-0 cue, as a fraction of labelled runs (null if none), and its interval. */
    wrongExitRuns: number;
    wrongExitRate: number | null;
    wrongExitCi95: [number, number] | null;
    /** Cue events without a label (the label pass did not meet a cue at that position). */
    unlabelledCues: number;
  };
  /** True when no setting of its family beats it on both tokens and accuracy (same dataset, slice, T). */
  pareto: boolean;
}
