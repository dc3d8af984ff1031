/**
 * Open a path the way the root phase must: no symbolic link anywhere on it, not only at its
 * end, and the result checked through the descriptor (fstat), never through the name again.
 *
 * Threat model: the real user (and, in another session on the same workspace, the identity)
 * can swap any directory they own on the way to a path — the workspace, a writable root, a
 * protected entry's parent — for a link between the moment the runner checks a path and the
 * moment it acts on it. A name resolved twice can therefore mean two different inodes. So each
 * path the root phase acts on is opened once here; a component that is a link, a magic link
 * (/proc/<pid>/fd/…) or a mount crossing of a link fails with ELOOP instead of being followed.
 * What is then done (a Landlock rule, a bind, a placeholder) is done through the descriptor;
 * where a later step must open the path again (mounts must be made in the session's own mount
 * namespace, and the host descriptor's mount is the host's), `reopenSame` opens it the same way
 * and requires the same device and inode.
 *
 * openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) does it in one call (Linux 5.6+). On an
 * older kernel (ENOSYS) the path is walked from `/` one component at a time with
 * openat(O_PATH | O_NOFOLLOW), each component checked not to be a link — the same guarantee.
 * `..` and `.` components are refused: the paths handled here are canonical.
 */
import { closeSync, constants, fstatSync, type Stats } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { check, lastErrno, libcFunction, LibcError } from '../../os/linux/libc.js';

/** openat2 is in the generic syscall table: the same number on x86_64 and arm64. */
const SYS_openat2 = 437;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const ENOSYS = 38;
const ELOOP = 40;
const ENOTDIR = 20;

const syscall = libcFunction('long syscall(long number, ...)');
const openat = libcFunction('int openat(int dirfd, const char *path, int flags)');

let haveOpenat2: boolean | undefined;

export interface OpenOptions {
  /** The last component must be a directory (ENOTDIR otherwise). */
  directory?: boolean;
}

/** An O_PATH descriptor of `path` (absolute), opened with no link followed; the caller closes it. */
export function openNoSymlinks(path: string, options: OpenOptions = {}): number {
  if (!path.startsWith('/')) throw new CorralError('internal', `openNoSymlinks: ${JSON.stringify(path)} is not absolute`);
  const fd = openWithoutFollowing(path);
  // O_PATH | O_NOFOLLOW returns a descriptor of a trailing link itself (openat2 and openat
  // alike) rather than failing; O_DIRECTORY would turn that into ENOTDIR. So the kind is
  // checked here, on the descriptor: a link is ELOOP, a non-directory where one is required ENOTDIR.
  let problem = 0;
  try {
    const st = fstatSync(fd);
    problem = st.isSymbolicLink() ? ELOOP : options.directory === true && !st.isDirectory() ? ENOTDIR : 0;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (problem !== 0) {
    closeSync(fd);
    throw new LibcError(`open(${path})`, problem);
  }
  return fd;
}

function openWithoutFollowing(path: string): number {
  const flags = O_PATH | O_CLOEXEC | constants.O_NOFOLLOW;
  if (haveOpenat2 !== false) {
    const how = Buffer.alloc(24); // struct open_how { u64 flags; u64 mode; u64 resolve; }
    how.writeBigUInt64LE(BigInt(flags), 0);
    how.writeBigUInt64LE(BigInt(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), 16);
    const fd = Number(syscall(SYS_openat2, 'int', AT_FDCWD, 'str', path, 'void *', how, 'size_t', how.length));
    if (fd >= 0) {
      haveOpenat2 = true;
      return fd;
    }
    const errno = lastErrno();
    if (errno !== ENOSYS) throw new LibcError(`openat2(${path})`, errno);
    haveOpenat2 = false;
  }
  return walkNoSymlinks(path);
}

/** The fallback: one component at a time from `/`, each opened O_NOFOLLOW and checked not to be a link (the last by the caller). */
function walkNoSymlinks(path: string): number {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) throw new LibcError(`walk(${path})`, ELOOP);
  let dir = check(openat(AT_FDCWD, '/', O_PATH | O_CLOEXEC | constants.O_DIRECTORY), 'open(/)');
  try {
    for (let i = 0; i < parts.length; i++) {
      const fd = openat(dir, parts[i], O_PATH | O_CLOEXEC | constants.O_NOFOLLOW) as number;
      if (fd < 0) throw new LibcError(`openat(${path})`, lastErrno());
      closeSync(dir);
      dir = fd;
      if (i === parts.length - 1) break;
      const st = fstatSync(fd);
      if (st.isSymbolicLink()) throw new LibcError(`openat(${path})`, ELOOP);
      if (!st.isDirectory()) throw new LibcError(`openat(${path})`, ENOTDIR);
    }
    const result = dir;
    dir = -1;
    return result;
  } finally {
    if (dir >= 0) closeSync(dir);
  }
}

/** Test seam: force the fallback walk (true) or let the kernel decide (undefined). */
export function forceWalkForTests(walk: boolean | undefined): void {
  haveOpenat2 = walk === true ? false : undefined;
}

/** What was opened: the descriptor and the inode it names. */
export interface Opened {
  fd: number;
  dev: number;
  ino: number;
  stats: Stats;
}

export function openAndStat(path: string, options: OpenOptions = {}): Opened {
  const fd = openNoSymlinks(path, options);
  try {
    const stats = fstatSync(fd);
    return { fd, dev: stats.dev, ino: stats.ino, stats };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Open `path` again (in another mount namespace, or after mounts were stacked on it) and
 * require the inode checked before: a path swapped since — for a link, or for another
 * directory moved in its place — is refused with `what` changed, never acted on.
 */
export function reopenSame(path: string, expected: { dev: number; ino: number }, options: OpenOptions = {}): number {
  let opened: Opened;
  try {
    opened = openAndStat(path, options);
  } catch (err) {
    throw changedWhileSettingUp(path, err);
  }
  if (opened.dev !== expected.dev || opened.ino !== expected.ino) {
    closeSync(opened.fd);
    throw changedWhileSettingUp(path, null);
  }
  return opened.fd;
}

/** The error for a path that is not what was checked any more (gone, a link, another inode). */
export function changedWhileSettingUp(path: string, cause: unknown): CorralError {
  return new CorralError('workspace_invalid', `${path} changed while the session was being set up (a link or another directory took its place); start the session again`, {
    ...(cause === null ? {} : { cause }),
    details: { path },
  });
}

/** ELOOP from the opens above: a link somewhere on the path. */
export function isLinkOnPath(err: unknown): boolean {
  return err instanceof LibcError && err.errno === ELOOP;
}

/** The entry `name` of the directory `dirFd` (one component), O_PATH, refused (ELOOP) when it is a link. */
export function openEntryNoFollow(dirFd: number, name: string, what: string): number {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new CorralError('internal', `openEntryNoFollow: ${JSON.stringify(name)} is not one name`);
  const fd = openat(dirFd, name, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW) as number;
  if (fd < 0) throw new LibcError(`openat(${what})`, lastErrno());
  if (fstatSync(fd).isSymbolicLink()) {
    closeSync(fd);
    throw new LibcError(`openat(${what})`, ELOOP);
  }
  return fd;
}
