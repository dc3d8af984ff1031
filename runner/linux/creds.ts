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
