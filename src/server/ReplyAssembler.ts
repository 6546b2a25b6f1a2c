/**
 * Turns the reasoning loop's token stream into the two texts an OpenAI-style reply carries:
 * `reasoning_content` (kept thinking, without `</think>`) and `content` (the answer, including the
 * visible part of an exit cue such as `Final Answer: \boxed{`). Streaming and non-streaming replies
 * are both built from its deltas, so they always agree.
 *
 * A cue exit rolls back the cue token(s) already decoded, so the last few thinking tokens are held
 * back until it is clear they stay; probe / trial tokens are never shown.
 */
import { TokenTextDecoder } from '../engine/textDecoder.ts';
import type { Engine } from '../engine/types.ts';
import type { TokenRole } from '../reason/types.ts';

/** Thinking tokens held back: covers a cue confirmed late (word mode) and the loop's mark window. */
const HOLD_BACK = 8;
const THINK_CLOSE = '</think>';

/** A piece of reply text to send. */
export interface ReplyDelta {
  reasoning?: string;
  content?: string;
}

/**
 * Cuts the content at the first stop string. Holds back a tail that could still grow into a stop
 * string, so nothing after a stop is ever emitted.
 */
export class StopMatcher {
  private tail = '';
  private readonly keep: number;
  stopped = false;
  constructor(private readonly stops: readonly string[]) {
    this.keep = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Adds text; returns what can be emitted now. */
  push(text: string): string {
    if (this.stopped) return '';
    const buf = this.tail + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.tail = '';
      return buf.slice(0, cut);
    }
    const safe = Math.max(0, buf.length - this.keep);
    this.tail = buf.slice(safe);
    return buf.slice(0, safe);
  }

  /** Text held back at the end of the stream. */
  flush(): string {
    const t = this.stopped ? '' : this.tail;
    this.tail = '';
    return t;
  }
}

/** Options of `ReplyAssembler`. */
export interface ReplyAssemblerOptions {
  /** Called with each piece of text to send. */
  onDelta: (delta: ReplyDelta) => void;
  /** Stop strings for the content (OpenAI `stop`). */
  stop?: readonly string[];
  /** Called once when a stop string is met (the caller then cancels the generation). */
  onStop?: () => void;
}

/** Builds reply deltas from reasoning-loop token events. */
export class ReplyAssembler {
  private readonly held: number[] = [];
  private readonly reasoningDecoder: TokenTextDecoder;
  private readonly contentDecoder: TokenTextDecoder;
  private readonly stop: StopMatcher;
  private thinkingDone = false;
  private contentStarted = false;
  /** Thinking tokens seen that are still part of the sequence. */
  private thinkingKept = 0;
  private answerPrefix = '';
  reasoning = '';
  content = '';

  constructor(
    engine: Engine,
    private readonly opts: ReplyAssemblerOptions,
  ) {
    this.reasoningDecoder = new TokenTextDecoder(engine);
    this.contentDecoder = new TokenTextDecoder(engine);
    this.stop = new StopMatcher(opts.stop ?? []);
  }

  /** True once a stop string ended the content. */
  get stopped(): boolean {
    return this.stop.stopped;
  }

  /** A decoded token from the loop. */
  token(ev: { token: number; piece: string; role: TokenRole }): void {
    if (ev.role === 'probe') return;
    if (ev.role === 'thinking') {
      if (this.thinkingDone || ev.piece === '') return;
      this.held.push(ev.token);
      this.thinkingKept++;
      while (this.held.length > HOLD_BACK) this.emitReasoning(this.reasoningDecoder.push(this.held.shift()!));
      return;
    }
    this.endThinking();
    if (ev.piece === '') return; // end-of-generation token
    this.emitContent(this.contentDecoder.push(ev.token));
  }

  /**
   * The policy left thinking: thinking tokens from `position` on were rolled back (a cue exit), and
   * `prefix` (the exit cue) was appended before the answer.
   */
  exited(position: number, prefix: string): void {
    const drop = Math.min(this.held.length, Math.max(0, this.thinkingKept - position));
    this.held.length -= drop;
    this.thinkingKept -= drop;
    this.answerPrefix = prefix;
  }

  /** Flushes everything (end of the run). */
  finish(): void {
    this.endThinking();
    this.emitContent(this.contentDecoder.flush());
    this.emitContent(this.stop.flush(), true);
  }

  private endThinking(): void {
    if (this.thinkingDone) return;
    this.thinkingDone = true;
    const rest = [...this.reasoningDecoder.takePending(), ...this.held.splice(0)];
    let text = rest.length > 0 ? this.reasoningDecoderText(rest) : '';
    const full = this.reasoning + text;
    if (full.endsWith(THINK_CLOSE)) text = text.slice(0, Math.max(0, text.length - THINK_CLOSE.length));
    this.emitReasoning(text);
    const close = this.answerPrefix.indexOf(THINK_CLOSE);
    const visible = close >= 0 ? this.answerPrefix.slice(close + THINK_CLOSE.length) : this.answerPrefix;
    this.emitContent(visible);
  }

  private reasoningDecoderText(tokens: number[]): string {
    let text = '';
    for (const t of tokens) text += this.reasoningDecoder.push(t);
    return text + this.reasoningDecoder.flush();
  }

  private emitReasoning(text: string): void {
    if (!text) return;
    this.reasoning += text;
    this.opts.onDelta({ reasoning: text });
  }

  private emitContent(raw: string, flushed = false): void {
    let text = raw;
    if (!this.contentStarted) {
      text = text.replace(/^\s+/, '');
      if (!text) return;
      this.contentStarted = true;
    }
    if (!flushed) {
      const wasStopped = this.stop.stopped;
      text = this.stop.push(text);
      if (!wasStopped && this.stop.stopped) {
        this.send(text);
        this.opts.onStop?.();
        return;
      }
    }
    this.send(text);
  }

  private send(text: string): void {
    if (!text) return;
    this.content += text;
    this.opts.onDelta({ content: text });
  }
}
