/**
 * Runs chat completions on one engine: validation that needs the model (prompt length, exit
 * level), the bounded queue of slots (as many as the engine has sessions: those requests decode
 * together), the reasoning loop with the chosen exit policy, and the reply texts, logprobs and
 * token accounting the HTTP layer sends.
 */
import { randomInt } from 'node:crypto';
import { DEFAULT_DELTA } from '../conformal/riskLevel.ts';
import type { Engine, SampleOptions } from '../engine/types.ts';
import { UserError } from '../errors.ts';
import { LYNX_EXIT_CUE } from '../reason/cueTexts.ts';
import type { LynxLevel } from '../reason/policies/lynx.ts';
import { DEFAULT_ANSWER_MAX_TOKENS, runReasoning } from '../reason/runReasoning.ts';
import { DEFAULT_SAMPLE } from '../reason/sampling.ts';
import type { ExitPolicy, ReasoningTrace, TokenCounts } from '../reason/types.ts';
import { ApiError, badRequest } from './apiError.ts';
import type { ChatRequest } from './chatRequest.ts';
import { ExitPolicyChooser, observeExits } from './exitPolicies.ts';
import { GenerationQueue, QueueAbortedError, QueueFullError } from './GenerationQueue.ts';
import { ReplyAssembler, type ReplyDelta } from './ReplyAssembler.ts';

/** Options of `ChatService`. */
export interface ChatServiceOptions {
  engine: Engine;
  /** The model id clients pass as `model` (default: the engine's model id). */
  modelName?: string;
  /** A loaded LYNX bundle (already checked against the model); without one, exit is off. */
  bundle?: import('../bundle/Bundle.ts').Bundle;
  /** Default risk level of requests that do not set one (needs a bundle). */
  defaultLevel?: LynxLevel;
  /** Requests allowed to wait while every slot is busy (default 16). Slots: `engine.info.maxSessions`. */
  maxQueue?: number;
  /** Sampling defaults (LYNX's evaluation setting: T 0.6, top-p 0.95). */
  temperature?: number;
  topP?: number;
  /** Tokens of a forced answer after an exit cue (default 64, as LYNX). */
  answerMaxTokens?: number;
}

/** Where and why thinking ended, as the `lynx` field of a reply reports it. */
export interface LynxReport {
  policy: string;
  /** The risk level the request ran at; null when exit was off. */
  level: LynxLevel | null;
  /** True when the policy cut thinking short (a cue exit). */
  exited: boolean;
  exit_reason: string;
  /** Thinking tokens kept when thinking ended. */
  exit_position: number;
  /** The cue the exit happened at, with the probe's probability. */
  exit_cue_word?: string;
  exit_probability?: number;
  cue_events: number;
  thinking_tokens: number;
  probe_tokens: number;
  answer_tokens: number;
  /** Tokens appended (not decoded) to end thinking, e.g. `</think> Final Answer: \boxed{`. */
  exit_cue_tokens: number;
  kept_thinking_tokens: number;
}

/** What one completion produced. */
export interface ChatOutcome {
  reasoning: string;
  content: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  counts: TokenCounts;
  lynx: LynxReport;
  /** True when the caller's signal cancelled the run. */
  cancelled: boolean;
  /** OpenAI `logprobs.content` entries of the answer tokens, when the request asked for them. */
  logprobs?: LogprobEntry[];
  /** Streaming: the entries no delta carried yet (they go with the finishing chunk). */
  unsentLogprobs?: LogprobEntry[];
}

/** One entry of OpenAI's `logprobs.content`. */
export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

/** A reply delta, with the logprobs of answer tokens decoded since the last one (streaming). */
export type ServiceDelta = ReplyDelta & { logprobs?: LogprobEntry[] };

/** A request checked against the model, ready to queue. */
export interface PreparedChat {
  request: ChatRequest;
  promptText: string;
  promptTokens: number;
  policy: ExitPolicy;
  level: LynxLevel | null;
}

/** Space the reasoning loop keeps free after the prompt (forced answer + its reserve). */
const LOOP_RESERVE = 128;

/** Counters of a service, for /health and tests. */
export interface ServiceStats {
  completed: number;
  cancelled: number;
  /** Tokens the last cancelled run had decoded when it stopped. */
  lastCancelledTokens: number | null;
}

/** One engine serving chat completions, up to its `maxSessions` at once. */
export class ChatService {
  readonly stats: ServiceStats = { completed: 0, cancelled: 0, lastCancelledTokens: null };
  readonly engine: Engine;
  readonly modelName: string;
  readonly queue: GenerationQueue;
  readonly policies: ExitPolicyChooser;
  private readonly sampleDefaults: { temperature: number; topP: number };
  private readonly answerMaxTokens: number;

  constructor(opts: ChatServiceOptions) {
    this.engine = opts.engine;
    this.modelName = opts.modelName ?? opts.engine.info.modelId;
    this.queue = new GenerationQueue(opts.maxQueue ?? 16, opts.engine.info.maxSessions);
    this.policies = new ExitPolicyChooser(
      opts.bundle,
      opts.bundle ? (opts.defaultLevel ?? { delta: DEFAULT_DELTA }) : undefined,
    );
    this.sampleDefaults = {
      temperature: opts.temperature ?? DEFAULT_SAMPLE.temperature,
      topP: opts.topP ?? DEFAULT_SAMPLE.topP,
    };
    this.answerMaxTokens = opts.answerMaxTokens ?? DEFAULT_ANSWER_MAX_TOKENS;
  }

  /** Checks a request against the model (name, prompt length, exit level): ApiErrors for the client. */
  prepare(request: ChatRequest): PreparedChat {
    if (request.model !== this.modelName)
      throw new ApiError(
        404,
        `The model '${request.model}' does not exist; this server serves '${this.modelName}'.`,
        'invalid_request_error',
        'model_not_found',
        'model',
      );
    const { policy, level } = this.policies.choose(request.exit);
    let promptText: string;
    try {
      promptText = this.engine.formatChat(request.messages);
    } catch (e) {
      if (e instanceof UserError) throw badRequest(e.message, 'messages');
      throw e;
    }
    const promptTokens = this.engine.tokenize(promptText, { special: true }).length + 1;
    const room = this.engine.info.contextSize - promptTokens - this.answerMaxTokens - LOOP_RESERVE;
    if (room <= 0)
      throw badRequest(
        `This model's context is ${this.engine.info.contextSize} tokens; the messages take about ` +
          `${promptTokens}, leaving no room for reasoning. Shorten the messages.`,
        'messages',
        'context_length_exceeded',
      );
    return { request, promptText, promptTokens, policy, level };
  }

  /**
   * Waits for the engine (429 when the queue is full, 503 when shutting down) and returns its
   * release function.
   */
  async acquire(signal: AbortSignal): Promise<() => void> {
    try {
      return await this.queue.acquire(signal);
    } catch (e) {
      if (e instanceof QueueFullError)
        throw new ApiError(429, e.message, 'rate_limit_error', 'rate_limit_exceeded');
      if (e instanceof QueueAbortedError)
        throw new ApiError(503, e.message, 'service_unavailable', 'cancelled');
      throw e;
    }
  }

  /** Runs a prepared request (the caller holds the engine); `onDelta` streams reply text. */
  async generate(
    prep: PreparedChat,
    signal: AbortSignal,
    onDelta?: (d: ServiceDelta) => void,
  ): Promise<ChatOutcome> {
    const { request } = prep;
    const stopper = new AbortController();
    const wantLogprobs = request.logprobs !== undefined;
    const entries: LogprobEntry[] = [];
    let sent = 0;
    const assembler = new ReplyAssembler(this.engine, {
      onDelta: (d) => {
        // Answer tokens' logprobs go out with the next content text (it lags them by a few tokens).
        if (wantLogprobs && d.content !== undefined && sent < entries.length) {
          onDelta?.({ ...d, logprobs: entries.slice(sent) });
          sent = entries.length;
        } else onDelta?.(d);
      },
      stop: request.stop,
      onStop: () => stopper.abort(),
    });
    const exitCue = prep.policy.defaults?.exitCue ?? LYNX_EXIT_CUE;
    const policy = observeExits(prep.policy, exitCue, (position, prefix) =>
      assembler.exited(position, prefix),
    );
    const sample: SampleOptions = {
      temperature: request.temperature ?? this.sampleDefaults.temperature,
      topP: request.topP ?? this.sampleDefaults.topP,
      ...(request.topK !== undefined ? { topK: request.topK } : {}),
      // Without a seed each request draws its own (as OpenAI's API behaves); with one it is reproducible.
      seed: request.seed ?? randomInt(2 ** 31),
    };
    let trace: ReasoningTrace;
    try {
      trace = await runReasoning(this.engine, prep.promptText, policy, {
        sample,
        maxTokens: request.maxTokens ?? this.engine.info.contextSize,
        answerMaxTokens: this.answerMaxTokens,
        exitCue,
        signal: AbortSignal.any([signal, stopper.signal]),
        topLogprobs: request.logprobs ?? 0,
        onToken: (ev) => {
          if (wantLogprobs && ev.role === 'answer' && ev.piece !== '' && !assembler.stopped)
            entries.push(this.logprobEntry(ev.piece, ev.logprob, ev.top ?? []));
          assembler.token(ev);
        },
      });
    } catch (e) {
      if (e instanceof UserError) throw badRequest(e.message, 'messages');
      throw e;
    }
    assembler.finish();
    const cancelled = signal.aborted;
    if (cancelled) {
      this.stats.cancelled++;
      this.stats.lastCancelledTokens = trace.counts.total;
    } else this.stats.completed++;
    const finishReason =
      assembler.stopped || trace.finish === 'eos' || trace.finish === 'stop'
        ? 'stop'
        : trace.finish === 'length'
          ? 'length'
          : 'stop';
    return {
      reasoning: assembler.reasoning,
      content: assembler.content,
      finishReason,
      promptTokens: trace.promptTokens,
      counts: trace.counts,
      lynx: reportOf(trace, prep.level),
      cancelled,
      ...(wantLogprobs ? { logprobs: entries, unsentLogprobs: entries.slice(sent) } : {}),
    };
  }

  private logprobEntry(piece: string, logprob: number, top: Array<[number, number]>): LogprobEntry {
    const bytes = (text: string) => [...Buffer.from(text, 'utf8')];
    return {
      token: piece,
      logprob,
      bytes: bytes(piece),
      top_logprobs: top.map(([t, lp]) => {
        const text = this.engine.tokenPiece(t);
        return { token: text, logprob: lp, bytes: bytes(text) };
      }),
    };
  }
}

/** The `lynx` extension field of a reply. */
function reportOf(trace: ReasoningTrace, level: LynxLevel | null): LynxReport {
  const cueIndex = trace.exit.cueEvent;
  const cue = cueIndex !== undefined ? trace.cueEvents[cueIndex] : undefined;
  const exited = ['cue-exit', 'probe-exit', 'budget'].includes(trace.exit.reason);
  return {
    policy: trace.policy,
    level,
    exited,
    exit_reason: trace.exit.reason,
    exit_position: trace.exit.position,
    ...(cue ? { exit_cue_word: cue.text, ...(cue.p !== undefined ? { exit_probability: cue.p } : {}) } : {}),
    cue_events: trace.cueEvents.length,
    thinking_tokens: trace.counts.thinking,
    probe_tokens: trace.counts.probe,
    answer_tokens: trace.counts.answer,
    exit_cue_tokens: trace.counts.exitCue,
    kept_thinking_tokens: trace.counts.keptThinking,
  };
}
