/**
 * `corral run` starts its session runner before anything else: the runner is a second Node
 * process (~100 ms to boot and load here), and it can start before the request is known, since
 * it reads the request from its input. Started here — before commander and the commands are
 * even loaded — its start-up overlaps the CLI's, and openSession's prelaunch takes it
 * (orchestrator/bridge/linux/launcher.ts). It starts under the same checks as in openSession (the platform's
 * permission check); whatever goes wrong here is left for the command itself to report.
 *
 * Only where the platform supports it (RunnerLauncher.startEarly), never for `--help`, and the
 * returned function stops a runner nobody took (a usage error, not provisioned, …).
 */
export async function startRunnerEarly(args: readonly string[]): Promise<() => void> {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) return () => undefined;
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
