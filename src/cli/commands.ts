import type { Command } from 'commander';
import { register as registerCollect } from './commands/collect.ts';
import { register as registerData } from './commands/data.ts';
import { register as registerEval } from './commands/eval.ts';
import { register as registerFit } from './commands/fit.ts';
import { register as registerGenerate } from './commands/generate.ts';
import { register as registerServe } from './commands/serve.ts';
import { registerPlaceholder } from './notImplemented.ts';

/**
 * Registers every subcommand. Each real command lives in `src/cli/commands/<name>.ts` and exports
 * `register(program)`; placeholders stand in for the ones later issues fill.
 */
export function registerCommands(program: Command): void {
  registerData(program);
  registerGenerate(program);
  registerCollect(program);
  registerFit(program);
  registerEval(program);
  registerServe(program);
  registerPlaceholder(
    program,
    'demo',
    'the main job on the shipped testbed model',
    'issue 5: LYNX end to end',
  );
}
