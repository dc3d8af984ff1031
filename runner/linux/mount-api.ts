/**
 * The descriptor-based mount API (Linux 5.2+; mount_setattr 5.12+): a mount is cloned from a
 * descriptor, changed while detached, and attached onto a descriptor, so no path is looked up
 * between the check of an inode and the mount made on it (open-no-symlinks.ts opens them).
 * Syscall numbers are those of the generic table, the same on x86_64 and arm64.
 */
import { check, libcFunction } from '../../os/linux/libc.js';

const SYS_OPEN_TREE = 428;
const SYS_MOVE_MOUNT = 429;
const SYS_MOUNT_SETATTR = 442;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EMPTY_PATH = 0x1000;
export const AT_RECURSIVE = 0x8000;
const O_CLOEXEC = 0o2000000;
const OPEN_TREE_CLONE = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 0x00000004;
const MOVE_MOUNT_T_EMPTY_PATH = 0x00000040;

export const MOUNT_ATTR = {
  RDONLY: 0x00000001n,
  NOSUID: 0x00000002n,
  NODEV: 0x00000004n,
  IDMAP: 0x00100000n,
} as const;
/** struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; } */
const MOUNT_ATTR_SIZE_VER0 = 32;

const syscall = libcFunction('long syscall(long number, ...)');

/**
 * A detached copy of the mount at `dirfd`/`path` (`path` '' with AT_EMPTY_PATH: the descriptor
 * itself); `recursive` takes the mounts below it too. The caller closes the result.
 */
export function cloneMount(dirfd: number, path: string, options: { recursive: boolean; flags?: number }, what: string): number {
  const flags = OPEN_TREE_CLONE | O_CLOEXEC | (options.recursive ? AT_RECURSIVE : 0) | (options.flags ?? 0) | (path === '' ? AT_EMPTY_PATH : 0);
  return check(syscall(SYS_OPEN_TREE, 'int', dirfd, 'str', path, 'uint', flags), `open_tree(${what})`);
}

/** Set attributes on a detached mount (and, with `recursive`, the mounts below it). */
export function setMountAttributes(treeFd: number, set: bigint, options: { recursive: boolean; usernsFd?: number }, what: string): void {
  const attr = Buffer.alloc(MOUNT_ATTR_SIZE_VER0);
  attr.writeBigUInt64LE(set, 0);
  if (options.usernsFd !== undefined) attr.writeBigUInt64LE(BigInt(options.usernsFd), 24);
  check(
    syscall(SYS_MOUNT_SETATTR, 'int', treeFd, 'str', '', 'uint', AT_EMPTY_PATH | (options.recursive ? AT_RECURSIVE : 0), 'void *', attr, 'size_t', MOUNT_ATTR_SIZE_VER0),
    `mount_setattr(${what})`,
  );
}

/** Attach a detached mount onto the inode `targetFd` names, in the mount it was opened through. */
export function attachMountOnto(treeFd: number, targetFd: number, what: string): void {
  check(
    syscall(SYS_MOVE_MOUNT, 'int', treeFd, 'str', '', 'int', targetFd, 'str', '', 'uint', MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
    `move_mount(${what})`,
  );
}
