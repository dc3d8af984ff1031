/**
 * Where execvp(3) would find a command, decided before a pty command starts: such a command is
 * started through `setsid --ctty` (command.ts), which reports an exec failure only as its own
 * exit status 1 and a line on the pty. Looking the name up first keeps the errors pipes give
 * (command_not_found, command_not_executable). It is a diagnosis only: setsid then execs the
 * name as given, with the same PATH, and the kernel decides (as the identity, under Landlock).
 *
 * The rules are execvp's: a name with a slash is used as is (relative to cwd); otherwise each
 * PATH entry is tried in order (an empty entry is the cwd), the first executable regular file
 * wins, and when none is but some candidate exists or could not be reached for permission (a
 * PATH directory the identity may not search), the answer is EACCES. PATH unset: glibc's
 * default, `/bin:/usr/bin`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { posix } from 'node:path';

export type Lookup = { found: string } | { error: 'ENOENT' | 'EACCES' };

export interface FileFacts {
  /** `file`, `dir`, `other`; `denied` when a directory on the way may not be searched (EACCES); null when there is nothing. */
  kind(path: string): 'file' | 'dir' | 'other' | 'denied' | null;
  executable(path: string): boolean;
}

export const liveFileFacts: FileFacts = {
  kind(path) {
    try {
      const st = statSync(path);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : null;
    }
  },
  executable(path) {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

const DEFAULT_PATH = '/bin:/usr/bin';

export function findExecutable(name: string, pathVar: string | undefined, cwd: string, facts: FileFacts = liveFileFacts): Lookup {
  const candidates = name.includes('/') ? [posix.resolve(cwd, name)] : (pathVar ?? DEFAULT_PATH).split(':').map((dir) => posix.resolve(cwd, dir === '' ? '.' : dir, name));
  let denied = false;
  for (const candidate of candidates) {
    const kind = facts.kind(candidate);
    if (kind === null) continue;
    if (kind === 'file' && facts.executable(candidate)) return { found: candidate };
    denied = true;
  }
  return { error: denied ? 'EACCES' : 'ENOENT' };
}
