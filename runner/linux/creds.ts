/**
 * Credentials of the runner: no_new_privs, and the final drop to the sandbox identity.
 *
 * glibc's setgroups/setresgid/setresuid apply the change to every thread of the process
 * (the raw syscalls would change only the calling thread, leaving Node's worker threads
 * root). After setresuid to a non-zero uid for real, effective and saved uid the kernel
 * clears all capabilities, and the process becomes non-dumpable, so the identity's commands
 * can neither ptrace the runner nor open its /proc/<pid>/fd; PR_SET_DUMPABLE 0 is set
 * explicitly anyway, since the runner keeps descriptors opened as root.
 */
import { CorralError } from '../../core/errors.js';
import { check, libcFunction } from '../../os/linux/libc.js';

const PR_SET_DUMPABLE = 4;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_GET_NO_NEW_PRIVS = 39;

const prctl = libcFunction('int prctl(int option, ...)');
const setgroups = libcFunction('int setgroups(size_t size, const uint32_t *list)');
const setresgid = libcFunction('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)');
const setresuid = libcFunction('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)');
const setfsuid = libcFunction('int setfsuid(uint32_t uid)');
const setfsgid = libcFunction('int setfsgid(uint32_t gid)');

/**
 * Run `fn` with the real user's file-system credentials, so that the paths a request names are
 * resolved as the user could resolve them: a name inside a directory the user cannot search is
 * EACCES for them, whatever is there, and no answer (an error, an owner, a kind) tells them more
 * than they could learn themselves. Changing fsuid from 0 clears the file-system capabilities
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER…) from the effective set; returning to 0
 * restores them. Supplementary groups stay root's (no others), so a directory the user reaches
 * only through a group is refused — narrower, never wider.
 *
 * setfsuid/setfsgid act on the calling thread only. That is the thread `fn` runs on: Node's
 * synchronous fs calls run on the main thread, and nothing asynchronous runs in the root phase.
 * Not root (tests without privilege): the process is already the caller, `fn` runs as it is.
 */
export function withCallerFsCredentials<T>(caller: { uid: number; gid: number }, fn: () => T): T {
  if (process.geteuid?.() !== 0 || caller.uid === 0) return fn();
  setfsgid(caller.gid);
  setfsuid(caller.uid);
  // setfsuid returns the previous value and never fails loudly: a second call reads it back.
  if (setfsuid(caller.uid) !== caller.uid || setfsgid(caller.gid) !== caller.gid) {
    setfsuid(0);
    setfsgid(0);
    throw new CorralError('runner_failed', 'setfsuid/setfsgid to the real user did not take effect');
  }
  try {
    return fn();
  } finally {
    setfsuid(0);
    setfsgid(0);
  }
}

/** setuid binaries (sudo, su) and file capabilities no longer raise privileges, for us and every child. */
export function setNoNewPrivs(): void {
  check(prctl(PR_SET_NO_NEW_PRIVS, 'unsigned long', 1, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0), 'prctl(PR_SET_NO_NEW_PRIVS)');
}

export function noNewPrivs(): boolean {
  return check(prctl(PR_GET_NO_NEW_PRIVS, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0), 'prctl(PR_GET_NO_NEW_PRIVS)') === 1;
}

export interface Credentials {
  uid: number;
  gid: number;
  /** Supplementary groups (the sandbox group). */
  groups: number[];
}

/** Drop to `target` for good: groups, then gid, then uid (the order that still has the right to each). */
export function dropTo(target: Credentials): void {
  if (target.uid === 0 || target.gid === 0) throw new CorralError('runner_failed', 'refusing to "drop" to uid or gid 0', { details: { uid: target.uid, gid: target.gid } });
  const list = Uint32Array.from(target.groups.length > 0 ? target.groups : [0]);
  check(setgroups(target.groups.length, list), `setgroups([${target.groups.join(',')}])`);
  check(setresgid(target.gid, target.gid, target.gid), `setresgid(${target.gid})`);
  check(setresuid(target.uid, target.uid, target.uid), `setresuid(${target.uid})`);
  check(prctl(PR_SET_DUMPABLE, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0), 'prctl(PR_SET_DUMPABLE, 0)');
  // Read back: a partial drop must never go unnoticed.
  if (process.getuid?.() !== target.uid || process.geteuid?.() !== target.uid || process.getgid?.() !== target.gid) {
    throw new CorralError('runner_failed', `credential drop did not take: uid ${process.getuid?.()}, euid ${process.geteuid?.()}, gid ${process.getgid?.()}`, {
      details: { wanted: { uid: target.uid, gid: target.gid }, got: { uid: process.getuid?.(), euid: process.geteuid?.(), gid: process.getgid?.() } },
    });
  }
}
