/**
 * The `corral` command line: parses arguments and dispatches; each command
 * lives in commands/<name>.ts and prints through output.ts.
 */
import { Command, CommanderError } from 'commander';
import { CorralError } from '../../core/errors.js';
import { reportError } from './output.js';
import { registerCommands } from './commands/index.js';

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('corral')
    .description('OS-level sandboxes for local AI coding agents.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  let exitCode = 0;
  registerCommands(
    program,
    (code) => {
      exitCode = code;
    },
    argv,
  );
  // `corral sh`'s arguments are all the shell's: a `--json` among them is not corral's.
  const wantsJson = argv[0] !== 'sh' && argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end in a CommanderError with exit code 0.
      if (err.exitCode === 0) return 0;
      return new CorralError('usage', err.message).exitCode;
    }
    return reportError(err, wantsJson);
  }
}

export const VERSION = '0.1.0';
