/** The task layer: benchmark problems, their loaders, prompts and data set downloads. */
export { lastBoxedContent } from './boxed.ts';
export { dataCacheDir, dataDirCandidates, defaultDataDir } from './dataDir.ts';
export { EVAL_PARTS, type EvalPart, evalPartOf, isEvalPart } from './devTest.ts';
export { downloadFile, importFile } from './download.ts';
export { MATH_SUBJECTS, type MathSubject } from './loaders/mathTrain.ts';
export { type MathSlice, type MathSliceOptions, selectMathSlice } from './mathSlices.ts';
export { buildPrompt, MATH_INSTRUCTION, multipleChoiceInstruction, userPrompt } from './prompts.ts';
export { type PulledFile, type PullOptions, pullSet, sha256File } from './pull.ts';
export {
  type LoadTaskOptions,
  loadTask,
  locateTaskFile,
  parseTaskFile,
  resolveSplit,
  TASKS,
  type TaskSpec,
  taskSpec,
} from './registry.ts';
export { DATA_SOURCES, type DataSource, type SourceFile } from './sources.ts';
export {
  type Choice,
  GRADING_KIND,
  type GradingKind,
  gradingKindOf,
  isTaskName,
  type Problem,
  TASK_NAMES,
  type TaskName,
} from './types.ts';
