/**
 * lynx-exit/pipeline: the offline jobs, each on an `Engine` you pass in — collect labelled cue events,
 * fit a bundle, evaluate methods, audit a bundle's guarantee, render the report.
 */
export {
  type AuditReport,
  auditEvents,
  clusteredRatio,
  type LevelAudit,
  type RatioEstimate,
} from './audit.ts';
export { type CalibrationSample, sampleCalibration } from './calibrationSample.ts';
export {
  type CollectOptions,
  type CollectProgress,
  type CollectSummary,
  collectEvents,
} from './collect.ts';
export {
  type EvalDataset,
  type EvalOptions,
  type EvalProgress,
  type EvalResult,
  type EvalSummary,
  formatSummaryTable,
  type MethodSpec,
  parseMethodSpecs,
  runEval,
} from './eval/index.ts';
export {
  type EventRecord,
  type EventsData,
  type EventsMeta,
  EventsWriter,
  type RolloutRecord,
  readEvents,
  readEventsMeta,
} from './events.ts';
export { engineFingerprint, loadBundleFor } from './fingerprint.ts';
export { type DeltaReport, type FitBundleOptions, type FitReport, fitBundle } from './fit.ts';
export { loadProblems, type ProblemSelection, type WorkProblem } from './problems.ts';
export { formatAuditTable, renderCalibrationSvg } from './report/auditReport.ts';
export { type ReportOptions, renderReport } from './report/renderReport.ts';
