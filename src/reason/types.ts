/**
 * Types of the reasoning loop: the trace a run produces and the small interface every exit policy
 * (LYNX and its peers) implements. The loop (`runReasoning.ts`) owns decoding, cue detection, token
 * accounting and rollback; a policy only decides.
 */
import type { CueDetectorOptions, CueEvent } from '../cues/CueDetector.ts';
import type { Engine, SampleOptions, Session } from '../engine/types.ts';

/**
 * What a decoded token was for. `thinking`: inside the think block (the `</think>` the model emits
 * itself included); `probe`: any trial or forced answer a method decodes and then throws away;
 * `answer`: the reply after thinking ended.
 */
export type TokenRole = 'thinking' | 'probe' | 'answer';

/** One decoded token of a run. */
export interface TokenRecord {
  token: number;
  role: TokenRole;
  /**
   * False when the token is not part of the final sequence: every probe token (unless its answer was
   * reused as the final answer) and the cue token a cue exit rolls back.
   */
  kept: boolean;
}

/**
 * How thinking ended.
 * - `cue-exit`: a policy exited at a cue (the cue token is rolled back first, as LYNX does).
 * - `probe-exit`: a policy exited between cues (Dynasor's periodic probe).
 * - `budget`: a thinking-token budget ran out (fixedBudget, DEER's think_ratio budget).
 * - `no-thinking`: the thinking block was prefilled (NoThinking).
 * - `natural-end`: the model emitted `</think>` itself.
 * - `eos`: the model emitted an end-of-generation token while thinking.
 * - `max-tokens`: the run's token limit was reached while thinking (no answer is generated).
 * - `aborted`: the caller's AbortSignal fired while thinking.
 */
export type ExitReason =
  | 'cue-exit'
  | 'probe-exit'
  | 'budget'
  | 'no-thinking'
  | 'natural-end'
  | 'eos'
  | 'max-tokens'
  | 'aborted';

/**
 * How generation as a whole ended: an end-of-generation token, a stop condition (a forced answer's
 * closing `}` when asked to stop there), a token limit, or cancellation.
 */
export type FinishReason = 'eos' | 'stop' | 'length' | 'aborted';

/** A cue met while thinking, and what the policy made of it. */
export interface TraceCueEvent {
  /** Index of the cue's (last) token among the thinking tokens, 0-based = thinking tokens before it. */
  position: number;
  /** Lexicon word (lower case) and the text as generated. */
  cue: string;
  text: string;
  /** Whether the run exited here. */
  exit: boolean;
  /** LYNX: probe probability and conformal prediction set. */
  p?: number;
  set?: number[];
  /** Policy-specific numbers (DEER confidence, oracle correctness, entropy index, ...). */
  details?: Record<string, number | string | boolean>;
}

/** One trial / probe / forced answer a policy decoded (from the prefix at `position`). */
export interface TrialRecord {
  /** Thinking tokens in the prefix the trial continued (the cue token excluded at a cue). */
  position: number;
  /** The text appended before decoding (exit cue / probe suffix). */
  suffix: string;
  /** Decoded completion text (EOS excluded). */
  text: string;
  tokens: number;
  /** Mean max-token probability over the decoded tokens (greedy: of the chosen tokens). */
  meanMaxProb: number;
  /** False for tokens that are not charged to the method (the oracle's look-ahead). */
  charged: boolean;
  /** True when this trial's answer became the final answer. */
  reused: boolean;
  ms: number;
}

/** Token counts of a run. */
export interface TokenCounts {
  /** Decoded thinking tokens, the rolled-back cue token included. */
  thinking: number;
  /** Decoded probe / trial tokens (charged or not, reused or not — see `freeProbe`, `answer`). */
  probe: number;
  /** Decoded answer tokens (a reused trial's tokens count here, not under `probe`). */
  answer: number;
  /** Every token the model decoded: thinking + probe + answer. */
  total: number;
  /** Thinking tokens kept in the final sequence (LYNX: tokens before the cue). */
  keptThinking: number;
  /** Tokens appended by the method without decoding (exit cue, NoThinking prefill, reused probe suffix). */
  exitCue: number;
  /** Probe tokens not charged to the method (the oracle's look-ahead forced exits). */
  freeProbe: number;
  /** LYNX's accounting: keptThinking + exitCue + answer. */
  used: number;
  /** `used` plus every charged probe token (PUMA's CRT-style cost of trial-answer methods). */
  charged: number;
}

/** Wall-clock split of a run, in milliseconds. */
export interface TraceTimings {
  /** Thinking and answer decoding, appends of exit cues included. */
  decodeMs: number;
  /** Probe scoring (LYNX: hidden states + probe + conformal decision; entropy bookkeeping). */
  scoringMs: number;
  /** Trial / forced answers decoded and rolled back (DEER, Dynasor, oracle). */
  trialMs: number;
  totalMs: number;
}

/** Everything one reasoning run did. */
export interface ReasoningTrace {
  policy: string;
  promptTokens: number;
  /** Every decoded token in order, with its role. */
  tokens: TokenRecord[];
  counts: TokenCounts;
  cueEvents: TraceCueEvent[];
  trials: TrialRecord[];
  exit: {
    reason: ExitReason;
    /** Kept thinking tokens when thinking ended. */
    position: number;
    /** Index in `cueEvents` of the cue that triggered the exit. */
    cueEvent?: number;
    /** The text appended to end thinking (exit cue or prefill), if any. */
    exitCue?: string;
  };
  finish: FinishReason;
  /** Kept thinking text (the model's own `</think>` included when it closed thinking itself). */
  thinkingText: string;
  /** The reply: exit cue text (if any) + the decoded answer. Grade this. */
  answerText: string;
  /** thinkingText + answerText. */
  text: string;
  timings: TraceTimings;
}

/** What a policy tells the loop after a token or a cue. */
export type PolicyDecision = { action: 'continue' } | ExitDecision;

/** Leave thinking now. */
export interface ExitDecision {
  action: 'exit';
  /** Default: 'cue-exit' from onCue, 'probe-exit' from onToken. */
  reason?: ExitReason;
  /** Text appended to end thinking. Default: the run's exit cue (LYNX's). */
  exitCue?: string;
  /**
   * 'forced' (default): greedy, at most the run's `answerMaxTokens` (LYNX's forced exit).
   * 'free': decoded with the run's sampling until EOS or the run's `maxTokens` (DEER's final answer).
   */
  answer?: 'forced' | 'free';
  /** Use this trial's answer as the final answer instead of decoding one (Dynasor, oracle). */
  reuse?: Trial;
}

/** The result of `PolicyContext.trial`. */
export interface Trial {
  readonly id: number;
  readonly suffix: string;
  readonly text: string;
  readonly tokens: readonly number[];
  readonly logprobs: readonly number[];
  readonly meanMaxProb: number;
  readonly stoppedBy: 'eos' | 'close' | 'max-tokens' | 'aborted';
}

/** Options of `PolicyContext.trial`. */
export interface TrialOptions {
  /** Text appended to the prefix before decoding. */
  suffix: string;
  maxTokens: number;
  /** Default greedy. */
  sample?: SampleOptions;
  /** Stop once the `{` opened by `\boxed{` is closed. */
  stopOnClose?: boolean;
  /** Default true; false for look-ahead that is not charged (oracle). */
  charged?: boolean;
}

/** The cue a policy is asked about. */
export type PolicyCue = Pick<CueEvent, 'cue' | 'text'> & { position: number };

/** What a policy can see and do while the loop is thinking. */
export interface PolicyContext {
  readonly engine: Engine;
  /** Read-only use (hidden, topLogprobs, entropy): append/rollback belong to the loop. */
  readonly session: Session;
  /** The run's sampling options. */
  readonly sample: SampleOptions;
  /** The run's limit on thinking + answer tokens (after clamping to the context). */
  readonly maxTokens: number;
  /** The run's exit cue and forced-answer settings (what a cue exit here would decode). */
  readonly exitCue: string;
  readonly answerMaxTokens: number;
  readonly answerStopOnClose: boolean;
  /** Kept thinking tokens so far, the current one included. */
  readonly thinkingTokens: number;
  /** The token just decoded. */
  readonly token: { id: number; piece: string; logprob: number };
  /**
   * Entropy (nats) of the distribution each thinking token was drawn from, in order; filled only
   * when the policy sets `needsEntropy`.
   */
  readonly entropies: readonly number[];
  /** Kept thinking text so far. */
  thinkingText(): string;
  /** Hidden states of the current token (at a cue: the cue token), one array per layer; timed as scoring. */
  hidden(layers: number[]): Promise<Float32Array[]>;
  /**
   * Decodes a trial answer from the current prefix and rolls it back. At a cue the prefix ends
   * just before the cue token (as LYNX's forced exits and DEER's stop-at-"Wait" do). Tokens are
   * counted as probe tokens and timed as trial time.
   */
  trial(opts: TrialOptions): Promise<Trial>;
  /** Runs `fn` and counts its time as probe-scoring time. */
  score<T>(fn: () => T): T;
}

/** Settings a policy prefers; the caller's explicit run options win. */
export interface PolicyDefaults {
  exitCue?: string;
  cues?: CueDetectorOptions;
}

/**
 * An exit policy: immutable settings plus hooks. Per-run state (counters, answer histories) lives
 * in the object `init()` returns, which the loop passes back to every hook, so one policy object
 * can serve many runs, concurrently too. A policy without hooks never exits (vanilla).
 * The loop calls `onCue` for each cue a token completes (in order), then, unless one of them
 * exited, `onToken` (at every token, or at the policy's `tokenCheckpoint`s and after cues).
 */
export interface ExitPolicy<S = unknown> {
  readonly name: string;
  readonly defaults?: PolicyDefaults;
  /** Ask the loop to record the entropy of every thinking step (costs one pass over the vocabulary). */
  readonly needsEntropy?: boolean;
  /** Fresh state for one run. */
  init?(): S;
  /** Before the first token: text to prefill as the whole thinking block (NoThinking), or undefined. */
  prefill?(engine: Engine, promptText: string): string | undefined;
  onCue?(
    ctx: PolicyContext,
    cue: PolicyCue,
    record: TraceCueEvent,
    state: S,
  ): PolicyDecision | Promise<PolicyDecision>;
  onToken?(ctx: PolicyContext, state: S): PolicyDecision | Promise<PolicyDecision>;
  /**
   * The kept-thinking-token count at which `onToken` may next exit (Infinity: never). The loop
   * then decodes up to it in one `generate` (one request on a remote engine) and calls `onToken`
   * there, and also after cues. Absent on a policy with `onToken`: every token is a checkpoint.
   */
  tokenCheckpoint?(ctx: PolicyContext, state: S): number;
}

/** A token the loop streams: decoded (with its logprob) or, for a reused trial answer, re-sent. */
export interface TokenEvent {
  token: number;
  piece: string;
  role: TokenRole;
  kept: boolean;
  /** log-probability under the untempered distribution it was drawn from. */
  logprob: number;
  /** The most likely alternatives at its position (when `RunOptions.topLogprobs` asks). */
  top?: Array<[token: number, logprob: number]>;
}

/** Per-token streaming callback. */
export type TokenCallback = (event: TokenEvent) => void;

export const CONTINUE: PolicyDecision = Object.freeze({ action: 'continue' });
