/**
 * `lynx-exit demo`: the main job on the shipped testbed model, in a few minutes: collect probe data
 * on `arith` and fit a bundle (skipped when the bundle already exists), then evaluate LYNX against
 * its peers on held-out problems of all three testbed families, print the table and write the HTML
 * report. Each step is printed as the command line a user would type; its options are parsed by
 * that command's own definition (so defaults are the command's) and it runs in this process on one
 * loaded model.
 */
import { existsSync, rmSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { DEFAULT_EVAL_SEEDS } from '../../pipeline/eval/seeds.ts';
import { openEngine } from '../openEngine.ts';
import { numberOption } from '../options.ts';
import { type CollectCommandOptions, defineCollect, runCollect } from './collect.ts';
import { defineEval, type EvalCommandOptions, runEvalCommand } from './eval.ts';
import { defineFit, type FitCommandOptions, runFit } from './fit.ts';

/** Options of the demo. */
export interface DemoOptions {
  model: string;
  bundle: string;
  out: string;
  refit: boolean;
  collectLimit: number;
  limit: number;
  seeds: string;
  temperatures: string;
  maxTokens: number;
}

/** The subcommands the demo runs, as argument lists. */
export function demoSteps(o: DemoOptions, bundleExists: boolean): string[][] {
  const steps: string[][] = [];
  if (o.refit || !bundleExists) {
    for (const slice of ['train', 'calib']) {
      steps.push([
        'collect',
        '--model',
        o.model,
        '--dataset',
        'testbed-arith',
        '--split',
        'heldout',
        '--slice',
        slice,
        '--limit',
        String(o.collectLimit),
        '--temperature',
        '0.6',
        '--max-tokens',
        String(o.maxTokens),
        '--out',
        `${o.out}/events-arith-${slice}`,
      ]);
    }
    steps.push([
      'fit',
      '--train',
      `${o.out}/events-arith-train`,
      '--calib',
      `${o.out}/events-arith-calib`,
      '--out',
      o.bundle,
    ]);
  }
  steps.push([
    'eval',
    '--model',
    o.model,
    '--bundle',
    o.bundle,
    '--datasets',
    'arith,word,order',
    '--methods',
    'vanilla,lynx:delta=0.05,lynx:delta=0.1,lynx:delta=0.3,lynx:alpha=0.1,deer,dynasor,entropy,oracle',
    '--temperatures',
    o.temperatures,
    '--seeds',
    o.seeds,
    '--limit',
    String(o.limit),
    '--max-tokens',
    String(o.maxTokens),
    '--out',
    `${o.out}/eval`,
  ]);
  return steps;
}

const DEFINE = { collect: defineCollect, fit: defineFit, eval: defineEval } as const;

/** A demo step: its command line, and its options as that command parses them. */
export type DemoStep =
  | { argv: string[]; command: 'collect'; options: CollectCommandOptions }
  | { argv: string[]; command: 'fit'; options: FitCommandOptions }
  | { argv: string[]; command: 'eval'; options: EvalCommandOptions };

/** Parses one step's command line with its command's definition (defaults and validation included). */
export function parseDemoStep(argv: string[]): DemoStep {
  const [name, ...args] = argv;
  const define = DEFINE[name as keyof typeof DEFINE];
  if (!define) throw new Error(`demo: no step command "${name}"`);
  const cmd = define(new Command(name)).exitOverride();
  cmd.parse(args, { from: 'user' });
  return { argv, command: name, options: cmd.opts() } as DemoStep;
}

/** Runs the steps on one engine loaded with the eval step's engine options. */
async function runDemoSteps(model: string, steps: DemoStep[], err: (t: string) => void): Promise<void> {
  const last = steps.at(-1)!.options as EvalCommandOptions;
  const engine = await openEngine({ ...last, model });
  try {
    for (const step of steps) {
      err(`\n$ lynx-exit ${step.argv.join(' ')}\n`);
      if (step.command === 'collect') await runCollect(step.options, err, { engine });
      else if (step.command === 'fit') await runFit(step.options, err);
      else await runEvalCommand(step.options, (t) => process.stdout.write(t), err, engine);
    }
  } finally {
    await engine.dispose();
  }
}

/** Registers `demo`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the shipped testbed model: (collect + fit if needed), eval LYNX vs peers, report',
    )
    .option('-m, --model <file>', 'GGUF model', 'models/testbed.gguf')
    .option(
      '-b, --bundle <file>',
      'LYNX bundle (made by collect + fit when missing)',
      'models/testbed.lynx.json',
    )
    .option('-o, --out <dir>', 'output folder', 'out/demo')
    .option('--refit', 'collect and fit a new bundle even if it exists', false)
    .option(
      '--collect-limit <n>',
      'arith problems per probe slice',
      numberOption('collect-limit', { integer: true, min: 1 }),
      150,
    )
    .option(
      '--limit <n>',
      'held-out problems per family in the eval',
      numberOption('limit', { integer: true, min: 1 }),
      10,
    )
    .option('--seeds <list>', 'eval seeds', DEFAULT_EVAL_SEEDS.join(','))
    .option('-t, --temperatures <list>', 'eval temperatures', '0.6')
    .option(
      '-n, --max-tokens <n>',
      'token limit per run',
      numberOption('max-tokens', { integer: true, min: 16 }),
      640,
    )
    .action(async (o: DemoOptions) => {
      if (!existsSync(o.model))
        throw new UserError(
          `model ${o.model} not found (the testbed model ships in models/; run from the repository root)`,
        );
      // The demo's eval folder is its own scratch space; results from an earlier model or bundle would
      // make eval refuse to resume there, so each demo starts it afresh.
      const evalDir = `${o.out}/eval`;
      if (existsSync(evalDir)) {
        process.stderr.write(`demo: removing the previous demo results in ${evalDir}\n`);
        rmSync(evalDir, { recursive: true, force: true });
      }
      const steps = demoSteps(o, existsSync(o.bundle)).map(parseDemoStep);
      await runDemoSteps(o.model, steps, (t) => process.stderr.write(t));
      process.stderr.write(`\nreport: ${o.out}/eval/report.html\n`);
    });
}
