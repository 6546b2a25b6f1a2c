/**
 * The one reasoning loop used by `generate`, eval and the server: think → cue → policy → exit or
 * continue → answer. Engine-agnostic (only `engine/types.ts`), policy-agnostic (see `types.ts`).
 *
 * Exit accounting follows LYNX's official code: at a cue exit the sequence is cut just before the
 * cue token (`seq_ids[:abs_pos]`), so the loop rolls the already-decoded cue token back before
 * appending the exit cue, and "tokens used" = tokens before the cue + exit-cue tokens + answer
 * tokens (`counts.used`). The rolled-back cue token is still reported as a decoded thinking token
 * with `kept: false` (it did cost a decode step).
 */
import { CueDetector, type CueDetectorOptions, type CueEvent } from '../cues/CueDetector.ts';
import type { AppendOptions, ChatMessage, Engine, Mark, SampleOptions, Session } from '../engine/types.ts';
import { UserError } from '../errors.ts';
import { LYNX_EXIT_CUE, THINK_CLOSE } from './cueTexts.ts';
import { forcedExit, type TokenLogprobs } from './forcedExit.ts';
import { DEFAULT_SAMPLE } from './sampling.ts';
import { braceStopHints, thinkingStopHints } from './stopHints.ts';
import type {
  ExitDecision,
  ExitPolicy,
  ExitReason,
  FinishReason,
  PolicyContext,
  PolicyDecision,
  ReasoningTrace,
  TokenCallback,
  TokenRecord,
  TokenRole,
  TraceCueEvent,
  TraceTimings,
  Trial,
  TrialOptions,
  TrialRecord,
} from './types.ts';

/** The prompt: token ids, prompt text (special tokens parsed), or chat messages. */
export type ReasoningInput = readonly number[] | string | readonly ChatMessage[];

/** Options of `runReasoning`. */
export interface RunOptions {
  /** Thinking (and free answer) sampling. Default LYNX's eval setting: T 0.6, top-p 0.95, seed 0. */
  sample?: SampleOptions;
  /** Limit on kept thinking + answer tokens (LYNX `--max-new-tokens`). Default 12048; clamped to the context. */
  maxTokens?: number;
  /** Limit on a forced (exit-cue) answer (LYNX `--exit-max-new-tokens`). Default 64. */
  answerMaxTokens?: number;
  /** Stop a forced answer at the `}` closing the exit cue's `\boxed{`. Default false (LYNX does not). */
  answerStopOnClose?: boolean;
  /** Exit cue text. Default: the policy's preference, else LYNX's `</think> Final Answer: \boxed{`. */
  exitCue?: string;
  /** Cue detection. Default: the policy's preference, else LYNX's hmm/wait/alternatively substrings. */
  cues?: CueDetectorOptions;
  /** Cancels the run between tokens; the partial trace is returned with reason / finish 'aborted'. */
  signal?: AbortSignal;
  /** Streaming: called for every decoded token (probe tokens included, with their role). */
  onToken?: TokenCallback;
  /** Report this many most likely alternatives with every decoded token (OpenAI `top_logprobs`). */
  topLogprobs?: number;
}

export { DEFAULT_SAMPLE };
export const DEFAULT_MAX_TOKENS = 12048;
export const DEFAULT_ANSWER_MAX_TOKENS = 64;
const GREEDY: SampleOptions = Object.freeze({ temperature: 0 });
/** Context kept free beyond `maxTokens` for exit cues, forced answers and probes. */
const CONTEXT_RESERVE = 128;

/** Runs one reasoning episode under `policy` and returns its trace. The session is closed afterwards. */
export async function runReasoning(
  engine: Engine,
  input: ReasoningInput,
  policy: ExitPolicy,
  opts: RunOptions = {},
): Promise<ReasoningTrace> {
  const { prompt, text } = resolvePrompt(engine, input);
  const session = await engine.open(prompt, {
    entropy: policy.needsEntropy ?? false,
    topLogprobs: opts.topLogprobs ?? 0,
  });
  try {
    return await new ReasoningRun(engine, session, policy, session.length, text, opts).execute();
  } finally {
    await session.close();
  }
}

/** Text prompts go to the engine as text, so it adds BOS where the model wants one. */
function resolvePrompt(engine: Engine, input: ReasoningInput): { prompt: number[] | string; text: string } {
  if (typeof input === 'string') return { prompt: input, text: input };
  if (input.length > 0 && typeof input[0] === 'object') {
    const text = engine.formatChat(input as ChatMessage[]);
    return { prompt: text, text };
  }
  const tokens = [...(input as number[])];
  return { prompt: tokens, text: engine.detokenize(tokens) };
}

function finishOf(stoppedBy: Trial['stoppedBy']): FinishReason {
  return stoppedBy === 'max-tokens' ? 'length' : stoppedBy === 'close' ? 'stop' : stoppedBy;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UserError(`${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

/**
 * Marks kept before the most recent thinking tokens. A cue is handled at the token that completes it
 * (substring mode) or one token later (word mode), so a few suffice; engines' marks may hold a
 * hidden state and a distribution, so keeping one per token of a long trace would cost memory.
 */
const MARK_WINDOW = 8;

/** One run's state. Thinking token k is preceded in the session by `marks.get(k)`, for recent k. */
class ReasoningRun {
  private readonly sample: SampleOptions;
  private readonly maxTokens: number;
  private readonly answerMaxTokens: number;
  private readonly exitCue: string;
  private readonly cueOptions: CueDetectorOptions;
  private readonly signal?: AbortSignal;
  private readonly onTokenCb?: TokenCallback;
  private readonly topLogprobs: number;
  private readonly started = performance.now();
  private readonly timings: TraceTimings = { decodeMs: 0, scoringMs: 0, trialMs: 0, totalMs: 0 };

  private readonly records: TokenRecord[] = [];
  private readonly thinkingIds: number[] = [];
  private readonly thinkingRecords: TokenRecord[] = [];
  private readonly marks = new Map<number, Mark>();
  /** Thinking tokens currently held in the session (< thinkingIds.length while a cue's prefix is probed). */
  private held = 0;
  private thinkingPieces = '';
  private readonly answerIds: number[] = [];
  private answerPrefix = '';
  private readonly entropies: number[] = [];
  private readonly cueEvents: TraceCueEvent[] = [];
  private readonly trials: TrialRecord[] = [];
  private readonly trialRecords = new Map<
    number,
    { records: TokenRecord[]; suffixTokens: number; index: number }
  >();
  private exitCueTokens = 0;
  private exitInfo: ReasoningTrace['exit'] = { reason: 'max-tokens', position: 0 };
  private finish: FinishReason = 'length';
  private readonly freeRecords: TokenRecord[] = [];
  private readonly tokenCache = new Map<string, number[]>();
  private readonly thinkCloseId: number | undefined;
  private readonly answerStopOnClose: boolean;

  constructor(
    private readonly engine: Engine,
    private readonly session: Session,
    private readonly policy: ExitPolicy,
    private readonly promptTokens: number,
    private readonly promptText: string,
    opts: RunOptions,
  ) {
    this.sample = opts.sample ?? DEFAULT_SAMPLE;
    this.answerMaxTokens = positiveInt('answerMaxTokens', opts.answerMaxTokens ?? DEFAULT_ANSWER_MAX_TOKENS);
    const room = engine.info.contextSize - promptTokens - this.answerMaxTokens - CONTEXT_RESERVE;
    if (room <= 0) {
      throw new UserError(
        `The prompt (${promptTokens} tokens) leaves no room in the ${engine.info.contextSize}-token context ` +
          `of ${engine.info.modelId} for reasoning.`,
      );
    }
    this.maxTokens = Math.min(positiveInt('maxTokens', opts.maxTokens ?? DEFAULT_MAX_TOKENS), room);
    this.exitCue = opts.exitCue ?? policy.defaults?.exitCue ?? LYNX_EXIT_CUE;
    this.cueOptions = opts.cues ?? policy.defaults?.cues ?? {};
    this.signal = opts.signal;
    this.onTokenCb = opts.onToken;
    this.topLogprobs = opts.topLogprobs ?? 0;
    this.answerStopOnClose = opts.answerStopOnClose ?? false;
    const close = engine.tokenize(THINK_CLOSE, { special: true });
    this.thinkCloseId = close.length === 1 ? close[0] : undefined;
  }

  async execute(): Promise<ReasoningTrace> {
    const prefill = this.policy.prefill?.(this.engine, this.promptText);
    if (prefill !== undefined) {
      await this.appendExitText(prefill);
      this.exitInfo = { reason: 'no-thinking', position: 0, exitCue: prefill };
      this.answerPrefix = '';
      await this.decodeAnswer('free');
      return this.trace();
    }
    await this.think();
    return this.trace();
  }

  // ---------------------------------------------------------------- thinking

  private async think(): Promise<void> {
    const detector = new CueDetector(this.cueOptions);
    // Keep the hidden state of tokens that may complete a cue, where it is read.
    const keepHidden = (_token: number, piece: string) => detector.mayComplete(piece);
    // A remote engine ends its server-side decode where the loop will stop: at cues the policy
    // reads, and at the model's own end of thinking.
    const stopHints = () =>
      thinkingStopHints(this.engine, this.policy.onCue ? detector.words : [], this.thinkCloseId);
    const ctx = this.makeContext();
    const state = this.policy.init?.();
    const needsEntropy = this.policy.needsEntropy ?? false;
    for (;;) {
      if (this.signal?.aborted) return this.endThinking('aborted', 'aborted');
      if (this.thinkingIds.length >= this.maxTokens) return this.endThinking('max-tokens', 'length');
      const first = this.thinkingIds.length;
      this.marks.set(first, this.session.mark());
      let ended: 'eos' | 'close' | undefined;
      let events: CueEvent[] = [];
      const t = performance.now();
      const chunk = await this.session.generate({
        sample: this.sample,
        maxTokens: this.chunkLimit(ctx, state),
        keepHidden,
        stopHints,
        topLogprobs: this.topLogprobs,
        entropy: needsEntropy,
        signal: this.signal,
        onToken: (step) => {
          if (needsEntropy) this.entropies.push(step.entropy ?? Number.NaN);
          const index = this.thinkingIds.length;
          const record: TokenRecord = { token: step.token, role: 'thinking', kept: true };
          this.records.push(record);
          this.thinkingRecords.push(record);
          this.thinkingIds.push(step.token);
          this.held = this.thinkingIds.length;
          const info = { logprob: step.logprob, ...(step.top ? { top: step.top } : {}) };
          this.emit(step.token, step.isEog ? '' : step.piece, 'thinking', true, info);
          if (step.isEog) {
            ended = 'eos';
            return true;
          }
          this.thinkingPieces += step.piece;
          this.marks.set(index + 1, this.session.mark());
          this.marks.delete(index + 1 - MARK_WINDOW);
          ctx.token = { id: step.token, piece: step.piece, logprob: step.logprob };
          if (this.closesThinking(step.token)) {
            ended = 'close';
            return true;
          }
          const found = detector.push(step.piece);
          if (found.length === 0) return false;
          if (this.policy.onCue) {
            events = found;
            return true;
          }
          for (const ev of found)
            this.cueEvents.push({
              position: this.cuePosition(ev, index),
              cue: ev.cue,
              text: ev.text,
              exit: false,
            });
          return false;
        },
      });
      this.timings.decodeMs += performance.now() - t;
      if (ended === 'eos') return this.endThinking('eos', 'eos');
      if (ended === 'close') {
        this.exitInfo = { reason: 'natural-end', position: this.thinkingIds.length };
        return this.decodeAnswer('free');
      }
      if (chunk.tokens.length === 0) continue;

      let decision: PolicyDecision = { action: 'continue' };
      let exitCueIndex: number | undefined;
      let exitPosition = this.thinkingIds.length;
      const index = this.thinkingIds.length - 1;
      for (const ev of events) {
        const position = this.cuePosition(ev, index);
        const record: TraceCueEvent = { position, cue: ev.cue, text: ev.text, exit: false };
        this.cueEvents.push(record);
        if (!this.policy.onCue) continue;
        ctx.cuePosition = position;
        const cue = { cue: ev.cue, text: ev.text, position };
        decision = await this.policy.onCue(ctx, cue, record, state);
        ctx.cuePosition = undefined;
        if (decision.action === 'exit') {
          record.exit = true;
          exitCueIndex = this.cueEvents.length - 1;
          exitPosition = position;
          break;
        }
      }
      if (decision.action !== 'exit') {
        await this.restoreThinking();
        if (this.policy.onToken) decision = await this.policy.onToken(ctx, state);
      }
      if (decision.action === 'exit') {
        return this.exitThinking(decision, exitPosition, exitCueIndex);
      }
    }
  }

  /** A cue confirmed so late that its mark is gone is handled as if it ended at token `index`. */
  private cuePosition(ev: CueEvent, index: number): number {
    return this.marks.has(ev.tokenIndex) ? ev.tokenIndex : index;
  }

  /**
   * Tokens the next `generate` may run: to the run's limit, but only to the policy's next token
   * checkpoint when it watches tokens (one token at a time when it names none).
   */
  private chunkLimit(ctx: PolicyContext, state: unknown): number {
    const room = this.maxTokens - this.thinkingIds.length;
    if (!this.policy.onToken) return room;
    const next = this.policy.tokenCheckpoint?.(ctx, state);
    if (next === undefined) return 1;
    return Math.max(1, Math.min(room, next - this.thinkingIds.length));
  }

  private closesThinking(token: number): boolean {
    if (this.thinkCloseId !== undefined) return token === this.thinkCloseId;
    return this.thinkingPieces.endsWith(THINK_CLOSE);
  }

  private endThinking(reason: ExitReason, finish: FinishReason): void {
    this.exitInfo = { reason, position: this.thinkingIds.length };
    this.finish = finish;
  }

  /** Makes the session hold exactly thinking tokens [0, k) (`opts` for the re-appended ones). */
  private async holdThinking(k: number, opts: AppendOptions = {}): Promise<void> {
    if (k < this.held) {
      const mark = this.marks.get(k);
      if (!mark) throw new Error(`reasoning loop: no mark before thinking token ${k}`);
      await this.session.rollback(mark);
    } else if (k > this.held) {
      await this.session.append(this.thinkingIds.slice(this.held, k), opts);
    }
    this.held = k;
  }

  /** Re-appends thinking tokens a cue's probing rolled back (counted as trial time). */
  private async restoreThinking(): Promise<void> {
    if (this.held === this.thinkingIds.length) return;
    const t = performance.now();
    await this.holdThinking(this.thinkingIds.length);
    this.timings.trialMs += performance.now() - t;
  }

  private async exitThinking(
    decision: ExitDecision,
    position: number,
    cueIndex: number | undefined,
  ): Promise<void> {
    const atCue = cueIndex !== undefined;
    const t = performance.now();
    await this.holdThinking(position);
    this.timings.decodeMs += performance.now() - t;
    for (let k = position; k < this.thinkingRecords.length; k++) this.thinkingRecords[k].kept = false;
    this.thinkingIds.length = position;
    this.thinkingPieces = '';
    const reason = decision.reason ?? (atCue ? 'cue-exit' : 'probe-exit');
    if (decision.reuse) {
      this.reuseTrial(decision.reuse, reason, position, cueIndex);
      return;
    }
    const cue = decision.exitCue ?? this.exitCue;
    this.exitInfo = { reason, position, exitCue: cue, ...(atCue ? { cueEvent: cueIndex } : {}) };
    const mode = decision.answer ?? 'forced';
    await this.appendExitText(cue);
    this.answerPrefix = cue;
    await this.decodeAnswer(mode);
  }

  /** Makes a trial's decoded answer the final answer (its suffix counts as the exit cue). */
  private reuseTrial(trial: Trial, reason: ExitReason, position: number, cueIndex: number | undefined): void {
    const entry = this.trialRecords.get(trial.id);
    if (!entry) throw new Error(`reuse of an unknown trial ${trial.id}`);
    this.exitInfo = {
      reason,
      position,
      exitCue: trial.suffix,
      ...(cueIndex !== undefined ? { cueEvent: cueIndex } : {}),
    };
    this.exitCueTokens += entry.suffixTokens;
    this.trials[entry.index].reused = true;
    for (const r of entry.records) {
      r.role = 'answer';
      r.kept = true;
    }
    this.answerIds.push(...trial.tokens);
    this.answerPrefix = trial.suffix;
    // Streamed once more, now as the answer, so a streaming client sees the reply.
    trial.tokens.forEach((token, i) => {
      const piece = this.engine.isEog(token) ? '' : this.engine.tokenPiece(token);
      this.emit(token, piece, 'answer', true, { logprob: trial.logprobs[i] });
    });
    this.finish = finishOf(trial.stoppedBy);
  }

  // ---------------------------------------------------------------- answers

  private async appendExitText(text: string): Promise<void> {
    const tokens = this.tokensOf(text);
    const t = performance.now();
    if (tokens.length > 0) await this.session.append(tokens);
    this.timings.decodeMs += performance.now() - t;
    this.exitCueTokens += tokens.length;
  }

  /**
   * 'forced': greedy, ≤ answerMaxTokens, stop at EOS (and at the closing brace if asked).
   * 'free': the run's sampling until EOS or until kept thinking + answer reaches maxTokens.
   */
  private async decodeAnswer(mode: 'forced' | 'free'): Promise<void> {
    const forced = mode === 'forced';
    const limit = forced ? this.answerMaxTokens : Math.max(0, this.maxTokens - this.thinkingIds.length);
    const sample = this.answerSample(mode);
    const t = performance.now();
    const result = await forcedExit(this.session, {
      exitCueTokens: [],
      exitCueText: this.answerPrefix,
      maxTokens: limit,
      stopOnClose: forced && this.answerStopOnClose,
      stopHints: () => braceStopHints(this.engine),
      sample,
      rollback: false,
      signal: this.signal,
      topLogprobs: this.topLogprobs,
      onToken: (token, piece, info) => {
        this.records.push({ token, role: 'answer', kept: true });
        this.answerIds.push(token);
        this.emit(token, piece, 'answer', true, info);
      },
    });
    this.timings.decodeMs += performance.now() - t;
    this.finish = finishOf(result.stoppedBy);
  }

  /** Forced answers are greedy (LYNX's `generate_from_prefix`); free ones use the run's sampling. */
  private answerSample(mode: 'forced' | 'free'): SampleOptions {
    return mode === 'forced' ? GREEDY : this.sample;
  }

  // ---------------------------------------------------------------- policy context

  private makeContext(): PolicyContext & { token: PolicyContext['token']; cuePosition: number | undefined } {
    const run = this;
    const ctx = {
      engine: this.engine,
      session: this.session,
      sample: this.sample,
      maxTokens: this.maxTokens,
      exitCue: this.exitCue,
      answerMaxTokens: this.answerMaxTokens,
      answerStopOnClose: this.answerStopOnClose,
      token: { id: -1, piece: '', logprob: 0 },
      cuePosition: undefined as number | undefined,
      get thinkingTokens() {
        return run.thinkingIds.length;
      },
      entropies: this.entropies,
      thinkingText: () => this.thinkingPieces,
      hidden: async (layers: number[]): Promise<Float32Array[]> => {
        // The cue token must be the last evaluated token (after a trial it is re-appended first).
        const t = performance.now();
        await this.holdThinking(
          ctx.cuePosition === undefined ? this.thinkingIds.length : ctx.cuePosition + 1,
          { hidden: true },
        );
        const states = await this.session.hidden(layers);
        this.timings.scoringMs += performance.now() - t;
        return states;
      },
      trial: (opts: TrialOptions): Promise<Trial> =>
        this.runTrial(opts, ctx.cuePosition ?? this.thinkingIds.length),
      score: <T>(fn: () => T): T => this.timeScoring(fn),
    };
    return ctx;
  }

  private timeScoring<T>(fn: () => T): T {
    const t = performance.now();
    try {
      return fn();
    } finally {
      this.timings.scoringMs += performance.now() - t;
    }
  }

  private async runTrial(opts: TrialOptions, position: number): Promise<Trial> {
    const t = performance.now();
    await this.holdThinking(position);
    const charged = opts.charged ?? true;
    const records: TokenRecord[] = [];
    const suffixTokens = this.tokensOf(opts.suffix);
    const result = await forcedExit(this.session, {
      exitCueTokens: suffixTokens,
      exitCueText: opts.suffix,
      maxTokens: opts.maxTokens,
      stopOnClose: opts.stopOnClose,
      stopHints: () => braceStopHints(this.engine),
      sample: opts.sample,
      signal: this.signal,
      onToken: (token, piece, info) => {
        const record: TokenRecord = { token, role: 'probe', kept: false };
        records.push(record);
        this.records.push(record);
        this.emit(token, piece, 'probe', false, info);
      },
    });
    const ms = performance.now() - t;
    this.timings.trialMs += ms;
    const id = this.trials.length;
    this.trials.push({
      position,
      suffix: opts.suffix,
      text: result.text,
      tokens: result.tokens.length,
      meanMaxProb: result.meanMaxProb,
      charged,
      reused: false,
      ms,
    });
    this.trialRecords.set(id, { records, suffixTokens: suffixTokens.length, index: id });
    if (!charged) this.freeRecords.push(...records);
    return { id, suffix: opts.suffix, ...result };
  }

  // ---------------------------------------------------------------- output

  private tokensOf(text: string): number[] {
    let tokens = this.tokenCache.get(text);
    if (!tokens) {
      tokens = text.length > 0 ? this.engine.tokenize(text, { special: true }) : [];
      this.tokenCache.set(text, tokens);
    }
    return tokens;
  }

  private emit(token: number, piece: string, role: TokenRole, kept: boolean, info: TokenLogprobs): void {
    this.onTokenCb?.({ token, piece, role, kept, ...info });
  }

  private trace(): ReasoningTrace {
    const count = (role: TokenRole) => this.records.reduce((n, r) => n + (r.role === role ? 1 : 0), 0);
    const thinking = count('thinking');
    const probe = count('probe');
    const answer = count('answer');
    const freeProbe = this.freeRecords.reduce((n, r) => n + (r.role === 'probe' ? 1 : 0), 0);
    const keptThinking = this.thinkingRecords.reduce((n, r) => n + (r.kept ? 1 : 0), 0);
    const used = keptThinking + this.exitCueTokens + answer;
    const keptThinkingIds = this.thinkingRecords.filter((r) => r.kept).map((r) => r.token);
    const thinkingText = this.engine.detokenize(keptThinkingIds);
    // An end-of-generation token ends the reply; it is counted but is not part of its text.
    const answerIds = this.answerIds.filter((t) => !this.engine.isEog(t));
    const answerText = this.answerPrefix + this.engine.detokenize(answerIds);
    this.timings.totalMs = performance.now() - this.started;
    return {
      policy: this.policy.name,
      promptTokens: this.promptTokens,
      tokens: this.records,
      counts: {
        thinking,
        probe,
        answer,
        total: thinking + probe + answer,
        keptThinking,
        exitCue: this.exitCueTokens,
        freeProbe,
        used,
        charged: used + probe - freeProbe,
      },
      cueEvents: this.cueEvents,
      trials: this.trials,
      exit: this.exitInfo,
      finish: this.finish,
      thinkingText,
      answerText,
      text: thinkingText + answerText,
      timings: { ...this.timings },
    };
  }
}
