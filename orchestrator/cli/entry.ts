/**
 * The body of the executables (main.ts: `corral`, sh-main.ts: `corral-sh`): everything else is
 * in program.ts, so tests can call runCli(). Modules are loaded dynamically:
 *
 * - `corral run` / `corral sh` first try the fast client path (fast-run.ts): the command line
 *   parsed by hand and the command run in a kept session, without loading commander, zod or
 *   listr2. It answers null for anything it does not handle, and the full CLI takes over.
 * - A command that opens a fresh session starts its runner before the rest of the CLI loads
 *   (early-run.ts): the two Node start-ups then overlap.
 */
export async function main(argv: readonly string[]): Promise<void> {
  // A closed stdout or stderr (`corral … | head`) ends corral as a closed pipe would, never as a crash.
  const closedPipe = await import('./closed-pipe.js');
  closedPipe.guardStdio();
  if (argv[0] === 'run' || argv[0] === 'sh') {
    try {
      const status = await (await import('./fast-run.js')).fastRun(argv);
      if (status !== null) {
        await closedPipe.stdioSettled();
        process.exitCode = closedPipe.closedPipeStatus(status);
        return;
      }
    } catch (err) {
      const { reportError } = await import('./output.js');
      process.exitCode = closedPipe.closedPipeStatus(reportError(err, argv[0] === 'run' && argv.includes('--json')));
      return;
    }
  }
  const stopUnclaimedRunner = argv[0] === 'run' || argv[0] === 'sh' ? await (await import('./early-run.js')).startRunnerEarly(argv) : null;
  const [{ runCli }, { reportError }] = await Promise.all([import('./program.js'), import('./output.js')]);
  try {
    const status = await runCli(argv);
    await closedPipe.stdioSettled();
    process.exitCode = closedPipe.closedPipeStatus(status);
  } catch (err) {
    process.exitCode = closedPipe.closedPipeStatus(reportError(err, false));
  } finally {
    // A runner started early that openSession did not take: stop it, or it would wait for a request.
    stopUnclaimedRunner?.();
  }
}

