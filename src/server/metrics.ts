/**
 * The server's Prometheus metrics (`GET /metrics`, text exposition format) on prom-client, in a
 * registry of its own so several servers in one process do not share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What one finished request adds to the metrics. */
export interface RequestRecord {
  status: number;
  seconds: number;
  promptTokens?: number;
  completionTokens?: number;
  thinkingTokens?: number;
  /** How thinking ended (ExitReason), when the request ran. */
  exitReason?: string;
}

/** Counters, gauges and the latency histogram of one server. */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'status'>;
  private readonly promptTokens: Counter;
  private readonly completionTokens: Counter;
  private readonly thinkingTokens: Counter;
  private readonly exits: Counter<'reason'>;
  private readonly latency: Histogram;

  constructor(state: { running: () => number; queued: () => number; slots: number }) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'lynx_requests_total',
      help: 'Chat completion requests answered, by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    this.promptTokens = new Counter({ name: 'lynx_prompt_tokens_total', help: 'Prompt tokens.', registers });
    this.completionTokens = new Counter({
      name: 'lynx_completion_tokens_total',
      help: 'Decoded tokens (thinking, probes and answers).',
      registers,
    });
    this.thinkingTokens = new Counter({
      name: 'lynx_thinking_tokens_total',
      help: 'Decoded thinking tokens.',
      registers,
    });
    this.exits = new Counter({
      name: 'lynx_exits_total',
      help: 'How thinking ended: cue-exit (LYNX early exit), natural-end, max-tokens, aborted, ...',
      labelNames: ['reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'lynx_request_duration_seconds',
      help: 'Time from receiving a chat completion request to its last byte.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    new Gauge({
      name: 'lynx_requests_running',
      help: 'Requests decoding now.',
      registers,
      collect() {
        this.set(state.running());
      },
    });
    new Gauge({
      name: 'lynx_queue_depth',
      help: 'Requests waiting for a slot.',
      registers,
      collect() {
        this.set(state.queued());
      },
    });
    new Gauge({ name: 'lynx_slots', help: 'Requests that can decode at once (--parallel).', registers }).set(
      state.slots,
    );
  }

  /** Counts one finished request. */
  record(r: RequestRecord): void {
    this.requests.inc({ status: String(r.status) });
    this.latency.observe(r.seconds);
    if (r.promptTokens !== undefined) this.promptTokens.inc(r.promptTokens);
    if (r.completionTokens !== undefined) this.completionTokens.inc(r.completionTokens);
    if (r.thinkingTokens !== undefined) this.thinkingTokens.inc(r.thinkingTokens);
    if (r.exitReason !== undefined) this.exits.inc({ reason: r.exitReason });
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
