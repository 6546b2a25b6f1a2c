import type { Command } from 'commander';
import { NotImplementedError } from '../errors.ts';

/** Registers a subcommand that a later issue fills in: it exits non-zero and says so. */
export function registerPlaceholder(
  program: Command,
  name: string,
  description: string,
  issue: string,
): void {
  program
    .command(name)
    .description(`${description} [not implemented yet: ${issue}]`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new NotImplementedError(`\`lynx-exit ${name}\``, issue);
    });
}
