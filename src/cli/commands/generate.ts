/**
 * `lynx-exit generate --model FILE.gguf "prompt"`: streams a generation to stdout and a stats line
 * to stderr, through the same reasoning loop as eval and the server (with --bundle: LYNX exits).
 */
import type { Command } from 'commander';
import { TokenTextDecoder } from '../../engine/textDecoder.ts';
import type { Engine } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { loadBundleFor } from '../../pipeline/fingerprint.ts';
import { lynxPolicy } from '../../reason/policies/lynx.ts';
import { vanillaPolicy } from '../../reason/policies/simple.ts';
import { runReasoning } from '../../reason/runReasoning.ts';
import type { ExitPolicy, ReasoningTrace } from '../../reason/types.ts';
import { openEngine } from '../openEngine.ts';
import {
  addEngineOptions,
  type EngineCommandOptions,
  lynxLevelFromFlags,
  lynxLevelOptions,
  modelOption,
  numberOption,
  temperatureOption,
  topKOption,
  topPOption,
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
export type StopReason = 'eog' | 'max-tokens' | 'lynx-exit' | 'aborted';

/** The result of `runGenerate`. */
export interface GenerationResult {
  /** Generated tokens kept in the sequence (thinking and answer; a LYNX exit's cue and probe tokens excluded). */
  tokens: number[];
  text: string;
  stop: StopReason;
  promptTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
  trace: ReasoningTrace;
  /** True when a LYNX bundle decided at the cues. */
  lynx: boolean;
}

/** The prompt the options ask for: the chat-formatted messages, or the raw text. */
export function buildPrompt(engine: Engine, o: GenerateCommandOptions): string {
  if (o.raw) return o.prompt;
  const messages = [
    ...(o.system !== undefined ? [{ role: 'system' as const, content: o.system }] : []),
    { role: 'user' as const, content: o.prompt },
  ];
  return engine.formatChat(messages);
}

/** One-line stats for stderr; with a LYNX exit, where it happened. */
export function formatStats(r: GenerationResult): string {
  const rate = (n: number, s: number) => (s > 0 ? (n / s).toFixed(1) : 'n/a');
  const t = r.trace;
  const cue = t.exit.cueEvent !== undefined ? t.cueEvents[t.exit.cueEvent] : undefined;
  const exit = !r.lynx
    ? ''
    : r.stop === 'lynx-exit' && cue
      ? `; LYNX exit at thinking token ${t.exit.position} ("${cue.text.trim()}"${cue.p !== undefined ? `, p ${cue.p.toFixed(3)}` : ''}), thinking ${t.counts.keptThinking} tok, answer ${t.counts.answer} tok`
      : `; no early exit (${t.exit.reason})`;
  return (
    `[generate] prompt ${r.promptTokens} tok (${rate(r.promptTokens, r.prefillSeconds)} tok/s), ` +
    `generated ${r.tokens.length} tok (${rate(r.tokens.length, r.decodeSeconds)} tok/s), stop: ${r.stop}${exit}\n`
  );
}

/**
 * The whole command: load, format, then the reasoning loop every other command uses (vanilla, or
 * LYNX with --bundle), streaming text as it comes. A LYNX cue exit rolls the cue token back, so the
 * last thinking text is held back until it is clear it stays.
 */
export async function runGenerate(o: GenerateCommandOptions, out: OutputSinks): Promise<GenerationResult> {
  if (!o.bundle && (o.delta !== undefined || o.alpha !== undefined))
    throw new UserError('--delta / --alpha need a LYNX bundle (--bundle B.lynx.json)');
  const engine = await openEngine(o);
  try {
    const bundle = o.bundle ? await loadBundleFor(o.bundle, engine) : undefined;
    let exiting = false;
    const base = bundle ? lynxPolicy({ bundle, ...lynxLevelFromFlags(o) }) : vanillaPolicy();
    const policy: ExitPolicy = base.onCue
      ? {
          ...base,
          onCue: async (ctx, cue, record, state) => {
            const d = await base.onCue!(ctx, cue, record, state);
            if (d.action === 'exit') exiting = true;
            return d;
          },
        }
      : base;
    const decoder = new TokenTextDecoder(engine);
    let held = '';
    let answerStarted = false;
    let firstToken: number | undefined;
    const started = performance.now();
    const prompt = buildPrompt(engine, o);
    const trace = await runReasoning(engine, prompt, policy, {
      sample: { temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed },
      maxTokens: o.maxTokens,
      // Only a LYNX exit appends a forced answer; without a bundle the context need not keep room for one.
      ...(bundle ? {} : { answerMaxTokens: 1 }),
      onToken: ({ token, role }) => {
        firstToken ??= performance.now();
        if (role === 'probe' || engine.isEog(token)) return;
        if (role === 'answer' && !answerStarted) {
          answerStarted = true;
          if (!exiting) out.stdout(held + decoder.flush());
          held = '';
          if (exiting && bundle) out.stdout(bundle.data.exitCue);
        }
        const text = decoder.push(token);
        if (role === 'answer') return out.stdout(text);
        out.stdout(held);
        held = text;
      },
    });
    if (!exiting) out.stdout(held + decoder.flush());
    out.stdout('\n');
    const ended = performance.now();
    const tokens = trace.tokens
      .filter((t) => t.kept && t.role !== 'probe' && !engine.isEog(t.token))
      .map((t) => t.token);
    const result: GenerationResult = {
      tokens,
      text: trace.text,
      stop:
        trace.exit.reason === 'cue-exit'
          ? 'lynx-exit'
          : trace.finish === 'length'
            ? 'max-tokens'
            : trace.finish === 'aborted'
              ? 'aborted'
              : 'eog',
      promptTokens: trace.promptTokens,
      prefillSeconds: ((firstToken ?? ended) - started) / 1000,
      decodeSeconds: (ended - (firstToken ?? ended)) / 1000,
      trace,
      lynx: bundle !== undefined,
    };
    out.stderr(formatStats(result));
    return result;
  } finally {
    await engine.dispose();
  }
}

/** Registers `generate`. */
export function register(program: Command): void {
  const [delta, alpha, epsilon] = lynxLevelOptions('');
  addEngineOptions(
    program
      .command('generate')
      .description('stream a generation from a GGUF model (in-process llama.cpp, or an SGLang server)')
      .argument('<prompt>', 'the user message (or the raw prompt text with --raw)')
      .addOption(modelOption())
      .option('--system <text>', 'system message (chat formats only)')
      .option(
        '-n, --max-tokens <n>',
        'most tokens to generate',
        numberOption('max-tokens', { integer: true, min: 1 }),
        512,
      )
      .addOption(temperatureOption('sampling temperature (0 = greedy)'))
      .addOption(topPOption('nucleus sampling mass'))
      .addOption(topKOption())
      .option('--seed <n>', 'sampling seed', numberOption('seed', { integer: true, min: 0 }), 0)
      .option('--raw', 'use the prompt as it is (no chat template)', false)
      .option('-b, --bundle <file>', 'LYNX bundle (*.lynx.json): exit thinking early when it is safe')
      .addOption(delta)
      .addOption(alpha)
      .addOption(epsilon),
  ).action(async (prompt: string, opts: Omit<GenerateCommandOptions, 'prompt'>) => {
    await runGenerate(
      { ...opts, prompt },
      { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
    );
  });
}
