/** One line of an eval's `results.jsonl`: a method's run on one problem, or the cue-label pass. */
import type {
  ExitReason,
  FinishReason,
  TokenCounts,
  TraceCueEvent,
  TraceTimings,
} from '../../reason/types.ts';
import type { OptionValue } from './methodSpec.ts';

/** Row format version (bumped on incompatible changes; 2: rows name their slice). */
export const EVAL_ROW_VERSION = 2;

/** The label of the cue-label pass rows (never a method label: it has a reserved prefix). */
export const LABELS_ROW = '@labels';

/** A cue event as stored: the trace's cue event plus where it is in the thinking text. */
export interface RowCueEvent extends TraceCueEvent {
  /** Characters of the thinking text up to and including the cue token (see `EvalRow.thinkingText`). */
  char: number;
}

/** One result row. */
export interface EvalRow {
  v: number;
  /** 'run': a method's run; 'labels': a non-exiting rollout with a graded forced exit at every cue. */
  kind: 'run' | 'labels';
  /** Policy name (`lynx`, `vanilla`, ...; `labels` for the label pass). */
  method: string;
  /** Unique method label (`lynx:delta=0.1`), `@labels` for the label pass. */
  label: string;
  options: Record<string, OptionValue>;
  dataset: string;
  /** Which problems of the data set: `dev` (tuning), `test` (reporting), another slice, or `all`. */
  slice: string;
  problemId: string;
  temperature: number;
  /** The run's seed (as given) and the sampling seed derived from it (shared by every method). */
  seed: number;
  sampleSeed: number;
  correct: boolean;
  /** The extracted answer (null if none could be read) and the gold answer. */
  answer: string | null;
  gold: string;
  answerText: string;
  /**
   * The kept thinking text as the concatenated token pieces (char offsets refer to it). Methods
   * share the sampled prefix, so a shorter run's text is a prefix of a longer one's.
   */
  thinkingText: string;
  promptTokens: number;
  counts: TokenCounts;
  exit: {
    reason: ExitReason;
    position: number;
    /** Characters of thinking kept (= `thinkingText.length`). */
    char: number;
    cueEvent?: number;
  };
  finish: FinishReason;
  cueEvents: RowCueEvent[];
  /** Trial / probe answers decoded (DEER, Dynasor, oracle), and how many were charged. */
  trials: number;
  chargedTrials: number;
  /** Wall-clock split of the run (ms); `gradeMs` is the grading after it. */
  timings: TraceTimings & { gradeMs: number };
}

type InstanceFields = 'dataset' | 'slice' | 'problemId' | 'temperature' | 'seed';

/** The identity of a row: one (label, dataset, slice, problem, temperature, seed). */
export function rowKey(r: Pick<EvalRow, 'label' | InstanceFields>): string {
  return JSON.stringify([r.label, r.dataset, r.slice, r.problemId, r.temperature, r.seed]);
}

/** The identity of a problem instance (what methods are paired on). */
export function instanceKey(r: Pick<EvalRow, InstanceFields>): string {
  return JSON.stringify([r.dataset, r.slice, r.problemId, r.temperature, r.seed]);
}
