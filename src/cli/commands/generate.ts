/**
 * `lynx-exit generate --model FILE.gguf "prompt"`: streams a plain generation to stdout and a
 * stats line to stderr. The loop is `generateText`, which takes per-token hooks so early-exit
 * options (a LYNX bundle, --delta) can be added without touching the engine or the streaming.
 */
import type { Command } from 'commander';
import { LlamaCppEngine } from '../../engine/llamacpp/LlamaCppEngine.ts';
import type { Engine, SampleOptions, Session, StepResult } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { loadBundleFor } from '../../pipeline/fingerprint.ts';
import { lynxPolicy } from '../../reason/policies/lynx.ts';
import { runReasoning } from '../../reason/runReasoning.ts';
import type { ExitPolicy, ReasoningTrace } from '../../reason/types.ts';
import {
  chatFormatOption,
  contextSizeOption,
  type EngineCommandOptions,
  gpuOption,
  lynxLevelFromFlags,
  lynxLevelOptions,
  numberOption,
  threadsOption,
  topKOption,
} from '../options.ts';

/** Parsed options of `generate`. */
export interface GenerateCommandOptions extends EngineCommandOptions {
  model: string;
  prompt: string;
  system?: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  raw: boolean;
  /** LYNX bundle: exit thinking early at the level below. */
  bundle?: string;
  delta?: number;
  alpha?: number;
  epsilon?: number;
}

/** Where output goes (process streams in the CLI, buffers in tests). */
export interface OutputSinks {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Why a generation stopped. */
export type StopReason = 'eog' | 'max-tokens' | 'context-full' | 'hook';

/** Per-token hook: return 'stop' to end the generation (the place for early-exit policies). */
export type TokenHook = (
  step: StepResult,
  session: Session,
) => 'stop' | undefined | Promise<'stop' | undefined>;

/** The result of `generateText`. */
export interface GenerationResult {
  tokens: number[];
  text: string;
  stop: StopReason;
  promptTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
}

/**
 * Streams text decoded from tokens: buffers tokens while their text ends in an incomplete UTF-8
 * sequence (U+FFFD), so multi-byte characters split over byte tokens come out whole.
 */
export class TextStreamer {
  private pending: number[] = [];
  constructor(
    private readonly engine: Engine,
    private readonly write: (text: string) => void,
  ) {}
  /** Adds a token; writes whatever text is complete. */
  push(token: number): void {
    this.pending.push(token);
    const text = this.engine.detokenize(this.pending);
    if (text.endsWith('\uFFFD') && this.pending.length < 4) return;
    this.write(text);
    this.pending = [];
  }
  /** Writes what is left. */
  flush(): void {
    if (this.pending.length > 0) this.write(this.engine.detokenize(this.pending));
    this.pending = [];
  }
}

/** Runs one generation on `engine` from `prompt` (text or tokens), calling `onToken` after each token. */
export async function generateText(
  engine: Engine,
  prompt: string | number[],
  opts: { maxTokens: number; sample: SampleOptions; onToken?: TokenHook; onText?: (text: string) => void },
): Promise<GenerationResult> {
  const t0 = performance.now();
  const session = await engine.open(prompt);
  const promptTokens = session.length;
  const t1 = performance.now();
  const streamer = new TextStreamer(engine, opts.onText ?? (() => {}));
  const tokens: number[] = [];
  let stop: StopReason = 'max-tokens';
  try {
    while (tokens.length < opts.maxTokens) {
      if (session.length >= engine.info.contextSize) {
        stop = 'context-full';
        break;
      }
      const step = await session.step(opts.sample);
      tokens.push(step.token);
      if (step.isEog) {
        stop = 'eog';
        break;
      }
      streamer.push(step.token);
      if ((await opts.onToken?.(step, session)) === 'stop') {
        stop = 'hook';
        break;
      }
    }
    streamer.flush();
  } finally {
    await session.close();
  }
  const t2 = performance.now();
  const text = engine.detokenize(tokens.filter((t) => !engine.isEog(t)));
  return {
    tokens,
    text,
    stop,
    promptTokens,
    prefillSeconds: (t1 - t0) / 1000,
    decodeSeconds: (t2 - t1) / 1000,
  };
}

/** The prompt the options ask for: the chat-formatted messages, or the raw text. */
export function buildPrompt(engine: LlamaCppEngine, o: GenerateCommandOptions): string {
  if (o.raw) return o.prompt;
  const messages = [
    ...(o.system !== undefined ? [{ role: 'system' as const, content: o.system }] : []),
    { role: 'user' as const, content: o.prompt },
  ];
  return engine.formatChat(messages);
}

/** One-line stats for stderr. */
export function formatStats(r: GenerationResult): string {
  const rate = (n: number, s: number) => (s > 0 ? (n / s).toFixed(1) : 'n/a');
  return (
    `[generate] prompt ${r.promptTokens} tok (${rate(r.promptTokens, r.prefillSeconds)} tok/s), ` +
    `generated ${r.tokens.length} tok (${rate(r.tokens.length, r.decodeSeconds)} tok/s), stop: ${r.stop}\n`
  );
}

/** The whole command: load, format, stream, report. */
export async function runGenerate(o: GenerateCommandOptions, out: OutputSinks): Promise<GenerationResult> {
  const engine = await LlamaCppEngine.load(o.model, {
    threads: o.threads,
    contextSize: o.contextSize,
    seed: o.seed,
    chatFormat: o.chatFormat,
    gpu: o.gpu,
  });
  try {
    if (o.bundle) return await runLynxGenerate(engine, o, out);
    if (o.delta !== undefined || o.alpha !== undefined)
      throw new UserError('--delta / --alpha need a LYNX bundle (--bundle B.lynx.json)');
    const result = await generateText(engine, buildPrompt(engine, o), {
      maxTokens: o.maxTokens,
      sample: { temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed },
      onText: out.stdout,
    });
    out.stdout('\n');
    out.stderr(formatStats(result));
    return result;
  } finally {
    await engine.dispose();
  }
}

/**
 * Generation with LYNX early exit, through the same reasoning loop as eval and the server. A cue
 * exit rolls the cue token back, so one thinking token is held back before it is printed.
 */
async function runLynxGenerate(
  engine: LlamaCppEngine,
  o: GenerateCommandOptions,
  out: OutputSinks,
): Promise<GenerationResult> {
  const bundle = await loadBundleFor(o.bundle!, engine);
  const base = lynxPolicy({ bundle, ...lynxLevelFromFlags(o) });
  let exiting = false;
  const policy: ExitPolicy = {
    ...base,
    onCue: async (ctx, cue, record, state) => {
      const d = await base.onCue!(ctx, cue, record, state);
      if (d.action === 'exit') exiting = true;
      return d;
    },
  };
  let held: string | null = null;
  let answerStarted = false;
  const started = performance.now();
  const trace: ReasoningTrace = await runReasoning(engine, buildPrompt(engine, o), policy, {
    sample: { temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed },
    maxTokens: o.maxTokens,
    onToken: ({ piece, role }) => {
      if (role === 'probe') return;
      if (role === 'answer' && !answerStarted) {
        answerStarted = true;
        if (held !== null && !exiting) out.stdout(held);
        held = null;
        if (exiting) out.stdout(bundle.data.exitCue);
      }
      if (role === 'answer') return out.stdout(piece);
      if (held !== null) out.stdout(held);
      held = piece;
    },
  });
  if (held !== null && !exiting) out.stdout(held);
  out.stdout('\n');
  const seconds = (performance.now() - started) / 1000;
  const c = trace.counts;
  out.stderr(
    `[generate] ${trace.exit.reason === 'cue-exit' ? `LYNX exit at thinking token ${trace.exit.position}` : `no early exit (${trace.exit.reason})`}; ` +
      `thinking ${c.keptThinking} tok, answer ${c.answer} tok, ${seconds.toFixed(2)} s\n`,
  );
  return {
    tokens: trace.tokens.filter((t) => t.kept && t.role !== 'probe').map((t) => t.token),
    text: trace.text,
    stop: trace.exit.reason === 'cue-exit' ? 'hook' : trace.finish === 'length' ? 'max-tokens' : 'eog',
    promptTokens: engine.tokenize(buildPrompt(engine, o), { special: true }).length,
    prefillSeconds: 0,
    decodeSeconds: seconds,
  };
}

/** Registers `generate`. */
export function register(program: Command): void {
  const [delta, alpha, epsilon] = lynxLevelOptions('');
  program
    .command('generate')
    .description('stream a generation from a GGUF model (llama.cpp, CPU)')
    .argument('<prompt>', 'the user message (or the raw prompt text with --raw)')
    .requiredOption('-m, --model <file>', 'GGUF model file')
    .option('--system <text>', 'system message (chat formats only)')
    .option(
      '-n, --max-tokens <n>',
      'most tokens to generate',
      numberOption('max-tokens', { integer: true, min: 1 }),
      512,
    )
    .option(
      '-t, --temperature <t>',
      'sampling temperature (0 = greedy)',
      numberOption('temperature', { min: 0 }),
      0.6,
    )
    .option('--top-p <p>', 'nucleus sampling mass', numberOption('top-p', { min: 0, max: 1 }), 0.95)
    .addOption(topKOption())
    .option('--seed <n>', 'sampling seed', numberOption('seed', { integer: true, min: 0 }), 0)
    .addOption(chatFormatOption())
    .option('--raw', 'use the prompt as it is (no chat template)', false)
    .option('-b, --bundle <file>', 'LYNX bundle (*.lynx.json): exit thinking early when it is safe')
    .addOption(delta)
    .addOption(alpha)
    .addOption(epsilon)
    .addOption(threadsOption())
    .addOption(gpuOption())
    .addOption(contextSizeOption())
    .action(async (prompt: string, opts: Omit<GenerateCommandOptions, 'prompt'>) => {
      await runGenerate(
        { ...opts, prompt },
        { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
      );
    });
}
