/** The reasoning loop, forced exits and exit policies. */
export * from './braces.ts';
export * from './cueTexts.ts';
export { type ForcedExitOptions, type ForcedExitResult, forcedExit, meanProb } from './forcedExit.ts';
export { type DeerAggregate, type DeerOptions, deerConfidence, deerPolicy } from './policies/deer.ts';
export {
  DYNASOR_EFFORT,
  DYNASOR_UNCERTAIN_WORDS,
  type DynasorOptions,
  dynasorAnswer,
  dynasorPolicy,
} from './policies/dynasor.ts';
export { type EntropyOptions, entropyPolicy } from './policies/entropy.ts';
export { type AnswerMode, exitDecision, exitFields } from './policies/exitOptions.ts';
export {
  concatFeatures,
  type LynxBundleLike,
  type LynxDecision,
  type LynxLevel,
  type LynxOptions,
  lynxPolicy,
} from './policies/lynx.ts';
export { type OracleOptions, oraclePolicy } from './policies/oracle.ts';
export { describeOptions, type OptionHelp, parsePolicyOptions } from './policies/policyOptions.ts';
export {
  makePolicy,
  POLICY_NAMES,
  POLICY_OPTION_SCHEMAS,
  type PolicyEnv,
  type PolicyName,
  type PolicyOptionsByName,
} from './policies/registry.ts';
export {
  type FixedBudgetOptions,
  fixedBudgetPolicy,
  type NoThinkingOptions,
  noThinkingPolicy,
  type PositionOptions,
  positionPolicy,
  vanillaPolicy,
} from './policies/simple.ts';
export {
  isShare,
  needsReference,
  type RelativeTo,
  resolveTokens,
  tokenCount,
} from './policies/tokenCount.ts';
export {
  DEFAULT_ANSWER_MAX_TOKENS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_SAMPLE,
  type ReasoningInput,
  type RunOptions,
  runReasoning,
} from './runReasoning.ts';
export * from './types.ts';
