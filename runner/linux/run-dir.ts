/**
 * The installation's root-only run-time directory, /run/<inst> (mode 0700, root-owned): the
 * parent of everything sessions create at run time and share by name — the session temp
 * directories and the reservation registry with its lock.
 *
 * Threat model: a fixed name in a directory others can write (/tmp) can be created first by
 * any local user, who then either stops every session (a squatted name we refuse) or, worse,
 * owns what root later puts inside it. /run is root-owned and writable by root only, so
 * nobody else can create /run/<inst>; it is still checked through its descriptor (opened
 * O_NOFOLLOW, fstat: a root-owned directory, no access for group or others), and a copy left
 * by an older version with a wider mode is narrowed to 0700 through the same descriptor.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';

const ROOT_ONLY = 0o700;

export function installationRunDir(installation: string): string {
  return `/run/${installation}`;
}

/** Create (if missing) and check a root-only directory; its parent must be root-only already. */
export function ensureRootOnlyDir(path: string): void {
  try {
    mkdirSync(path, { mode: ROOT_ONLY });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isDirectory() || st.uid !== 0) {
      throw new CorralError('runner_failed', `${path} must be a root-owned directory (found uid ${st.uid}); remove it`);
    }
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, ROOT_ONLY);
  } finally {
    closeSync(fd);
  }
}

/** /run/<inst> and the given subdirectory of it, both root-only. */
export function ensureRunSubdir(installation: string, name: string): string {
  ensureRootOnlyDir(installationRunDir(installation));
  const dir = `${installationRunDir(installation)}/${name}`;
  ensureRootOnlyDir(dir);
  return dir;
}
