import type { Command } from 'commander';
import { register as registerAudit } from './commands/audit.ts';
import { register as registerCollect } from './commands/collect.ts';
import { register as registerData } from './commands/data.ts';
import { register as registerDemo } from './commands/demo.ts';
import { register as registerEval } from './commands/eval.ts';
import { register as registerFit } from './commands/fit.ts';
import { register as registerGenerate } from './commands/generate.ts';
import { register as registerServe } from './commands/serve.ts';

/** Registers every subcommand; each lives in `src/cli/commands/<name>.ts` and exports `register(program)`. */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerData(program);
  registerGenerate(program);
  registerCollect(program);
  registerFit(program);
  registerEval(program);
  registerAudit(program);
  registerServe(program);
}
