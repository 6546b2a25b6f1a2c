/**
 * lynx-exit: the method core, with no native dependency. Cue detection, the probe, conformal
 * calibration, answer grading, bundles, the engine contract, the reasoning loop and every exit
 * policy. Engines live in `lynx-exit/llamacpp`; collect / fit / eval / audit in `lynx-exit/pipeline`;
 * a scripted fake engine and test-model builders in `lynx-exit/testing`.
 */

export {
  ANSWER_KINDS,
  type AnswerKind,
  extractAnswer,
  gradeAime,
  gradeAnswer,
  gradeGsm8k,
  gradeMath,
  gradeMcq,
  lastBoxed,
  mathAnswersEquivalent,
} from './answers/index.ts';
export {
  Bundle,
  type BundleData,
  BundleSchema,
  type Decision,
  type DecisionLevel,
  describeFingerprint,
  type Fingerprint,
  fingerprintOf,
  loadBundle,
  parseBundle,
  sameModel,
  saveBundle,
} from './bundle/index.ts';
export {
  binomialCdf,
  type CueEvent as CalibrationEvent,
  checkLevel,
  conformalQuantile,
  conformalRank,
  defaultLambdaGrid,
  MondrianConformal,
  type PerClassQuantiles,
  type PredictionSet,
  predictionSet,
  shouldExit,
  TrajectoryCalibrator,
  type TrajectoryCertificate,
  trajectoryLoss,
} from './conformal/index.ts';
export { PER_EVENT_MODES, type PerEventMode } from './conformal/MondrianConformal.ts';
export {
  CueDetector,
  type CueDetectorOptions,
  type CueEvent,
  type CueMatchMode,
  DEFAULT_CUE_LEXICON,
  findCues,
} from './cues/index.ts';
export {
  CHAT_FORMAT_NAMES,
  type ChatFormatName,
  detectChatFormat,
  formatChat,
  stripThinking,
} from './engine/chatFormats.ts';
export { sampleToken, uniformAt } from './engine/sampler.ts';
export type {
  AppendOptions,
  ChatMessage,
  Engine,
  EngineInfo,
  Mark,
  OpenOptions,
  SampleOptions,
  Session,
  StepHint,
  StepResult,
} from './engine/types.ts';
export { UserError } from './errors.ts';
export {
  accuracy,
  auroc,
  LogisticRegressionProbe,
  type Matrix,
  MlpProbe,
  Probe,
  type ProbeJson,
  type ProbeOptions,
} from './probe/index.ts';
export { SeededRandom } from './random/SeededRandom.ts';
export {
  CONTINUE,
  DEER_EXIT_CUE,
  DEER_TRIAL_SUFFIX,
  DEFAULT_ANSWER_MAX_TOKENS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_SAMPLE,
  type DeerOptions,
  DYNASOR_PROBE_SUFFIX,
  type DynasorOptions,
  deerPolicy,
  dynasorPolicy,
  type EntropyOptions,
  type ExitDecision,
  type ExitPolicy,
  type ExitReason,
  entropyPolicy,
  type FinishReason,
  type ForcedExitOptions,
  type ForcedExitResult,
  fixedBudgetPolicy,
  forcedExit,
  LYNX_EXIT_CUE,
  type LynxBundleLike,
  type LynxLevel,
  type LynxOptions,
  lynxPolicy,
  makePolicy,
  NO_THINKING_TEXT,
  type NoThinkingOptions,
  noThinkingPolicy,
  type OracleOptions,
  oraclePolicy,
  POLICY_NAMES,
  type PolicyContext,
  type PolicyDecision,
  type PolicyName,
  type ReasoningInput,
  type ReasoningTrace,
  type RunOptions,
  runReasoning,
  type TokenCounts,
  type TokenEvent,
  type TokenRecord,
  type TraceCueEvent,
  type Trial,
  type TrialOptions,
  vanillaPolicy,
} from './reason/index.ts';
