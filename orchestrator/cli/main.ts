#!/usr/bin/env node
// The `corral` executable: everything is in program.ts, so tests can call runCli(). Modules are
// loaded dynamically so that `corral run` starts its runner before the rest of the CLI loads
// (early-run.ts): the two Node start-ups then overlap.
const argv = process.argv.slice(2);
// A closed stdout or stderr (`corral … | head`) ends corral as a closed pipe would, never as a crash.
const closedPipe = await import('./closed-pipe.js');
closedPipe.guardStdio();
const stopUnclaimedRunner = argv[0] === 'run' ? await (await import('./early-run.js')).startRunnerEarly(argv.slice(1)) : null;
const [{ runCli }, { reportError }] = await Promise.all([import('./program.js'), import('./output.js')]);

try {
  process.exitCode = closedPipe.closedPipeStatus(await runCli(argv));
} catch (err) {
  process.exitCode = closedPipe.closedPipeStatus(reportError(err, false));
} finally {
  // A runner started early that openSession did not take: stop it, or it would wait for a request.
  stopUnclaimedRunner?.();
}
