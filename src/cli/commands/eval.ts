/**
 * `lynx-exit eval`: run methods (vanilla, LYNX at several δ, DEER, Dynasor, the oracle, ...) on the
 * same problems with the same sampling seeds; write results.jsonl, summary.json and report.html,
 * and print the summary table. Rerunning with the same --out continues.
 */
import type { Command } from 'commander';
import { DEFAULT_DELTA } from '../../conformal/riskLevel.ts';
import type { Engine } from '../../engine/types.ts';
import { UserError } from '../../errors.ts';
import { checkMethodOptions, methodOptionsHelp, parseMethodSpecs } from '../../pipeline/eval/methodSpec.ts';
import { type EvalResult, runEval } from '../../pipeline/eval/runEval.ts';
import { DEFAULT_EVAL_SEEDS } from '../../pipeline/eval/seeds.ts';
import { DEFAULT_TOLERANCE } from '../../pipeline/eval/tuning.ts';
import { formatTuning } from '../../pipeline/eval/tuningTable.ts';
import type { TestbedSlice } from '../../tasks/testbedTasks.ts';
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
  topKOption,
  topPOption,
} from '../options.ts';
import { ProgressReporter } from '../progress.ts';

/** Parsed options of `eval`. */
export interface EvalCommandOptions extends EngineCommandOptions {
  model: string;
  bundle?: string;
  datasets: string;
  /** Absent: `defaultMethods(bundle given)`. */
  methods?: string;
  temperatures: number[];
  seeds: number[];
  devSeeds?: number[];
  limit?: number;
  devLimit?: number;
  split?: string;
  slice?: TestbedSlice | 'all';
  dataSeed: number;
  dataDir?: string;
  maxTokens: number;
  exitMaxTokens: number;
  topP: number;
  topK: number;
  labels: boolean;
  tune: boolean;
  /** Accuracy points (1 = one point). */
  tolerance: number;
  reportTraces: number;
  out: string;
  progress: boolean;
  parallel: number;
}

function listOf(name: string, text: string): string[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new UserError(`--${name}: empty list`);
  return parts;
}

/** The methods eval runs when --methods is not given: the peers, and LYNX at the default δ when there is a bundle. */
export function defaultMethods(withBundle: boolean): string {
  return withBundle
    ? `vanilla,lynx:delta=${DEFAULT_DELTA},deer,dynasor,oracle`
    : 'vanilla,deer,dynasor,oracle';
}

/** The whole command: run the eval with progress on stderr, print the table on stdout. */
export async function runEvalCommand(
  o: EvalCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void,
  /** An engine already loaded (the demo's); the caller keeps owning it. Default: load `o.model`. */
  loaded?: Engine,
): Promise<EvalResult> {
  const methods = parseMethodSpecs(o.methods ?? defaultMethods(o.bundle !== undefined));
  // Bad options are reported before a (possibly large) model is loaded.
  for (const m of methods) checkMethodOptions(m);
  const datasets = listOf('datasets', o.datasets).map((task) => ({
    task,
    split: o.split,
    slice: o.slice,
    limit: o.limit,
    devLimit: o.devLimit,
    dataSeed: o.dataSeed,
  }));
  const progress = new ProgressReporter('eval', o.progress && process.stderr.isTTY === true, err);
  const abort = new AbortController();
  // Ctrl-C finishes nothing more: the run in flight is dropped, every written row stays (a second one kills).
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const engine = loaded ?? (await openEngine(o));
  try {
    const result = await runEval({
      engine,
      bundle: o.bundle,
      methods,
      datasets,
      temperatures: o.temperatures,
      seeds: o.seeds,
      devSeeds: o.devSeeds,
      maxTokens: o.maxTokens,
      answerMaxTokens: o.exitMaxTokens,
      topP: o.topP,
      topK: o.topK,
      labels: o.labels,
      tune: o.tune,
      tolerance: o.tolerance / 100,
      parallel: o.parallel,
      out: o.out,
      dataDir: o.dataDir,
      reportTraces: o.reportTraces,
      signal: abort.signal,
      onProgress: (p) => {
        if (o.progress) progress.update(p.done, p.total, `${p.written} new, ${p.dataset} ${p.label}`);
      },
    });
    progress.stop();
    out(result.table + formatTuning(result.summary));
    err(
      `[eval] ${result.written} runs written, ${result.skipped} already there${result.aborted ? ', stopped early' : ''}; ` +
        `${result.seconds.toFixed(1)}s\n[eval] ${result.paths.results}\n[eval] ${result.paths.summary}\n[eval] ${result.paths.report}\n`,
    );
    if (result.recoveredBytes > 0)
      err(`[eval] dropped ${result.recoveredBytes} bytes of an interrupted row\n`);
    return result;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    if (!loaded) await engine.dispose();
  }
}

/** The `eval` command's help and options, without its action (`register` and the demo parse with it). */
export function defineEval(cmd: Command): Command {
  return addEngineOptions(
    cmd
      .description(
        'compare LYNX and its peers over datasets, temperatures and seeds (resumable; writes an HTML report)',
      )
      .addOption(modelOption())
      .requiredOption(
        '-d, --datasets <list>',
        'comma-separated tasks (gsm8k, math500, ..., testbed-arith; arith = testbed-arith)',
      )
      .requiredOption('-o, --out <dir>', 'output folder: results.jsonl, summary.json, report.html')
      .option('-b, --bundle <file>', 'LYNX bundle (*.lynx.json), needed by lynx methods')
      .option(
        '--methods <list>',
        `methods: name or name:key=value,... (e.g. lynx:delta=[0.1,0.2], deer:threshold=0.8..0.99/4, fixed-budget:budget=50%; the syntax, every method and option are listed below) (default: ${defaultMethods(false)}; with --bundle ${defaultMethods(true)})`,
      )
      .option(
        '-t, --temperatures <list>',
        'sampling temperatures',
        numberListOption('temperatures', { min: 0 }),
        [0.6],
      )
      .option(
        '--seeds <list>',
        'seeds (each gives every method the same sampling seed per problem)',
        numberListOption('seeds', { integer: true, min: 0 }),
        [...DEFAULT_EVAL_SEEDS],
      )
      .option(
        '--limit <n>',
        'first n problems of each data set (testbed: generate n)',
        numberOption('limit', { integer: true, min: 1 }),
      )
      .option(
        '--dev-limit <n>',
        'first n dev problems of each data set, where --tune chooses and N% is sized (default: --limit)',
        numberOption('dev-limit', { integer: true, min: 1 }),
      )
      .option(
        '--dev-seeds <list>',
        'seeds on dev (default: --seeds)',
        numberListOption('dev-seeds', { integer: true, min: 0 }),
      )
      .option('--split <name>', 'split (default: the task default; testbed: heldout)')
      .option(
        '--slice <slice>',
        'the slice reported on: train, calib, dev, test or all (default: testbed test; benchmarks all, with --tune test)',
        parseSlice,
      )
      .option(
        '--tune',
        "choose each family's setting on the dev slice (fewest tokens within --tolerance of vanilla's accuracy) and report it on --slice: every method runs on both",
        false,
      )
      .option(
        '--tolerance <points>',
        "accuracy points below vanilla's that a chosen setting may lose",
        numberOption('tolerance', { min: 0, max: 99 }),
        DEFAULT_TOLERANCE * 100,
      )
      .addOption(dataSeedOption("seed of testbed problem generation and of a benchmark's dev/test partition"))
      .option('--data-dir <dir>', 'folder holding <task>/<file>')
      .addOption(maxTokensOption('most thinking + answer tokens per run'))
      .addOption(exitMaxTokensOption())
      .addOption(topPOption('nucleus mass'))
      .addOption(topKOption())
      .option('--no-labels', 'skip the cue-label pass (no premature-exit rate, no labels in the viewer)')
      .option(
        '--report-traces <n>',
        'problem instances in the report trace viewer',
        numberOption('report-traces', { integer: true, min: 0 }),
        200,
      ),
    { default: 1, what: 'runs' },
  )
    .option('--no-progress', 'no progress output')
    .addHelpText('after', `\n${methodOptionsHelp()}`);
}

/** Registers `eval`. */
export function register(program: Command): void {
  defineEval(program.command('eval')).action(async (opts: EvalCommandOptions) => {
    await runEvalCommand(
      opts,
      (t) => process.stdout.write(t),
      (t) => process.stderr.write(t),
    );
  });
}
