/**
 * `lynx-exit collect`: roll out a data set's problems on a GGUF model, run a forced exit at every
 * cue, and append labelled events to an events store. Rerunning with the same --out continues.
 */
import type { Command } from 'commander';
import type { Engine } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { type CollectProgress, type CollectSummary, collectEvents } from '../../pipeline/collect.ts';
import { loadProblems } from '../../pipeline/problems.ts';
import { LYNX_EXIT_CUE } from '../../reason/cueTexts.ts';
import { resolveSplit, taskSpec } from '../../tasks/registry.ts';
import { isTestbedTask, type TestbedSlice } from '../../tasks/testbedTasks.ts';
import { openEngine } from '../openEngine.ts';
import {
  addEngineOptions,
  dataSeedOption,
  type EngineCommandOptions,
  exitMaxTokensOption,
  maxTokensOption,
  modelOption,
  numberListOption,
  numberOption,
  parseSlice,
  temperatureOption,
  topKOption,
  topPOption,
} from '../options.ts';
import { ProgressReporter } from '../progress.ts';

/** Parsed options of `collect`. */
export interface CollectCommandOptions extends EngineCommandOptions {
  model: string;
  dataset: string;
  split?: string;
  slice?: TestbedSlice | 'all';
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
  progress: boolean;
  parallel: number;
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
  use: {
    /** Runs on the loaded engine before any decoding (audit: the bundle must fit the model). */
    check?: (engine: Engine) => Promise<void>;
    /** An engine already loaded (the demo's); the caller keeps owning it. Default: load `o.model`. */
    engine?: Engine;
  } = {},
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
  const owned = use.engine === undefined;
  const engine = use.engine ?? (await openEngine(o));
  try {
    await use.check?.(engine);
  } catch (e) {
    if (owned) await engine.dispose();
    throw e;
  }
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
      parallel: o.parallel,
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
    if (owned) await engine.dispose();
  }
}

/** The `collect` command's help and options, without its action (`register` and the demo parse with it). */
export function defineCollect(cmd: Command): Command {
  return addEngineOptions(
    cmd
      .description('roll out problems, detect cues, run forced exits, write labelled events (resumable)')
      .addOption(modelOption())
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
        'math_train / testbed: LYNX probe-training slice "train", calibration slice "calib", "all"; testbed also "dev" and "test" (the evaluation third\'s halves)',
        parseSlice,
      )
      .option(
        '--limit <n>',
        'use the first n problems (testbed: generate n; default 200)',
        numberOption('limit', { integer: true, min: 1 }),
      )
      .addOption(dataSeedOption('seed of the slice permutations / testbed problem generation'))
      .option(
        '--data-dir <dir>',
        'folder holding <task>/<file> (default: $LYNX_DATA_DIR, else the pull cache)',
      )
      .option('--samples <n>', 'rollouts per problem', numberOption('samples', { integer: true, min: 1 }), 1)
      .addOption(temperatureOption('rollout sampling temperature'))
      .addOption(topPOption('rollout nucleus mass'))
      .addOption(topKOption())
      .option(
        '--seed <n>',
        'base sampling seed (each rollout: hash of seed, problem, sample)',
        numberOption('seed', { integer: true, min: 0 }),
        0,
      )
      .addOption(maxTokensOption('most thinking + answer tokens per rollout (clamped to the context)'))
      .addOption(exitMaxTokensOption())
      .option('--exit-cue <text>', 'text appended to force an answer', LYNX_EXIT_CUE)
      .option(
        '--layers <list>',
        'engine layers whose hidden states are concatenated (-1 = final norm)',
        numberListOption('layers', { integer: true, min: -1 }),
        [-1],
      )
      .option('--synthetic-no-cue', "LYNX's fallback: one event at 70% of a rollout that has no cue", false),
    { default: 1, what: 'rollouts' },
  ).option('--no-progress', 'no progress output');
}

/** Registers `collect`. */
export function register(program: Command): void {
  defineCollect(program.command('collect')).action(async (opts: CollectCommandOptions) => {
    await runCollect(opts, (t) => process.stderr.write(t));
  });
}
