import type { Command } from 'commander';
import { NotImplementedError } from '../errors.ts';

/** Registers every subcommand; each lives in its own module and is imported lazily. */
export function registerCommands(program: Command): void {
  program
    .command('collect')
    .description('roll out problems, detect cues, run forced exits, write labelled events')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('`lynx-exit collect`', 'issue 5: LYNX end to end');
    });
  program
    .command('fit')
    .description('train the probe on one events file, calibrate on another, write a bundle')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('`lynx-exit fit`', 'issue 5: LYNX end to end');
    });
  program
    .command('eval')
    .description('compare LYNX and its peers over datasets, temperatures and seeds')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('`lynx-exit eval`', 'issue 5: LYNX end to end');
    });
  program
    .command('serve')
    .description('OpenAI-compatible HTTP server with early exit')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('`lynx-exit serve`', 'issue 6: serve');
    });
}
