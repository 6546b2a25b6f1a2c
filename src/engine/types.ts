/**
 * The engine contract. Everything above `src/engine/` (the reasoning loop, pipelines, server) is
 * written once against these interfaces; each engine (llama.cpp, reference, remote) implements them.
 */

/**
 * How to pick the next token. temperature 0 means greedy. Every engine samples with the shared
 * `sampleToken` in `src/engine/sampler.ts`, so the same logits, options and seed pick the same token.
 */
export interface SampleOptions {
  temperature: number;
  /** Nucleus: keep the smallest prefix of the (tempered) distribution with mass >= topP. */
  topP?: number;
  /** Keep only the topK most likely tokens (0 or absent: no limit). */
  topK?: number;
  /**
   * Seed of the draw. The uniform used at sequence position n is a function of (seed, n) only, so
   * the same seed and inputs give the same tokens, and a rollback replays exactly the same draws
   * (no sampler state to restore). Absent: the engine's default seed.
   */
  seed?: number;
}

/** What one `step` produced. */
export interface StepResult {
  token: number;
  /** The decoded text of this token alone (for streaming cue detection). */
  piece: string;
  /** log-probability of the chosen token under the model's (untempered) distribution. */
  logprob: number;
  /** True if the token is an end-of-generation token. */
  isEog: boolean;
}

/** One token `Session.generate` appended, with what was asked about the distribution it was drawn from. */
export interface GeneratedToken extends StepResult {
  /** Entropy (nats) of that distribution (when `GenerateOptions.entropy`); a lower bound where the engine keeps only candidates. */
  entropy?: number;
  /** Its most likely alternatives (when `GenerateOptions.topLogprobs` > 0). */
  top?: Array<[token: number, logprob: number]>;
}

/** Where a remote engine may end one server-side decode: after these tokens, or once the text ends with one of these strings. */
export interface StopHints {
  tokens: ReadonlySet<number>;
  strings: readonly string[];
}

/** Options of `Session.generate`. */
export interface GenerateOptions {
  sample: SampleOptions;
  /** Generate at most this many tokens (>= 1). */
  maxTokens: number;
  /**
   * Called with each token, in order, once it is part of the sequence; returning true ends the
   * generation after it. This callback is the stop condition: engines stop by themselves only
   * after an end-of-generation token, at `maxTokens` or on abort.
   */
  onToken?: (token: GeneratedToken) => boolean;
  /**
   * Where `onToken` may say stop, for engines that decode many tokens per request. A hint only: an
   * engine that decodes past a stop `onToken` asks for drops the extra tokens, so results do not
   * depend on it (only the work wasted does). Called at most once per generation, so it can be lazy.
   */
  stopHints?: () => StopHints;
  /** Keep the hidden state of the tokens for which this is true (else `hidden` may re-evaluate). */
  keepHidden?: (token: number, piece: string) => boolean;
  /** Report this many alternatives with every token. */
  topLogprobs?: number;
  /** Report the entropy of every token's distribution. */
  entropy?: boolean;
  /** Ends the generation between tokens. */
  signal?: AbortSignal;
}

/** What `Session.generate` appended and why it stopped. */
export interface GenerateResult {
  tokens: GeneratedToken[];
  /** 'stop': `onToken` returned true; 'eos': an end-of-generation token; 'length': `maxTokens`; 'aborted': the signal. */
  stoppedBy: 'stop' | 'eos' | 'length' | 'aborted';
}

/** What an engine can expose. `hiddenLayers`: 'final' = only the final-norm state of the last token. */
export interface EngineInfo {
  name: string;
  /** A human-readable id of the loaded model (file name or hub id). */
  modelId: string;
  architecture: string;
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  contextSize: number;
  /**
   * Layers whose hidden state `Session.hidden` can return. -1 means the final-norm output (what
   * feeds the output projection); i in 0..layers−1 the residual stream after block i, before any
   * norm (HF's `hidden_states[i + 1]`). 'all': -1 and every block (the reference engine).
   */
  hiddenLayers: 'all' | number[];
  /**
   * What would give more hidden-state layers than `hiddenLayers` (e.g. a server flag), where a
   * setting withholds them; refusals for missing layers end with it.
   */
  hiddenLayersHint?: string;
  /**
   * True when sessions see the whole next-token distribution. False when they keep only the most
   * likely candidates (large vocabularies): sampling then draws from those candidates, and
   * `entropy()` is a lower bound (see `entropyOf` in `src/engine/sampler.ts`).
   */
  fullDistribution: boolean;
  /** Sessions that can be open at once (their evaluations are batched together). */
  maxSessions: number;
  /** A hash of the weights (e.g. sampled tensor bytes), so a bundle for other weights is refused. */
  weightsHash?: string;
}

/** Options of `Session.append`. */
export interface AppendOptions {
  /** Keep the hidden state of the last appended token (else `hidden` may re-evaluate it). */
  hidden?: boolean;
}

/** Hints of `Session.step` that let an engine keep only what will be read. */
export interface StepHint {
  /** Called with the sampled token before it is evaluated: true keeps its hidden state. */
  hidden?: (token: number, piece: string) => boolean;
}

/** Options of `Engine.open`. */
export interface OpenOptions {
  /** Keep the hidden state of the last prompt token. */
  hidden?: boolean;
  /** `topLogprobs(k)` will be called with k up to this: keep at least this many candidates. */
  topLogprobs?: number;
  /** `entropy()` will be called: keep the whole distribution where the engine can (exact entropy). */
  entropy?: boolean;
}

/** A position in a session to roll back to. */
export interface Mark {
  readonly length: number;
}

/**
 * One growing token sequence with its KV cache. The sequence always ends with an evaluated token:
 * `hidden`, `topLogprobs` and `entropy` describe the state after it, and `step` samples from it.
 */
export interface Session {
  /** Number of tokens in the sequence (prompt + appended + sampled). */
  readonly length: number;
  /**
   * Samples one token from the current distribution and appends it. The token drawn is a function
   * of the sequence, the options, the seed and the position only (not of other sessions).
   */
  step(opts: SampleOptions, hint?: StepHint): Promise<StepResult>;
  /**
   * Samples and appends tokens until `onToken` says stop, an end-of-generation token, `maxTokens`
   * or the signal: the same tokens as that many `step`s. The reasoning loop decodes only through
   * this, so a remote engine can serve a whole segment (say, up to the next cue) in one request.
   */
  generate(opts: GenerateOptions): Promise<GenerateResult>;
  /** Appends tokens (teacher forcing) and evaluates them. */
  append(tokens: number[], opts?: AppendOptions): Promise<void>;
  /** Hidden state(s) of the LAST evaluated token, one Float32Array per requested layer (-1 = final norm). */
  hidden(layers: number[]): Promise<Float32Array[]>;
  /**
   * Top-k (token, logprob) of the next-token distribution, at most as many as the engine keeps
   * (announce larger k with `open({ topLogprobs })`).
   */
  topLogprobs(k: number): Array<[token: number, logprob: number]>;
  /**
   * Entropy (nats) of the next-token distribution: exact when the session keeps the whole
   * distribution (`open({ entropy: true })` on engines that can), else a lower bound.
   */
  entropy(): number;
  /** The tokens of the sequence so far (a copy). */
  tokens(): number[];
  /** Remembers the current position (and the state after it, so a rollback restores `hidden` etc.). */
  mark(): Mark;
  /** Drops everything after `mark`; the continuation is then exactly as if it was never appended. */
  rollback(mark: Mark): Promise<void>;
  /** Frees the session's resources. */
  close(): Promise<void>;
}

/** A loaded model. */
export interface Engine {
  readonly info: EngineInfo;
  /** Tokenizes text (never adds BOS); `special` parses special tokens such as `<think>` as single tokens. */
  tokenize(text: string, opts?: { special?: boolean }): number[];
  detokenize(tokens: number[]): string;
  /** The decoded text of one token on its own. */
  tokenPiece(token: number): string;
  /** True for end-of-generation tokens (EOS, `<|im_end|>`, ...). */
  isEog(token: number): boolean;
  /** Formats a chat (system/user messages) into prompt text, ending where the assistant starts thinking. */
  formatChat(messages: ChatMessage[]): string;
  /**
   * Opens a session whose sequence starts with `prompt` and evaluates it. A string is tokenized with
   * special tokens parsed, and the model's BOS is prepended when the model asks for one and the text
   * does not already start with it; token arrays are used as they are. At most `info.maxSessions`
   * are open at once: `open` waits (first come, first served) for one to close.
   */
  open(prompt: number[] | string, opts?: OpenOptions): Promise<Session>;
  /** Frees the model. */
  dispose(): Promise<void>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * A model's tokenizer and shape, without weights: what a remote engine needs locally to send
 * token ids (never text) and to read the pieces of the ids it gets back.
 */
export interface ModelTokenizer {
  readonly info: Pick<
    EngineInfo,
    'modelId' | 'architecture' | 'layers' | 'hiddenSize' | 'vocabSize' | 'contextSize'
  >;
  tokenize(text: string, opts?: { special?: boolean }): number[];
  detokenize(tokens: number[]): string;
  tokenPiece(token: number): string;
  isEog(token: number): boolean;
  formatChat(messages: ChatMessage[]): string;
  /** Tokens of a text prompt: special tokens parsed, BOS prepended where the model wants it. */
  promptTokens(text: string): number[];
  /** Frees what the tokenizer holds (a loaded file), where it holds something. */
  dispose?(): Promise<void>;
}
