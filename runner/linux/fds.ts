/**
 * Inherited descriptors. Whatever the caller (sudo, a shell, the client) left open above
 * stdio must not reach commands: a socket opened before the uid switch is not caught by the
 * firewall's uid rule, and a descriptor to a host file bypasses Landlock. child_process
 * passes only the stdio it is asked to, but a descriptor without FD_CLOEXEC survives exec, so
 * every fd > 2 is marked close-on-exec first thing (CLOSE_RANGE_CLOEXEC, Linux 5.11+; a
 * per-descriptor fcntl fallback otherwise).
 */
import { readdirSync } from 'node:fs';
import { check, lastErrno, libcFunction, LibcError } from '../../os/linux/libc.js';

const CLOSE_RANGE_CLOEXEC = 1 << 2;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const ENOSYS = 38;
const FIRST_INHERITED_FD = 3;
const MAX_FD = 0xffffffff;

const closeRange = libcFunction('int close_range(unsigned int first, unsigned int last, int flags)');
const fcntl = libcFunction('int fcntl(int fd, int cmd, ...)');

/** Mark every descriptor above stderr close-on-exec. */
export function markInheritedDescriptorsCloseOnExec(): void {
  if (closeRange(FIRST_INHERITED_FD, MAX_FD, CLOSE_RANGE_CLOEXEC) === 0) return;
  const errno = lastErrno();
  if (errno !== ENOSYS) throw new LibcError('close_range(CLOSE_RANGE_CLOEXEC)', errno);
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd < FIRST_INHERITED_FD) continue;
    const flags = fcntl(fd, F_GETFD) as number;
    if (flags < 0) continue; // the directory's own descriptor, already closed
    check(fcntl(fd, F_SETFD, 'int', flags | FD_CLOEXEC) as number, `fcntl(${fd}, F_SETFD)`);
  }
}

/** Test helper: whether `fd` is close-on-exec (null when it is not open). */
export function isCloseOnExec(fd: number): boolean | null {
  const flags = fcntl(fd, F_GETFD) as number;
  return flags < 0 ? null : (flags & FD_CLOEXEC) !== 0;
}

const O_CLOEXEC = 0o2000000;
const pipe2 = libcFunction('int pipe2(_Out_ int *fds, int flags)');

/** A pipe, both ends close-on-exec (a child gets the read end only where stdio names it). */
export function createPipe(): { read: number; write: number } {
  const fds = [0, 0];
  check(pipe2(fds, O_CLOEXEC) as number, 'pipe2');
  return { read: fds[0]!, write: fds[1]! };
}
