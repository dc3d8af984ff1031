/**
 * `corral sh [SHELL-ARGS...]` — a shell an agent can be given: `corral sh -c 'CMD' [arg0 [ARG...]]`
 * behaves as `sh -c` does, run in the session of the current directory's workspace (the same
 * session `corral run` opens: run.ts runInSession).
 *
 * Every argument is the shell's, passed to it unchanged: `-c`, `-l`, `-i`, `-lc`, `-e`, `$0` and
 * the positional parameters, a script file, or nothing (commands from stdin). Only a first
 * `--help` (or `-h`) is corral's. The shell is the policy's (`shell`: `/bin/sh`, or the real
 * user's login shell: session/shell.ts), so `$0` is its path unless an arg0 is given, as with
 * `/bin/sh -c`.
 *
 * Output is the command's, byte for byte; corral adds to stderr only what `corral run` adds
 * (a runner's enforcement warning, an out-of-memory kill, a connection the allowlist refused) and
 * its own errors (message, remedy, code; exit 2–5 or 1). The exit status is the shell's (128 +
 * signal when it was killed, 124 on the policy's timeout). stdin is forwarded when it is not a
 * terminal; on a terminal (stdin and stdout) the shell gets a pseudo-terminal in the session, as
 * with `corral run` (cli/terminal.ts), so `corral sh -i` is an interactive shell.
 */
import { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import { runInSession } from './run.js';
import type { SetExit } from './set-exit.js';
import { shellCommand } from '../shell-command.js';

export { shellCommand };

const HELP_AFTER = `
Every argument is the shell's, passed unchanged (-c, -l, -i, -lc, arg0 and the
positional parameters); only a first --help is corral's. The session is the one
\`corral run\` opens for the current directory's workspace. The shell is /bin/sh,
or your login shell with \`"shell": "login"\` in a config file. The exit status is
the shell's (128+signal when killed, 124 on timeout); stdout and stderr are the
command's byte for byte; stdin is forwarded. On a terminal (stdin and stdout) the
shell gets a pseudo-terminal in the session (Linux), so \`corral sh -i\` is interactive.

To give it to an agent: SHELL=$(command -v corral-sh), or name corral-sh where the
agent takes a shell's path (corral-sh ARGS is corral sh ARGS).

Examples:
  corral sh -c 'make test && git status'
  corral sh -c 'printf "%s\\n" "$0" "$1"' name first
  corral sh -lc 'echo $HOME'
`;

/** `argv`: the whole command line (runCli's), from which the shell's arguments are taken as given. */
export function registerSh(program: Command, setExit: SetExit, argv: readonly string[]): void {
  // Options after a subcommand's name belong to it (and here, to the shell).
  program.enablePositionalOptions();
  const sh = program
    .command('sh')
    .description("Run a shell in the sandbox of the current directory's workspace; `corral sh -c CMD [arg0 [ARG...]]` behaves as `sh -c`.")
    .usage('[-l] [-i] -c CMD [arg0 [ARG...]]')
    .argument('[shell-args...]', "the shell's own arguments, unchanged")
    // commander's own help option would also answer a `--help` among the shell's arguments
    // (`corral sh -c 'x' --help`); this one is parsed only before the first of them.
    .helpOption(false)
    .option('--help', 'display help for command (only as the first argument)')
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .addHelpText('after', HELP_AFTER)
    .action(async (_args: string[], opts: { help?: boolean }) => {
      if (opts.help === true) {
        sh.outputHelp();
        return;
      }
      setExit(await runInSession((session) => shellCommand(session, shellArgs(argv)), {}));
    });
}

/**
 * The shell's arguments exactly as given: everything after `sh` in the command line. Not what
 * commander hands the action, which drops a `--` in operand position (`corral sh -- -c x` would
 * become `sh -c x`, while `sh -- -c x` runs a script named `-c`).
 */
export function shellArgs(argv: readonly string[]): string[] {
  // Positional options: the program's own (--version, --help) end the parse before a subcommand
  // runs, so `sh` is the first argument here.
  if (argv[0] !== 'sh') throw new CorralError('internal', `corral sh: unexpected command line ${JSON.stringify(argv.slice(0, 3))}`);
  return argv.slice(1);
}
