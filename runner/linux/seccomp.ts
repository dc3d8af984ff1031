/**
 * Installs the session's seccomp filter (seccomp-program.ts) on every thread of the runner
 * (SECCOMP_FILTER_FLAG_TSYNC), so every command inherits it. Needs no_new_privs first.
 */
import { arch } from 'node:os';
import { check, koffi, libcFunction } from '../../os/linux/libc.js';
import { sockFprogType } from '../../os/linux/sock-fprog.js';
import { ARCHES, encode, sessionFilter } from './seccomp-program.js';

const SYS_seccomp: Record<string, number> = { x64: 317, arm64: 277 };
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_TSYNC = 1;

const syscall = libcFunction('long syscall(long number, ...)');

/** Returns false (nothing installed) on an architecture the program has no numbers for. */
export function installSessionFilter(): boolean {
  const a = ARCHES[arch()];
  const nr = SYS_seccomp[arch()];
  if (a === undefined || nr === undefined) return false;
  const program = encode(sessionFilter(a));
  const prog = { len: program.length / 8, filter: program };
  const rc = syscall(nr, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', SECCOMP_FILTER_FLAG_TSYNC, koffi.pointer(sockFprogType()), prog);
  check(rc, 'seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)');
  // TSYNC returns the id of a thread that could not be synchronized (> 0) instead of failing.
  if (Number(rc) > 0) throw new Error(`seccomp TSYNC: thread ${Number(rc)} could not take the filter`);
  return true;
}
