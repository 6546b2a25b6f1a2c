/**
 * `lynx-exit collect`: roll out a data set's problems on a GGUF model, run a forced exit at every
 * cue, and append labelled events to an events store. Rerunning with the same --out continues.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type ChatFormatOption, parseChatFormatOption } from '../../engine/chatFormats.ts';
import { LlamaCppEngine } from '../../engine/llamacpp/LlamaCppEngine.ts';
import { UserError } from '../../errors.ts';
import { type CollectProgress, type CollectSummary, collectEvents } from '../../pipeline/collect.ts';
import { loadProblems } from '../../pipeline/problems.ts';
import { LYNX_EXIT_CUE } from '../../reason/cueTexts.ts';
import { resolveSplit, taskSpec } from '../../tasks/registry.ts';
import { isTestbedTask } from '../../tasks/testbedTasks.ts';

/** Parsed options of `collect`. */
export interface CollectCommandOptions {
  model: string;
  dataset: string;
  split?: string;
  slice?: 'train' | 'calib' | 'all';
  limit?: number;
  dataSeed: number;
  dataDir?: string;
  samples: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  maxTokens: number;
  exitMaxTokens: number;
  exitCue: string;
  layers: number[];
  syntheticNoCue: boolean;
  out: string;
  threads?: number;
  contextSize?: number;
  chatFormat: ChatFormatOption;
  progress: boolean;
}

/** Parses a number option, or throws a UserError naming it. */
export function numberOption(name: string, opts: { integer?: boolean; min?: number; max?: number }) {
  return (value: string): number => {
    const x = Number(value);
    const ok =
      value.trim() !== '' &&
      Number.isFinite(x) &&
      (!opts.integer || Number.isInteger(x)) &&
      (opts.min === undefined || x >= opts.min) &&
      (opts.max === undefined || x <= opts.max);
    if (!ok) {
      const range = [
        opts.min !== undefined ? `>= ${opts.min}` : '',
        opts.max !== undefined ? `<= ${opts.max}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new UserError(
        `--${name} must be ${opts.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${value}"`,
      );
    }
    return x;
  };
}

/** Parses a comma-separated number list ("9,16,-1"), or throws a UserError naming the option. */
export function numberListOption(name: string, opts: { integer?: boolean; min?: number; max?: number }) {
  const one = numberOption(name, opts);
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => p === '')) {
      throw new UserError(`--${name} must be a comma-separated list of numbers, got "${value}"`);
    }
    return parts.map((p) => {
      try {
        return one(p);
      } catch {
        throw new UserError(
          `--${name}: "${p}" in "${value}" is not ${opts.integer ? 'an integer' : 'a number'} in range`,
        );
      }
    });
  };
}

function parseSlice(value: string): 'train' | 'calib' | 'all' {
  if (value === 'train' || value === 'calib' || value === 'all') return value;
  throw new UserError(`--slice must be train, calib or all, got "${value}"`);
}

/**
 * Progress on stderr: a bar with ETA on a terminal, else a plain line every 5% (and at the end),
 * so logs of long runs stay readable.
 */
export class ProgressReporter {
  private bar: SingleBar | null = null;
  private lastPercent = -1;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly tty: boolean,
    private readonly write: (line: string) => void,
  ) {}

  /** Reports one step; `extra` is a short status (e.g. rows written). */
  update(done: number, total: number, extra: string): void {
    if (this.tty) {
      if (!this.bar) {
        this.bar = new SingleBar({
          format: `${this.label} [{bar}] {value}/{total} | ETA {eta_formatted} | {extra}`,
          stream: process.stderr,
          hideCursor: true,
        });
        this.bar.start(total, 0, { extra });
      }
      this.bar.update(done, { extra });
      return;
    }
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (done < total && percent < this.lastPercent + 5) return;
    this.lastPercent = percent;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = done > 0 && done < total ? ` eta ${formatSeconds((elapsed * (total - done)) / done)}` : '';
    this.write(
      `[${this.label}] ${done}/${total} (${percent}%) ${extra} elapsed ${formatSeconds(elapsed)}${eta}\n`,
    );
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s - 60 * m)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

/** One-paragraph summary of a run, for stderr. */
export function formatCollectSummary(s: CollectSummary): string {
  const lines = [
    `[collect] ${s.out}: ${s.rolloutsWritten} rollouts written, ${s.rolloutsSkipped} already there (of ${s.rolloutsTotal})${s.aborted ? ', stopped early' : ''}`,
    `[collect] this run: ${s.events} events (${s.positives} label 1, ${s.synthetic} synthetic), ${s.noCueRollouts} rollouts without a cue; store: ${s.rows} rows; ${s.seconds.toFixed(1)}s`,
  ];
  if (s.recoveredBytes > 0)
    lines.push(`[collect] dropped ${s.recoveredBytes} bytes of an interrupted rollout`);
  return `${lines.join('\n')}\n`;
}

/** The split a data set name and --split resolve to. */
function effectiveSplit(dataset: string, split: string | undefined): string {
  return isTestbedTask(dataset) ? (split ?? 'train') : resolveSplit(taskSpec(dataset), split);
}

/** The whole command: load problems and model, collect, report. */
export async function runCollect(
  o: CollectCommandOptions,
  err: (text: string) => void,
): Promise<CollectSummary> {
  const problems = loadProblems({
    dataset: o.dataset,
    split: o.split,
    slice: o.slice,
    limit: o.limit,
    dataSeed: o.dataSeed,
    dataDir: o.dataDir,
  });
  if (problems.length === 0) throw new UserError(`no problems selected from ${o.dataset}`);
  const engine = await LlamaCppEngine.load(o.model, {
    threads: o.threads,
    contextSize: o.contextSize,
    seed: o.seed,
    chatFormat: o.chatFormat,
    gpu: false,
  });
  const progress = new ProgressReporter('collect', o.progress && process.stderr.isTTY === true, err);
  const abort = new AbortController();
  // Ctrl-C finishes the rollout in flight and leaves a complete store (a second one kills).
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let rows = 0;
  let events = 0;
  try {
    const summary = await collectEvents(engine, problems, {
      out: o.out,
      layers: o.layers,
      samples: o.samples,
      temperature: o.temperature,
      topP: o.topP,
      topK: o.topK,
      seed: o.seed,
      maxTokens: o.maxTokens,
      exitMaxTokens: o.exitMaxTokens,
      exitCue: o.exitCue,
      syntheticNoCue: o.syntheticNoCue,
      signal: abort.signal,
      settings: {
        dataset: o.dataset,
        // Effective values, so naming a default explicitly on a rerun still continues the store.
        split: effectiveSplit(o.dataset, o.split),
        slice: o.slice ?? 'all',
        dataSeed: o.dataSeed,
        limit: o.limit ?? null,
        contextSize: engine.info.contextSize,
      },
      onRollout: (p: CollectProgress) => {
        rows = p.rows;
        events += p.events;
        if (o.progress) progress.update(p.done, p.total, `${rows} rows, +${events} new`);
      },
    });
    progress.stop();
    err(formatCollectSummary(summary));
    return summary;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    await engine.dispose();
  }
}

/** Registers `collect`. */
export function register(program: Command): void {
  program
    .command('collect')
    .description('roll out problems, detect cues, run forced exits, write labelled events (resumable)')
    .requiredOption('-m, --model <file>', 'GGUF model file')
    .requiredOption(
      '-d, --dataset <name>',
      'task (gsm8k, math500, math_train, ..., testbed, testbed-arith, ...)',
    )
    .requiredOption(
      '-o, --out <prefix>',
      'events store prefix: writes PREFIX.jsonl, PREFIX.f32, PREFIX.meta.json',
    )
    .option('--split <name>', 'split of the data set (testbed: train or heldout)')
    .option(
      '--slice <slice>',
      'math_train / testbed: LYNX probe-training slice "train", calibration slice "calib", or "all"',
      parseSlice,
    )
    .option(
      '--limit <n>',
      'use the first n problems (testbed: generate n; default 200)',
      numberOption('limit', { integer: true, min: 1 }),
    )
    .option(
      '--data-seed <n>',
      'seed of the slice permutations / testbed problem generation',
      numberOption('data-seed', { integer: true, min: 0 }),
      42,
    )
    .option(
      '--data-dir <dir>',
      'folder holding <task>/<file> (default: $LYNX_DATA_DIR, ../shared/data, the pull cache)',
    )
    .option('--samples <n>', 'rollouts per problem', numberOption('samples', { integer: true, min: 1 }), 1)
    .option(
      '-t, --temperature <t>',
      'rollout sampling temperature',
      numberOption('temperature', { min: 0 }),
      0.6,
    )
    .option('--top-p <p>', 'rollout nucleus mass', numberOption('top-p', { min: 0, max: 1 }), 0.95)
    .option(
      '--top-k <k>',
      'keep the k most likely tokens (0 = all)',
      numberOption('top-k', { integer: true, min: 0 }),
      0,
    )
    .option(
      '--seed <n>',
      'base sampling seed (each rollout: hash of seed, problem, sample)',
      numberOption('seed', { integer: true, min: 0 }),
      0,
    )
    .option(
      '-n, --max-tokens <n>',
      'most thinking + answer tokens per rollout (clamped to the context)',
      numberOption('max-tokens', { integer: true, min: 1 }),
      12048,
    )
    .option(
      '--exit-max-tokens <n>',
      'most tokens of a forced-exit answer',
      numberOption('exit-max-tokens', { integer: true, min: 1 }),
      64,
    )
    .option('--exit-cue <text>', 'text appended to force an answer', LYNX_EXIT_CUE)
    .option(
      '--layers <list>',
      'engine layers whose hidden states are concatenated (-1 = final norm)',
      numberListOption('layers', { integer: true, min: -1 }),
      [-1],
    )
    .option('--synthetic-no-cue', "LYNX's fallback: one event at 70% of a rollout that has no cue", false)
    .option(
      '--threads <n>',
      'CPU threads (default: 1 for tiny models, else 2)',
      numberOption('threads', { integer: true, min: 1 }),
    )
    .option(
      '--context-size <n>',
      'context size in tokens',
      numberOption('context-size', { integer: true, min: 16 }),
    )
    .option(
      '--chat-format <name>',
      'auto, chatml-think, deepseek-r1 or qwen3-thinking',
      parseChatFormatOption,
      'auto',
    )
    .option('--no-progress', 'no progress output')
    .action(async (opts: CollectCommandOptions) => {
      await runCollect(opts, (t) => process.stderr.write(t));
    });
}
