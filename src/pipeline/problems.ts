/** The problems a pipeline works on, from a benchmark task or a synthetic testbed task, with how to grade them. */
import type { AnswerKind } from '../answers/grade.ts';
import type { ChatMessage } from '../engine/types.ts';
import { buildPrompt, gradingKindOf, loadTask, type Problem, taskSpec } from '../tasks/index.ts';
import { isTestbedTask, loadTestbedTask, type TestbedSlice } from '../tasks/testbedTasks.ts';

/** One problem ready to prompt and grade. */
export interface WorkProblem {
  id: string;
  task: string;
  /** The chat to format with the model's template (LYNX's zst prompt: one user message). */
  messages: ChatMessage[];
  gold: string;
  kind: AnswerKind;
}

/** Which problems to load. */
export interface ProblemSelection {
  dataset: string;
  split?: string;
  /** LYNX's probe-training or calibration slice (math_train, testbed), or the dev / test half (benchmarks, testbed). */
  slice?: TestbedSlice | 'all';
  limit?: number;
  /** Seed of slice permutations (math_train), the dev / test partition, or problem generation (testbed). Default 42. */
  dataSeed?: number;
  dataDir?: string;
}

/** Loads the selected problems in a fixed order. */
export function loadProblems(sel: ProblemSelection): WorkProblem[] {
  const seed = sel.dataSeed ?? 42;
  if (isTestbedTask(sel.dataset)) {
    return loadTestbedTask(sel.dataset, { split: sel.split, slice: sel.slice, seed, limit: sel.limit }).map(
      (p) => ({
        id: p.id,
        task: p.task,
        messages: buildPrompt({ id: p.id, task: 'math_train', question: p.question, gold: p.gold }),
        gold: p.gold,
        kind: p.kind,
      }),
    );
  }
  const spec = taskSpec(sel.dataset);
  const problems = loadTask(spec.name, {
    split: sel.split,
    slice: sel.slice,
    seed,
    limit: sel.limit,
    dataDir: sel.dataDir,
  });
  return problems.map((p: Problem) => ({
    id: p.id,
    task: p.task,
    messages: buildPrompt(p),
    gold: p.gold,
    kind: gradingKindOf(p.task),
  }));
}
