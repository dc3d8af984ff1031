/**
 * The real user on Linux: an explicit name, else SUDO_USER (when sudo started us), else
 * (as root) the workspace directory's owner when that is not root, else the caller. Looked up in the passwd database with getent, so NSS users work too.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
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

/**
 * Who setup is for, as a pure choice over what the caller knows (issue 13.7): an explicit
 * name; else SUDO_USER when sudo started us as root; else, when the caller is root, the
 * owner of the workspace directory if that is not root (`sudo -i` or a root shell in
 * ~alice/src must not provision for root by accident); else the caller.
 */
export interface RealUserChoice {
  explicit: string | undefined;
  sudoUser: string | undefined;
  callerUid: number | undefined;
  callerName: string;
  /** Name of the workspace directory's owner, when it has one in passwd (undefined otherwise). */
  workspaceOwner?: { uid: number; name: string | undefined };
}

export function chooseRealUserName(c: RealUserChoice): string {
  if (c.explicit !== undefined && c.explicit !== '') return c.explicit;
  if (c.callerUid === 0 && c.sudoUser !== undefined && c.sudoUser !== '' && c.sudoUser !== 'root') return c.sudoUser;
  const owner = c.workspaceOwner;
  if (c.callerUid === 0 && owner !== undefined && owner.uid !== 0 && owner.name !== undefined) return owner.name;
  return c.callerName;
}

export function realUserName(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, workspace?: string): string {
  const callerUid = process.getuid?.();
  let workspaceOwner: RealUserChoice['workspaceOwner'];
  if ((explicit === undefined || explicit === '') && callerUid === 0 && workspace !== undefined) {
    try {
      const uid = statSync(workspace).uid;
      workspaceOwner = { uid, name: uid === 0 ? 'root' : lookupUser(uid)?.name };
    } catch {
      // A workspace that does not exist is refused later, with its own message.
    }
  }
  return chooseRealUserName({ explicit, sudoUser: env.SUDO_USER, callerUid, callerName: userInfo().username, ...(workspaceOwner !== undefined ? { workspaceOwner } : {}) });
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

export function resolveLinuxRealUser(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, workspace?: string): RealUser {
  const name = realUserName(explicit, env, workspace);
  // The caller itself (every `corral run` not started through sudo): no getent process needed.
  const caller = callerEntry();
  if (caller !== null && sameAccountName('posix', caller.name, name)) return caller;
  const entry = lookupUser(name);
  if (entry === null) throw new CorralError('usage', `no such user: ${name}`, { details: { user: name } });
  return { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.home, shell: entry.shell };
}
