/**
 * Mounts inside the session's private mount namespace (after unshareMountNamespace()).
 * Nothing here may propagate back to the host: makeMountsSlave() runs first.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { check, libcFunction } from '../../os/linux/libc.js';
import { attachMountOnto, cloneMount, MOUNT_ATTR, setMountAttributes } from './mount-api.js';

const MS_RDONLY = 1;
const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SLAVE = 1 << 19;

const mount = libcFunction('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)');

/**
 * Every mount becomes a slave of the host's: host mounts and unmounts still arrive, ours never
 * leave (private would also cut the host's unmounts, pinning e.g. a USB stick while a session lives).
 */
export function makeMountsSlave(): void {
  check(mount(null, '/', null, MS_REC | MS_SLAVE, null), 'mount(/, MS_REC|MS_SLAVE)');
}

/**
 * Bind `path` on itself with what is mounted below it (MS_REC), flags unchanged: content and
 * access stay as they were, but the directory is now a mount point, which rename(2) and
 * rmdir(2) refuse (EBUSY) in this namespace. An idmapping of the mount it sits on goes along.
 */
export function pinInPlace(path: string): void {
  check(mount(path, path, null, MS_BIND | MS_REC, null), `mount(${path}, MS_BIND|MS_REC)`);
}

/**
 * bindReadOnly through descriptors: the entry `fd` names (opened with no link on its path,
 * open-no-symlinks.ts) is cloned, made read-only while detached, and attached onto itself, so
 * no name is looked up between the check and the mount. `nodev` is left off for a device
 * source (/dev/null), where it would turn reads into EACCES.
 */
export function bindReadOnlyAt(fd: number, what: string, source: number = fd, nodev = true): void {
  const tree = cloneMount(source, '', { recursive: false }, what);
  try {
    setMountAttributes(tree, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | (nodev ? MOUNT_ATTR.NODEV : 0n), { recursive: false }, what);
    attachMountOnto(tree, fd, what);
  } finally {
    closeSync(tree);
  }
}

/** maskDirectory onto the directory `fd` names (the mount follows the descriptor's magic link, nothing else). */
export function maskDirectoryAt(fd: number, what: string): void {
  check(
    mount('corral-deny', `/proc/self/fd/${fd}`, 'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=000,size=4k,nr_inodes=1'),
    `mount(tmpfs on ${what})`,
  );
}

/** maskFile onto the file `fd` names: /dev/null, read-only, attached through descriptors. */
export function maskFileAt(fd: number, what: string): void {
  const devNull = openSync('/dev/null', constants.O_RDONLY | 0o10000000 /* O_PATH */ | constants.O_NOFOLLOW);
  try {
    bindReadOnlyAt(fd, what, devNull, false);
  } finally {
    closeSync(devNull);
  }
}

/** Mount a fresh tmpfs on `target` (options: `mode=…,size=…`). */
export function mountTmpfs(target: string, options: string, readOnly = false): void {
  check(mount('corral-view', target, 'tmpfs', MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0), options), `mount(tmpfs on ${target})`);
}

/** Make an existing mount read-only (its own flags; submounts keep theirs). */
export function remountReadOnly(target: string): void {
  check(mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, null), `mount(${target}, MS_REMOUNT|MS_RDONLY)`);
}

/**
 * Bind `source` (typically /proc/self/fd/<n> of a path opened before it was covered) on
 * `target`, with every mount below it (MS_REC: protected binds and read-deny masks go along),
 * keeping an idmapping the source mount has.
 */
export function bindTree(source: string, target: string): void {
  check(mount(source, target, null, MS_BIND | MS_REC, null), `mount(${source} on ${target}, MS_BIND|MS_REC)`);
}

/** A fresh procfs on /proc with `options` (e.g. hidepid=invisible). */
export function mountProc(options: string): void {
  check(mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, options), `mount(proc on /proc, ${options})`);
}

/** A fresh mqueue filesystem (of the calling thread's IPC namespace) on `target`. */
export function mountMqueue(target: string): void {
  check(mount('mqueue', target, 'mqueue', MS_NOSUID | MS_NODEV | MS_NOEXEC, null), `mount(mqueue on ${target})`);
}

/**
 * A devpts instance of the session's own on `target` (/dev/pts): `newinstance`, so the ptys the
 * session opens (through /dev/ptmx, which the kernel resolves to the `pts` beside it in this
 * namespace) are the only ones it can see or open — never the host's or another session's, even
 * those of the same identity. Slaves are 0600, their opener's; /dev/pts/ptmx is 0666.
 */
export function mountDevpts(target: string): void {
  check(mount('devpts', target, 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0600'), `mount(devpts newinstance on ${target})`);
}
