/**
 * `lynx-exit demo`: the main job on the shipped testbed model, in a few minutes. It runs the same
 * subcommands a user would (printing each one): collect probe data on `arith` and fit a bundle
 * (skipped when the bundle already exists), then evaluate LYNX against its peers on held-out
 * problems of all three testbed families, print the table and write the HTML report.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { numberOption } from '../options.ts';

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

/** Runs one CLI command line and returns its exit code (the CLI's `main`, passed in to avoid an import cycle). */
export type RunCli = (argv: string[]) => Promise<number>;

/** Registers `demo`. */
export function register(program: Command, runCli: RunCli): void {
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
    .option('--seeds <list>', 'eval seeds', '1')
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
      for (const argv of demoSteps(o, existsSync(o.bundle))) {
        process.stderr.write(`\n$ lynx-exit ${argv.join(' ')}\n`);
        const code = await runCli(argv);
        if (code !== 0)
          throw new UserError(`demo step \`lynx-exit ${argv[0]}\` failed (exit code ${code})`, code);
      }
      process.stderr.write(`\nreport: ${o.out}/eval/report.html\n`);
    });
}
