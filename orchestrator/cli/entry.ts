/**
 * The body of the executables (main.ts: `corral`, sh-main.ts: `corral-sh`): everything else is
 * in program.ts, so tests can call runCli(). Modules are loaded dynamically so that a command
 * that opens a session starts its runner before the rest of the CLI loads (early-run.ts): the
 * two Node start-ups then overlap.
 */
export async function main(argv: readonly string[]): Promise<void> {
  // A closed stdout or stderr (`corral … | head`) ends corral as a closed pipe would, never as a crash.
  const closedPipe = await import('./closed-pipe.js');
  closedPipe.guardStdio();
  const stopUnclaimedRunner = argv[0] === 'run' || argv[0] === 'sh' ? await (await import('./early-run.js')).startRunnerEarly(argv) : null;
  const [{ runCli }, { reportError }] = await Promise.all([import('./program.js'), import('./output.js')]);
  try {
    process.exitCode = closedPipe.closedPipeStatus(await runCli(argv));
  } catch (err) {
    process.exitCode = closedPipe.closedPipeStatus(reportError(err, false));
  } finally {
    // A runner started early that openSession did not take: stop it, or it would wait for a request.
    stopUnclaimedRunner?.();
  }
}
