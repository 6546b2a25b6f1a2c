/** The benchmark and training sets lynx-exit knows how to load. */
export const TASK_NAMES = [
  'gsm8k',
  'math500',
  'math_train',
  'aime24',
  'aime25',
  'amc23',
  'commonsenseqa',
] as const;

/** One of the known sets. */
export type TaskName = (typeof TASK_NAMES)[number];

/**
 * How an answer to a task is graded; `src/answers/grade.ts` implements `gradeAnswer(kind, text, gold)`.
 * gsm8k: a number; math: a LaTeX expression; aime: an integer 0–999; mcq: a choice letter.
 */
export type GradingKind = 'gsm8k' | 'math' | 'aime' | 'mcq';

/** One labelled choice of a multiple-choice question. */
export interface Choice {
  label: string;
  text: string;
}

/** One problem of a task, in a layout shared by every task. */
export interface Problem {
  /** Unique within its task (e.g. `test/12` for GSM8K, the `unique_id` for MATH). */
  id: string;
  task: TaskName;
  question: string;
  /** The gold answer as text: a number, a LaTeX expression or a choice letter. */
  gold: string;
  /** Present for multiple-choice tasks, in the file's order. */
  choices?: Choice[];
  /** Fields of the source row worth keeping (subject, level, solution, url, the raw answer...). */
  meta?: Record<string, unknown>;
}

/** True if `name` is one of the known tasks. */
export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

/** The grading kind of each task. AMC answers are arbitrary numbers (negative ones too), so they use `math`. */
export const GRADING_KIND: Readonly<Record<TaskName, GradingKind>> = {
  gsm8k: 'gsm8k',
  math500: 'math',
  math_train: 'math',
  aime24: 'aime',
  aime25: 'aime',
  amc23: 'math',
  commonsenseqa: 'mcq',
};

/** The grading kind for a task. */
export function gradingKindOf(task: TaskName): GradingKind {
  return GRADING_KIND[task];
}
