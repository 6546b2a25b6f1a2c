import { Command, CommanderError, Help } from 'commander';
import { UserError } from '../errors.ts';
import { registerCommands } from './commands.ts';

/** Builds the `lynx-exit` command tree. */
export function buildProgram(): Command {
  const program = new Command('lynx-exit')
    .description('LYNX: confidence-controlled early exit for reasoning language models')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    // Required options say so in every command's help (subcommands inherit this).
    .configureHelp({
      optionDescription: (option) => {
        const base = new Help().optionDescription(option);
        return option.mandatory ? `${base} (required)` : base;
      },
    });
  registerCommands(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      process.stderr.write(`lynx-exit: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
