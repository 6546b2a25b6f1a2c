/** Turns a reasoning trace into an eval row: grading, answer extraction, char offsets of cues. */
import { extractAnswer, extractChoice } from '../../answers/extract.ts';
import { type AnswerKind, gradeAnswer, predictedMathAnswer } from '../../answers/grade.ts';
import type { Engine } from '../../engine/types.ts';
import type { ReasoningTrace } from '../../reason/types.ts';
import type { WorkProblem } from '../problems.ts';
import type { OptionValue } from './methodSpec.ts';
import { EVAL_ROW_VERSION, type EvalRow } from './row.ts';

/** The answer a reply gives, read the way its grading kind reads it (null if none). */
export function extractedAnswer(kind: AnswerKind, text: string): string | null {
  if (kind === 'mcq') return extractChoice(text);
  if (kind === 'math') return predictedMathAnswer(text);
  return extractAnswer(text);
}

/**
 * End offsets (in characters of the concatenated pieces) of every decoded thinking token, in order:
 * `ends[k]` = characters of thinking tokens 0..k. Pieces, not a re-detokenization, so offsets of a
 * prefix never change when more tokens follow.
 */
export function thinkingCharEnds(
  engine: Engine,
  trace: ReasoningTrace,
): { ends: number[]; pieces: string[] } {
  const pieces: string[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const r of trace.tokens) {
    if (r.role !== 'thinking') continue;
    const piece = engine.isEog(r.token) ? '' : engine.tokenPiece(r.token);
    pieces.push(piece);
    at += piece.length;
    ends.push(at);
  }
  return { ends, pieces };
}

/** What identifies the run a row records. */
export interface RowContext {
  kind: EvalRow['kind'];
  method: string;
  label: string;
  options: Record<string, OptionValue>;
  dataset: string;
  slice: string;
  problem: WorkProblem;
  temperature: number;
  seed: number;
  sampleSeed: number;
}

/** Grades a trace and builds its row. */
export function traceToRow(engine: Engine, trace: ReasoningTrace, c: RowContext): EvalRow {
  const t = performance.now();
  const correct = gradeAnswer(c.problem.kind, trace.answerText, c.problem.gold);
  const answer = extractedAnswer(c.problem.kind, trace.answerText);
  const gradeMs = performance.now() - t;
  const { ends, pieces } = thinkingCharEnds(engine, trace);
  const charsBefore = (k: number) => (k <= 0 ? 0 : ends[Math.min(k, ends.length) - 1]);
  const kept = trace.counts.keptThinking;
  return {
    v: EVAL_ROW_VERSION,
    kind: c.kind,
    method: c.method,
    label: c.label,
    options: c.options,
    dataset: c.dataset,
    slice: c.slice,
    problemId: c.problem.id,
    temperature: c.temperature,
    seed: c.seed,
    sampleSeed: c.sampleSeed,
    correct,
    answer,
    gold: c.problem.gold,
    answerText: trace.answerText,
    thinkingText: pieces.slice(0, kept).join(''),
    promptTokens: trace.promptTokens,
    counts: { ...trace.counts },
    exit: {
      reason: trace.exit.reason,
      position: trace.exit.position,
      char: charsBefore(kept),
      ...(trace.exit.cueEvent !== undefined ? { cueEvent: trace.exit.cueEvent } : {}),
    },
    finish: trace.finish,
    cueEvents: trace.cueEvents.map((e) => ({
      position: e.position,
      char: charsBefore(e.position + 1),
      cue: e.cue,
      text: e.text,
      exit: e.exit,
      ...(e.p !== undefined ? { p: e.p } : {}),
      ...(e.set !== undefined ? { set: [...e.set] } : {}),
      ...(e.details !== undefined ? { details: { ...e.details } } : {}),
    })),
    trials: trace.trials.length,
    chargedTrials: trace.trials.filter((x) => x.charged).length,
    timings: { ...trace.timings, gradeMs },
  };
}
