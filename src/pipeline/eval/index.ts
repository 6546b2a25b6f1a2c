/** `lynx-exit eval`: methods compared on the same problems and seeds, summary and report. */
export { definitionsMarkdown, SUMMARY_COLUMNS, type SummaryColumn, TUNING_TERMS } from './columns.ts';
export { DEV_SLICE, type EvalPart, planParts } from './evalPlan.ts';
export { cueLabelPolicy } from './labelsPolicy.ts';
export { type PolicyFactory, policyFactory, specNeedsReference } from './methodPolicies.ts';
export {
  checkMethodOptions,
  checkUniqueLabels,
  defaultFamily,
  type MethodSpec,
  methodLabel,
  methodOptionsHelp,
  type OptionValue,
  parseMethodSpecs,
} from './methodSpec.ts';
export { measureReferences, type ReferenceThinking } from './references.ts';
export { ResultsStore } from './resultsStore.ts';
export { EVAL_ROW_VERSION, type EvalRow, instanceKey, LABELS_ROW, type RowCueEvent, rowKey } from './row.ts';
export {
  type EvalDataset,
  type EvalOptions,
  type EvalProgress,
  type EvalResult,
  resolveDatasetName,
  runEval,
} from './runEval.ts';
export { evalSampleSeed } from './seeds.ts';
export { mean, median, quantile, sum, wilsonInterval, Z95 } from './stats.ts';
export {
  decodedTokens,
  type EvalContext,
  type EvalSummary,
  formatSummaryTable,
  type GroupSummary,
  METRIC_DEFINITIONS,
  summarizeEval,
} from './summary.ts';
export { extractedAnswer, thinkingCharEnds, traceToRow } from './traceRow.ts';
export {
  chooseSettings,
  DEFAULT_TOLERANCE,
  type FamilyChoice,
  type LynxMargin,
  lynxMargins,
  type MarginVs,
  type MethodRole,
  methodRole,
  paretoLabels,
  pickSetting,
  type SettingResult,
  type TuningSetup,
} from './tuning.ts';
export { formatTuning, marginText } from './tuningTable.ts';
