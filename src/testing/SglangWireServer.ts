/**
 * A small server that speaks SGLang's native HTTP API (the subset the SGLang engine uses), backed
 * by any in-process engine, so the SGLang engine, `serve --engine sglang` and your own client code
 * can be tested without SGLang or a GPU. Hidden states are real (the backing engine's final-norm
 * states), with SGLang's quirks reproduced:
 * - `meta_info.hidden_states` = [one row per prompt token the prefix cache did not hold, then one
 *   vector per decode step after the first]: the vector sent with the step that samples token k is
 *   the state at input token k−1, so the last generated token has none;
 * - `return_hidden_states: "last"` keeps only the final vector (PR #30177);
 * - with `legacyPromptRows`, the prompt block is as builds before PR #30177 slice it: as many rows
 *   as prompt tokens, so after a prefix-cache hit it runs past the request's own rows (in SGLang
 *   into other requests' rows; here into zero rows);
 * - the radix prefix cache is real: backing sessions are kept between requests (`WireSessionPool`),
 *   a request continues the one that shares the longest prefix with its prompt and evaluates only
 *   the rest, `cached_tokens` is what it reused, and at least one prompt token is always computed;
 * - without `enableReturnHiddenStates` a request for hidden states is refused with SGLang's message;
 * - `output_ids` run through the stop token or string (`no_stop_trim` is about `text` only).
 * Shapes follow SGLang's `GenerateReqInput` / `SamplingParams` (io_struct.py, sampling_params.py).
 * Sampling uses the backing engine's sampler with `sampling_seed` as the seed, so a client that
 * sends the same seed gets the tokens the backing engine would draw in-process.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../engine/types.ts';
import { type Lease, WireSessionPool } from './WireSessionPool.ts';

/** Options of `startSglangWireServer`. */
export interface SglangWireServerOptions {
  engine: Engine;
  /** What `/get_model_info` reports as `model_path` (default: the engine's model id). */
  modelPath?: string;
  /** As SGLang's `--enable-return-hidden-states` (default true). */
  enableReturnHiddenStates?: boolean;
  /** Accept `return_hidden_states: "last"` (default true; false: an older build that rejects it). */
  lastMode?: boolean;
  /** Slice the prompt block by the prompt's length, as builds before PR #30177 (default false). */
  legacyPromptRows?: boolean;
  /** As `--speculative-algorithm` (reported by `/get_server_info`; default none). */
  speculativeAlgorithm?: string | null;
  /**
   * Idle backing sessions kept as the prefix cache (default: the engine's `maxSessions`; 0: none,
   * so every request evaluates its whole prompt and `cached_tokens` is 0).
   */
  cacheSessions?: number;
  /** Milliseconds an idle cached session is kept, so other users of the engine get it back (default 1000). */
  cacheIdleMs?: number;
  host?: string;
  port?: number;
}

/** One request the server answered (for tests and benchmarks). */
export interface WireTraceEntry {
  path: string;
  rid?: string;
  status: number;
  inputTokens?: number;
  cachedTokens?: number;
  /** Tokens the backing engine evaluated for the request: prompt tokens outside the cache, then decoded ones. */
  evaluatedTokens?: number;
  outputTokens?: number;
  maxNewTokens?: number;
  /** Hidden-state vectors in the response (prompt rows and decode vectors). */
  hiddenVectors?: number;
  finish?: string;
  requestBytes: number;
  responseBytes: number;
}

/** A running wire server. */
export interface SglangWireServer {
  url: string;
  app: FastifyInstance;
  /** Every request answered, in order. */
  readonly trace: WireTraceEntry[];
  /** The backing sessions kept as the prefix cache. */
  readonly cache: WireSessionPool;
  /** The next `n` requests fail: with HTTP `status`, or by closing the connection ('reset'). */
  failNext(n: number, how: number | 'reset'): void;
  close(): Promise<void>;
}

const HIDDEN_DISABLED =
  'The server is not configured to return the hidden states. Please set `--enable-return-hidden-states` to enable this feature.';

const SamplingParams = z
  .object({
    max_new_tokens: z.int().min(0).default(128),
    temperature: z.number().min(0).default(1),
    top_p: z.number().gt(0).max(1).default(1),
    top_k: z.int().default(-1),
    min_p: z.number().min(0).max(1).default(0),
    sampling_seed: z.int().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    stop_token_ids: z.array(z.int()).optional(),
    no_stop_trim: z.boolean().default(false),
    skip_special_tokens: z.boolean().default(true),
    ignore_eos: z.boolean().default(false),
    min_new_tokens: z.int().min(0).default(0),
  })
  .strict();

const GenerateBody = z
  .object({
    text: z.string().optional(),
    input_ids: z.array(z.int().min(0)).optional(),
    sampling_params: SamplingParams.default(SamplingParams.parse({})),
    rid: z.string().optional(),
    stream: z.boolean().default(false),
    return_logprob: z.boolean().default(false),
    logprob_start_len: z.int().default(-1),
    top_logprobs_num: z.int().min(0).default(0),
    return_hidden_states: z.union([z.boolean(), z.literal('last')]).default(false),
  })
  .strict();
type GenerateBody = z.infer<typeof GenerateBody>;

class BadRequest extends Error {}

/** What one request decoded. */
interface Decoded {
  output: number[];
  logprobs: Array<[number, number, null]>;
  tops: Array<Array<[number, number, null]>>;
  /** One per decode step after the first: the state at the previous input token. */
  decodeVectors: number[][];
  finish: Record<string, unknown>;
}

/** Starts the server; resolves once it listens. */
export async function startSglangWireServer(opts: SglangWireServerOptions): Promise<SglangWireServer> {
  const engine = opts.engine;
  const enableHidden = opts.enableReturnHiddenStates ?? true;
  const lastMode = opts.lastMode ?? true;
  const cacheSessions = opts.cacheSessions ?? engine.info.maxSessions;
  const trace: WireTraceEntry[] = [];
  const cache = new WireSessionPool(engine, { capacity: cacheSessions, idleMs: opts.cacheIdleMs ?? 1000 });
  const aborted = new Set<string>();
  const running = new Set<string>();
  let failures: { n: number; how: number | 'reset' } = { n: 0, how: 503 };
  let ridCounter = 0;

  // close() ends every connection: a client that gave up mid-request must not hold the server open.
  const app = Fastify({ bodyLimit: 256 * 1024 * 1024, forceCloseConnections: true });

  app.addHook('onRequest', async (request, reply) => {
    if (failures.n <= 0) return;
    failures.n--;
    if (failures.how === 'reset') {
      request.raw.socket.destroy();
      return reply;
    }
    trace.push({ path: request.url, status: failures.how, requestBytes: 0, responseBytes: 0 });
    return reply.code(failures.how).send({ error: { message: 'injected failure' } });
  });

  app.get('/health', async () => ({}));
  app.get('/get_model_info', async (request) => {
    const body = {
      model_path: opts.modelPath ?? engine.info.modelId,
      tokenizer_path: opts.modelPath ?? engine.info.modelId,
      is_generation: true,
      preferred_sampling_params: null,
      weight_version: 'default',
    };
    record(request.url, 200, 0, body);
    return body;
  });
  app.get('/get_server_info', async (request) => {
    const body = {
      model_path: opts.modelPath ?? engine.info.modelId,
      enable_return_hidden_states: enableHidden,
      disable_radix_cache: cacheSessions <= 0,
      speculative_algorithm: opts.speculativeAlgorithm ?? null,
      context_length: engine.info.contextSize,
      version: 'wire-test',
    };
    record(request.url, 200, 0, body);
    return body;
  });
  app.post('/abort_request', async (request) => {
    const body = (request.body ?? {}) as { rid?: string; abort_all?: boolean };
    if (body.abort_all) for (const rid of running) aborted.add(rid);
    else if (typeof body.rid === 'string' && running.has(body.rid)) aborted.add(body.rid);
    record(request.url, 200, JSON.stringify(body).length, {});
    return {};
  });
  app.post('/generate', async (request, reply) => {
    const raw = JSON.stringify(request.body ?? {});
    const parsed = GenerateBody.safeParse(request.body);
    if (!parsed.success) {
      const message = `invalid request: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`;
      record(request.url, 400, raw.length, {});
      return reply.code(400).send({ error: { message } });
    }
    const body = parsed.data;
    try {
      const result = await generate(body);
      const entry = record(request.url, 200, raw.length, result.response);
      Object.assign(entry, result.trace);
      return result.response;
    } catch (err) {
      const status = err instanceof BadRequest ? 400 : 500;
      record(request.url, status, raw.length, {});
      return reply.code(status).send({ error: { message: (err as Error).message } });
    }
  });

  function record(path: string, status: number, requestBytes: number, response: unknown): WireTraceEntry {
    const entry: WireTraceEntry = {
      path,
      status,
      requestBytes,
      responseBytes: JSON.stringify(response).length,
    };
    trace.push(entry);
    return entry;
  }

  async function generate(body: GenerateBody) {
    const rid = body.rid ?? `wire-${++ridCounter}`;
    // Known from arrival, so an abort that comes while the request waits for a session still counts.
    running.add(rid);
    try {
      return await generateRequest(body, rid);
    } finally {
      running.delete(rid);
      aborted.delete(rid);
    }
  }

  async function generateRequest(body: GenerateBody, rid: string) {
    const sp = body.sampling_params;
    if (body.return_hidden_states !== false && !enableHidden) throw new BadRequest(HIDDEN_DISABLED);
    if (body.return_hidden_states === 'last' && !lastMode)
      throw new BadRequest('return_hidden_states must be a boolean or a list of booleans');
    if (body.stream) throw new BadRequest('this test server answers stream: false only');
    const input = await promptOf(body);
    const wantHidden = body.return_hidden_states !== false;
    const lease = await cache.acquire(input, {
      topLogprobs: body.top_logprobs_num,
      hidden: wantHidden,
      openWith: wantHidden ? 1 : input.length,
    });
    const cached = lease.reused;
    let healthy = false;
    let rows: number[][];
    let decoded: Decoded;
    try {
      rows = await evaluatePrompt(lease, input, wantHidden);
      decoded = await decode(lease, body, rid);
      healthy = true;
    } finally {
      await cache.release(lease, healthy);
    }
    const { output, logprobs, tops, decodeVectors, finish } = decoded;
    let hiddenStates: unknown[] | undefined;
    let hiddenVectors = 0;
    if (wantHidden) {
      if (body.return_hidden_states === 'last') {
        const last =
          decodeVectors.length > 0 ? decodeVectors[decodeVectors.length - 1] : rows[rows.length - 1];
        hiddenStates = [last];
        hiddenVectors = 1;
      } else {
        hiddenStates = [rows, ...decodeVectors];
        hiddenVectors = rows.length + decodeVectors.length;
      }
    }
    const meta: Record<string, unknown> = {
      id: rid,
      finish_reason: finish,
      prompt_tokens: input.length,
      completion_tokens: output.length,
      cached_tokens: cached,
      e2e_latency: 0,
    };
    if (body.return_logprob) {
      meta.output_token_logprobs = logprobs;
      if (body.top_logprobs_num > 0) meta.output_top_logprobs = tops;
      if (body.logprob_start_len >= 0)
        meta.input_token_logprobs = input.slice(body.logprob_start_len).map((t) => [null, t, null]);
    }
    if (hiddenStates) meta.hidden_states = hiddenStates;
    const full = engine.detokenize(output);
    const response = { text: full, output_ids: output, meta_info: meta };
    return {
      response,
      trace: {
        rid,
        inputTokens: input.length,
        cachedTokens: cached,
        evaluatedTokens: lease.evaluated,
        outputTokens: output.length,
        maxNewTokens: sp.max_new_tokens,
        hiddenVectors,
        finish: String(finish.type),
      },
    };
  }

  /** The request's prompt ids, checked against the vocabulary and the context. */
  async function promptOf(body: GenerateBody): Promise<number[]> {
    let input: number[];
    if (body.input_ids !== undefined) input = body.input_ids;
    else if (body.text !== undefined) {
      // Tokenized as the engine opens text (specials parsed, BOS where the model wants it).
      const text = body.text;
      input = await cache.withSlot(async () => {
        const probe = await engine.open(text);
        try {
          return probe.tokens();
        } finally {
          await probe.close();
        }
      });
    } else throw new BadRequest('either text or input_ids should be provided');
    if (input.length === 0) throw new BadRequest('the input is empty');
    for (const t of input)
      if (t >= engine.info.vocabSize) throw new BadRequest(`token id ${t} is out of the vocabulary`);
    if (input.length + body.sampling_params.max_new_tokens > engine.info.contextSize)
      throw new BadRequest(
        `Requested token count exceeds the model's maximum context length of ${engine.info.contextSize} tokens.`,
      );
    return input;
  }

  /**
   * Evaluates the prompt tokens the leased session does not hold yet. With hidden states: one at a
   * time, each row the real state at that token (one row per computed prompt token); else in one
   * batch (a new session was opened on the whole prompt).
   */
  async function evaluatePrompt(lease: Lease, input: number[], wantHidden: boolean): Promise<number[][]> {
    const held = lease.session.length;
    const rows: number[][] = [];
    if (!wantHidden) {
      await lease.append(input.slice(held));
      return rows;
    }
    // A new session holds input[0], evaluated with its state kept.
    if (lease.reused === 0) rows.push(Array.from((await lease.session.hidden([-1]))[0]));
    for (let i = held; i < input.length; i++) {
      await lease.append([input[i]], { hidden: true });
      rows.push(Array.from((await lease.session.hidden([-1]))[0]));
    }
    if (opts.legacyPromptRows)
      while (rows.length < input.length) rows.push(new Array(rows[0].length).fill(0));
    return rows;
  }

  /** Samples up to `max_new_tokens` on the leased session, stopping as SGLang does. */
  async function decode(lease: Lease, body: GenerateBody, rid: string): Promise<Decoded> {
    const sp = body.sampling_params;
    const wantHidden = body.return_hidden_states !== false;
    const session = lease.session;
    const output: number[] = [];
    const logprobs: Array<[number, number, null]> = [];
    const tops: Array<Array<[number, number, null]>> = [];
    const decodeVectors: number[][] = [];
    let finish: Record<string, unknown> = { type: 'length', length: sp.max_new_tokens };
    const stops = sp.stop === undefined ? [] : Array.isArray(sp.stop) ? sp.stop : [sp.stop];
    const stopIds = new Set(sp.stop_token_ids ?? []);
    let text = '';
    for (let k = 0; k < sp.max_new_tokens; k++) {
      if (aborted.has(rid)) {
        finish = { type: 'abort', message: 'Abort request' };
        break;
      }
      // The vector sent with the step that samples token k is the state at input token k−1.
      if (k > 0 && wantHidden) decodeVectors.push(Array.from((await session.hidden([-1]))[0]));
      if (body.top_logprobs_num > 0)
        tops.push(session.topLogprobs(body.top_logprobs_num).map(([t, lp]) => [lp, t, null]));
      const step = await lease.step(
        {
          temperature: sp.temperature,
          topP: sp.top_p,
          ...(sp.top_k > 0 ? { topK: sp.top_k } : {}),
          ...(sp.sampling_seed !== undefined ? { seed: sp.sampling_seed } : {}),
        },
        { hidden: () => wantHidden },
      );
      output.push(step.token);
      logprobs.push([step.logprob, step.token, null]);
      if (step.isEog && !sp.ignore_eos && k + 1 >= sp.min_new_tokens) {
        finish = { type: 'stop', matched: step.token };
        break;
      }
      if (stopIds.has(step.token) && k + 1 >= sp.min_new_tokens) {
        finish = { type: 'stop', matched: step.token };
        break;
      }
      text += step.isEog ? '' : step.piece;
      // An earlier match would have stopped already, so any match ends in this piece.
      const hit = stops.find((s) => text.includes(s));
      if (hit !== undefined && k + 1 >= sp.min_new_tokens) {
        finish = { type: 'stop', matched: hit };
        break;
      }
    }
    return { output, logprobs, tops, decodeVectors, finish };
  }

  const url = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  return {
    url,
    app,
    trace,
    failNext(n, how) {
      failures = { n, how };
    },
    cache,
    async close() {
      await app.close();
      await cache.close();
    },
  };
}
