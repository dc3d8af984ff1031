/**
 * The directories sessions of an installation create at run time (not at setup), listed
 * deepest first so that teardown can remove them once no session uses them: the cgroup
 * bases (v2 and the v1 pids and memory hierarchies), the session temp parent, and the reservations
 * directory with its lock file.
 */
import { detectCgroups } from './cgroup.js';
import { reservationsDir } from './reservations.js';
import { sessionTmpParent } from './session-tmp.js';
import { installationRunDir } from './run-dir.js';

export interface RuntimeDirs {
  /** Files to unlink first (the reservations lock). */
  files: string[];
  /** Directories to rmdir when empty, deepest first. */
  dirs: string[];
}

export function sessionRuntimeDirs(installation: string): RuntimeDirs {
  const layout = detectCgroups();
  const mounts = new Set([layout?.v2, layout?.pids?.mount, layout?.memory?.mount].filter((m): m is string => m !== undefined));
  const cgroups = [...mounts].map((m) => `${m}/${installation}`);
  const reservations = reservationsDir(installation);
  return {
    files: [`${reservations}/.lock`],
    dirs: [...cgroups, sessionTmpParent(installation), reservations, installationRunDir(installation)],
  };
}
