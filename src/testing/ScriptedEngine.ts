/**
 * A scripted fake `Engine` for tests of policies, servers and pipelines without a model: it writes
 * what `continuation` says it would write next, so a test decides the reasoning, the cues and the
 * forced-exit answers in plain text. Tokens are pieces of a fixed vocabulary (the words of the
 * script, the chat and cue texts, and every printable ASCII character), matched longest first.
 * Sampling goes through the shared sampler: the scripted next piece has logit `confidence`, every
 * other piece 0, so temperature 0 follows the script exactly and higher temperatures stray from it.
 */
import { CHAT_FORMAT_NAMES, type ChatFormatName, formatChat } from '../engine/chatFormats.ts';
import { generateBySteps } from '../engine/generateBySteps.ts';
import {
  distributionFromLogits,
  entropyOf,
  logprobOf,
  type NextTokenDistribution,
  sampleToken,
  topLogprobsOf,
  uniformAt,
} from '../engine/sampler.ts';
import type {
  ChatMessage,
  Engine,
  EngineInfo,
  GenerateOptions,
  GenerateResult,
  Mark,
  OpenOptions,
  SampleOptions,
  Session,
  StepResult,
} from '../engine/types.ts';
import { UserError } from '../errors.ts';
import { DEER_EXIT_CUE, DEER_TRIAL_SUFFIX, DYNASOR_PROBE_SUFFIX, LYNX_EXIT_CUE } from '../reason/cueTexts.ts';

const EOS = '<|im_end|>';

/** Options of `createScriptedEngine`. */
export interface ScriptedEngineOptions {
  /**
   * What the model writes next, given the prompt text and what it has generated after it (the
   * session's text past the prompt, appended tokens included). '' ends the generation.
   */
  continuation: (generated: string, prompt: string) => string;
  /** Texts whose words become vocabulary pieces (the script's thinking and answers). */
  texts?: readonly string[];
  /** The final-norm hidden state after `generated` (default: a hash of the text, `hiddenSize` wide). */
  hidden?: (generated: string, prompt: string) => Float32Array;
  hiddenSize?: number;
  /** Logit of the scripted next piece (default 8; every other piece has 0). */
  confidence?: number;
  /** Chat format of `formatChat` (default chatml-think). */
  chatFormat?: ChatFormatName;
  /** Default sampling seed. */
  seed?: number;
}

/** Deterministic pseudo-features of a text (FNV-1a seeded per dimension). */
function hashFeatures(text: string, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    let h = (0x811c9dc5 ^ d) >>> 0;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    out[d] = h / 0xffffffff - 0.5;
  }
  return out;
}

/** The scripted engine; see the module comment. */
export class ScriptedEngine implements Engine {
  readonly info: EngineInfo;
  private readonly pieces: string[];
  private readonly ids = new Map<string, number>();
  private readonly maxPiece: number;
  private readonly eos: number;

  constructor(private readonly o: ScriptedEngineOptions) {
    const format = o.chatFormat ?? 'chatml-think';
    if (!CHAT_FORMAT_NAMES.includes(format)) throw new UserError(`unknown chat format ${format}`);
    const words = new Set<string>([EOS, '<|im_start|>', '<think>', '</think>', '\\boxed{']);
    for (let c = 32; c < 127; c++) words.add(String.fromCharCode(c));
    words.add('\n');
    const texts = [...(o.texts ?? []), LYNX_EXIT_CUE, DEER_EXIT_CUE, DEER_TRIAL_SUFFIX, DYNASOR_PROBE_SUFFIX];
    // Special markers stay single pieces (never glued to a neighbouring word), as in a real vocabulary.
    for (const t of texts)
      for (const part of t.split(/(<\|im_end\|>|<\|im_start\|>|<\/?think>)/))
        for (const w of part.match(/\s*[^\s{}]+|[{}]|\s+/g) ?? []) words.add(w);
    this.pieces = [...words];
    for (const [i, p] of this.pieces.entries()) this.ids.set(p, i);
    this.maxPiece = Math.max(...this.pieces.map((p) => p.length));
    this.eos = this.ids.get(EOS) ?? 0;
    this.info = {
      name: 'scripted',
      modelId: 'scripted',
      architecture: 'scripted',
      layers: 1,
      hiddenSize: o.hiddenSize ?? o.hidden?.('', '').length ?? 8,
      vocabSize: this.pieces.length,
      contextSize: 1 << 20,
      hiddenLayers: [-1],
      fullDistribution: true,
      maxSessions: 64,
    };
  }

  /** Longest-match tokenization over the fixed vocabulary. */
  tokenize(text: string): number[] {
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      let found = -1;
      for (let len = Math.min(this.maxPiece, text.length - i); len > 0 && found < 0; len--) {
        const id = this.ids.get(text.slice(i, i + len));
        if (id !== undefined) {
          found = id;
          i += len;
        }
      }
      if (found < 0) {
        // Outside the vocabulary (non-ASCII): the character becomes "?".
        found = this.ids.get('?') ?? 0;
        i++;
      }
      out.push(found);
    }
    return out;
  }

  detokenize(tokens: number[]): string {
    return tokens.map((t) => this.tokenPiece(t)).join('');
  }

  tokenPiece(token: number): string {
    return this.pieces[token] ?? '';
  }

  isEog(token: number): boolean {
    return token === this.eos;
  }

  formatChat(messages: ChatMessage[]): string {
    return formatChat(this.o.chatFormat ?? 'chatml-think', messages);
  }

  /** The next-token distribution after `tokens`, whose first `promptLength` are the prompt. */
  distribution(tokens: readonly number[], promptLength: number): NextTokenDistribution {
    const prompt = this.detokenize(tokens.slice(0, promptLength));
    const generated = this.detokenize(tokens.slice(promptLength));
    const next = this.o.continuation(generated, prompt);
    const target = next === '' ? this.eos : this.tokenize(next)[0];
    const logits = new Float64Array(this.pieces.length);
    logits[target] = this.o.confidence ?? 8;
    return distributionFromLogits(logits);
  }

  /** Hidden state after `tokens`. */
  hiddenAfter(tokens: readonly number[], promptLength: number): Float32Array {
    const prompt = this.detokenize(tokens.slice(0, promptLength));
    const generated = this.detokenize(tokens.slice(promptLength));
    return this.o.hidden?.(generated, prompt) ?? hashFeatures(prompt + generated, this.info.hiddenSize);
  }

  async open(prompt: number[] | string, _opts?: OpenOptions): Promise<Session> {
    const tokens = typeof prompt === 'string' ? this.tokenize(prompt) : [...prompt];
    if (tokens.length === 0) throw new UserError('prompt is empty');
    return new ScriptedSession(this, tokens, this.o.seed ?? 0);
  }

  async dispose(): Promise<void> {}
}

class ScriptedSession implements Session {
  private seq: number[];
  private readonly promptLength: number;
  private closed = false;

  constructor(
    private readonly engine: ScriptedEngine,
    prompt: number[],
    private readonly seed: number,
  ) {
    this.seq = prompt;
    this.promptLength = prompt.length;
  }

  get length(): number {
    return this.seq.length;
  }

  private check(): void {
    if (this.closed) throw new Error('session is closed');
  }

  private dist(): NextTokenDistribution {
    return this.engine.distribution(this.seq, this.promptLength);
  }

  generate(opts: GenerateOptions): Promise<GenerateResult> {
    return generateBySteps(this, opts);
  }

  async step(opts: SampleOptions): Promise<StepResult> {
    this.check();
    const dist = this.dist();
    const token = sampleToken(dist, opts, uniformAt(opts.seed ?? this.seed, this.seq.length));
    this.seq.push(token);
    return {
      token,
      piece: this.engine.tokenPiece(token),
      logprob: logprobOf(dist, token),
      isEog: this.engine.isEog(token),
    };
  }

  async append(tokens: number[]): Promise<void> {
    this.check();
    this.seq.push(...tokens);
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    this.check();
    for (const l of layers)
      if (l !== -1) throw new UserError(`the scripted engine has layer -1 only, not ${l}`);
    return layers.map(() => this.engine.hiddenAfter(this.seq, this.promptLength));
  }

  topLogprobs(k: number): Array<[number, number]> {
    return topLogprobsOf(this.dist(), k);
  }

  entropy(): number {
    return entropyOf(this.dist());
  }

  tokens(): number[] {
    return [...this.seq];
  }

  mark(): Mark {
    return { length: this.seq.length };
  }

  async rollback(mark: Mark): Promise<void> {
    this.check();
    if (mark.length < this.promptLength || mark.length > this.seq.length)
      throw new Error(
        `cannot roll back to ${mark.length} (prompt ${this.promptLength}, length ${this.seq.length})`,
      );
    this.seq = this.seq.slice(0, mark.length);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * A scripted engine that thinks `thinking`, then writes `</think>` and `answer`; after any forced
 * exit cue ending in `\boxed{` (LYNX's, DEER's trial) it writes `exitAnswer(generated)` (default:
 * the boxed content of `answer`) and stops.
 */
export function createScriptedEngine(
  script: {
    thinking: string;
    answer: string;
    exitAnswer?: (generated: string) => string;
  } & Omit<ScriptedEngineOptions, 'continuation'>,
): ScriptedEngine {
  const full = `${script.thinking}</think>${script.answer}`;
  const boxed = /\\boxed\{([^}]*)\}/.exec(script.answer)?.[1] ?? '';
  const exitAnswer = script.exitAnswer ?? (() => boxed);
  return new ScriptedEngine({
    ...script,
    texts: [...(script.texts ?? []), script.thinking, script.answer],
    continuation: (generated) => {
      if (full.startsWith(generated)) return full.slice(generated.length);
      const open = generated.lastIndexOf('\\boxed{');
      if (open >= 0) {
        const want = `${exitAnswer(generated.slice(0, open))}}`;
        const have = generated.slice(open + '\\boxed{'.length);
        return want.startsWith(have) ? want.slice(have.length) : '';
      }
      return '';
    },
  });
}
