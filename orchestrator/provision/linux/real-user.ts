/**
 * The real user on Linux: an explicit name, else SUDO_USER (when sudo started us), else
 * the caller. Looked up in the passwd database with getent, so NSS users work too.
 */
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { CorralError } from '../../../core/errors.js';
import type { RealUser } from '../../platform.js';
import type { PasswdEntry } from '../../../os/linux/passwd.js';
import { sameAccountName } from '../../../core/accounts.js';

/** One passwd entry: the same record the runner reads through glibc. */
export type { PasswdEntry } from '../../../os/linux/passwd.js';

/** Parse one `getent passwd` line. */
export function parsePasswdLine(line: string): PasswdEntry {
  const f = line.trim().split(':');
  if (f.length < 7) throw new CorralError('internal', `unexpected passwd entry: ${JSON.stringify(line)}`);
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! };
}

/** Look up a user by name or numeric uid; null when there is none. */
export function lookupUser(nameOrUid: string | number): PasswdEntry | null {
  try {
    const out = execFileSync('getent', ['passwd', String(nameOrUid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return parsePasswdLine(out.split('\n')[0]!);
  } catch (err) {
    // getent exits 2 when the key is not found.
    if ((err as { status?: number }).status === 2) return null;
    throw new CorralError('tool_missing', `getent could not be run (package libc-bin): ${(err as Error).message}`, { cause: err });
  }
}

export function realUserName(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  if (env.SUDO_USER !== undefined && env.SUDO_USER !== '' && process.getuid?.() === 0) return env.SUDO_USER;
  return userInfo().username;
}

/** The calling account (effective uid) from the passwd database, in-process (getpwuid_r, NSS included); null if it has none. */
function callerEntry(): RealUser | null {
  try {
    const u = userInfo();
    return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir, ...(u.shell !== null ? { shell: u.shell } : {}) };
  } catch {
    return null;
  }
}

export function resolveLinuxRealUser(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): RealUser {
  const name = realUserName(explicit, env);
  // The caller itself (every `corral run` not started through sudo): no getent process needed.
  const caller = callerEntry();
  if (caller !== null && sameAccountName('posix', caller.name, name)) return caller;
  const entry = lookupUser(name);
  if (entry === null) throw new CorralError('usage', `no such user: ${name}`, { details: { user: name } });
  return { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.home, shell: entry.shell };
}
