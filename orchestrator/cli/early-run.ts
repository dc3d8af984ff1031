/**
 * `corral run` (and `corral sh`) starts its session runner before anything else: the runner is a second Node
 * process (~100 ms to boot and load here), and it can start before the request is known, since
 * it reads the request from its input. Started here — before commander and the commands are
 * even loaded — its start-up overlaps the CLI's, and openSession's prelaunch takes it
 * (orchestrator/bridge/linux/launcher.ts). It starts under the same checks as in openSession (the platform's
 * permission check); whatever goes wrong here is left for the command itself to report.
 *
 * Only where the platform supports it (RunnerLauncher.startEarly), never for `--help`, and the
 * returned function stops a runner nobody took (a usage error, not provisioned, …).
 */
export async function startRunnerEarly(argv: readonly string[]): Promise<() => void> {
  if (!opensSession(argv)) return () => undefined;
  try {
    const { currentPlatform } = await import('../current-platform.js');
    const leaf = await currentPlatform();
    const user = await leaf.currentRealUser();
    const launcher = await leaf.createLauncher();
    if (launcher.startEarly === undefined) return () => undefined;
    await launcher.checkPermitted?.(user);
    return launcher.startEarly(user);
  } catch {
    return () => undefined;
  }
}

/**
 * Whether the whole command line (`run …`, `sh …`) opens a session rather than asking for help:
 * `corral run`'s own options end at `--`; every argument of `corral sh` but a first `--help` is the shell's.
 */
export function opensSession(argv: readonly string[]): boolean {
  const isHelp = (a: string | undefined) => a === '--help' || a === '-h';
  if (argv[0] === 'sh') return argv[1] !== '--help';
  if (argv[0] !== 'run') return false;
  const args = argv.slice(1);
  const end = args.indexOf('--');
  return !(end < 0 ? args : args.slice(0, end)).some(isHelp);
}
