/**
 * Which installation this runner belongs to. The sudo rule lets members of the user group run
 * `/usr/local/lib/<inst>/bin/node /usr/local/lib/<inst>/app/dist/runner/main.js` as root, so
 * the runner derives `<inst>` from its own root-owned location and never from its environment
 * (sudo resets it anyway, and a caller-chosen CORRAL_INSTANCE could point at a state file the
 * caller wrote).
 *
 * A runner started from anywhere else (a development checkout, CI) is accepted only when root
 * started it directly — no SUDO_UID — since root needs no privilege bridge; then the
 * installation comes from CORRAL_INSTANCE like every other Corral command.
 */
import { CorralError } from '../../core/errors.js';
import { installationNameFromEnv, linuxInstallation, type Installation } from '../../core/installation.js';
import { firstUnsafeAncestor } from './root-owned.js';

const INSTALLED_ENTRY = /^\/usr\/local\/lib\/([a-z][a-z0-9]{1,11})\/app\/dist\/runner\/main\.js$/;

export interface RunnerOrigin {
  installation: Installation;
  /** `installed`: the root-owned copy the sudo rule names; `direct`: started by root from elsewhere. */
  kind: 'installed' | 'direct';
}

/** Pure: the installation name encoded in an entry path, or null. */
export function installationNameFromEntry(entryPath: string): string | null {
  return INSTALLED_ENTRY.exec(entryPath)?.[1] ?? null;
}

export function runnerOrigin(entryPath: string, nodePath: string, env: NodeJS.ProcessEnv, uid: number): RunnerOrigin {
  const name = installationNameFromEntry(entryPath);
  if (name !== null) {
    const installation = linuxInstallation(name);
    for (const path of [entryPath, nodePath]) {
      const unsafe = firstUnsafeAncestor(path);
      if (unsafe !== null) {
        throw new CorralError('runner_failed', `refusing to run: ${unsafe.path} ${unsafe.reason}; the runner and Node must be root-owned (re-run \`corral setup\`)`);
      }
    }
    if (nodePath !== installation.runnerNode) {
      throw new CorralError('runner_failed', `refusing to run: Node is ${nodePath}, expected ${installation.runnerNode}`);
    }
    return { installation, kind: 'installed' };
  }
  if (uid === 0 && (env.SUDO_UID === undefined || env.SUDO_UID === '')) {
    return { installation: linuxInstallation(installationNameFromEnv(env)), kind: 'direct' };
  }
  throw new CorralError(
    'not_permitted',
    `the runner at ${entryPath} is not an installed copy; through sudo only /usr/local/lib/<installation>/app/dist/runner/main.js may run`,
  );
}
