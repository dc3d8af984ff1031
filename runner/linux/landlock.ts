/**
 * Landlock (Linux 5.13+): write access limited to a set of directory trees and files, for the
 * calling thread and everything it forks. Read and execute are left unhandled (so allowed
 * everywhere); read-deny paths are masked with mounts instead (mount.ts).
 *
 * Constants and struct layouts are written out here because Debian 12's headers predate ABI
 * 5–7. `struct landlock_path_beneath_attr` is packed: u64 allowed_access, s32 parent_fd = 12
 * bytes. `struct landlock_ruleset_attr` is u64 handled_access_fs, u64 handled_access_net
 * (ABI 4), u64 scoped (ABI 6); the size passed tells the kernel which fields we know.
 *
 * Threat model: the identity's commands are hostile. Everything they may write is listed in
 * a `WritableRule`; a right we do not handle is not restricted, so every write-like right the
 * running ABI knows is handled.
 */
import { fstatSync } from 'node:fs';
import { check, libcFunction, lastErrno, LibcError } from '../../os/linux/libc.js';

const SYS_landlock_create_ruleset = 444;
const SYS_landlock_add_rule = 445;
const SYS_landlock_restrict_self = 446;
const LANDLOCK_CREATE_RULESET_VERSION = 1;
const LANDLOCK_RULE_PATH_BENEATH = 1;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const ENOSYS = 38;
const EOPNOTSUPP = 95;

export const FS = {
  EXECUTE: 1n << 0n,
  WRITE_FILE: 1n << 1n,
  READ_FILE: 1n << 2n,
  READ_DIR: 1n << 3n,
  REMOVE_DIR: 1n << 4n,
  REMOVE_FILE: 1n << 5n,
  MAKE_CHAR: 1n << 6n,
  MAKE_DIR: 1n << 7n,
  MAKE_REG: 1n << 8n,
  MAKE_SOCK: 1n << 9n,
  MAKE_FIFO: 1n << 10n,
  MAKE_BLOCK: 1n << 11n,
  MAKE_SYM: 1n << 12n,
  /** ABI 2: link or rename across directories (without it, ABI 1 denies every such move). */
  REFER: 1n << 13n,
  /** ABI 3. */
  TRUNCATE: 1n << 14n,
  /** ABI 5: ioctl on character and block devices. */
  IOCTL_DEV: 1n << 15n,
} as const;

/**
 * landlock_restrict_self flags (ABI 7): log nothing the restricting process itself (the
 * runner, which never execs) is refused, and log what the programs it starts are refused
 * after their exec — by default the kernel logs the opposite (landlock-audit.ts reads them).
 */
export const RESTRICT_SELF_LOG_SAME_EXEC_OFF = 1 << 0;
export const RESTRICT_SELF_LOG_NEW_EXEC_ON = 1 << 1;

const SCOPE_ABSTRACT_UNIX_SOCKET = 1n << 0n;
const SCOPE_SIGNAL = 1n << 1n;

/** Rights that apply to a file (the kernel refuses directory-only rights on a file rule). */
const FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;

const syscall = libcFunction('long syscall(long number, ...)');
const open = libcFunction('int open(const char *path, int flags)');
const close = libcFunction('int close(int fd)');

/** The Landlock ABI of the running kernel; 0 when Landlock is missing or disabled. */
export function landlockAbi(): number {
  const abi = Number(syscall(SYS_landlock_create_ruleset, 'void *', null, 'size_t', 0, 'uint32_t', LANDLOCK_CREATE_RULESET_VERSION));
  if (abi >= 0) return abi;
  const errno = lastErrno();
  if (errno === ENOSYS || errno === EOPNOTSUPP) return 0;
  throw new LibcError('landlock_create_ruleset(VERSION)', errno);
}

/** The write-like rights the given ABI knows: all of them are handled (restricted). */
export function handledWriteRights(abi: number): bigint {
  let rights =
    FS.WRITE_FILE | FS.REMOVE_DIR | FS.REMOVE_FILE | FS.MAKE_CHAR | FS.MAKE_DIR | FS.MAKE_REG | FS.MAKE_SOCK | FS.MAKE_FIFO | FS.MAKE_BLOCK | FS.MAKE_SYM;
  if (abi >= 2) rights |= FS.REFER;
  if (abi >= 3) rights |= FS.TRUNCATE;
  if (abi >= 5) rights |= FS.IOCTL_DEV;
  return rights;
}

export interface WritableRule {
  path: string;
  /**
   * The directory's descriptor, opened once when the request was checked (request-validation.ts
   * ownedDirectory): used as `parent_fd` as it is, so the rule covers the inode that was checked,
   * never what the path names now. Without it the path is opened here (rules for the session's
   * own covers and devices, which no user can swap).
   */
  fd?: number;
  /** `tree`: every handled right beneath a directory. `device`: write/ioctl on a device file or /dev/pts. */
  kind: 'tree' | 'device' | 'cgroup';
}

/** Rights granted for a rule kind, limited to what is handled. */
export function rightsFor(kind: WritableRule['kind'], handled: bigint, isDirectory: boolean): bigint {
  switch (kind) {
    case 'tree':
      return isDirectory ? handled : handled & FILE_RIGHTS;
    case 'device':
      return handled & (FS.WRITE_FILE | FS.TRUNCATE | FS.IOCTL_DEV);
    case 'cgroup':
      // The session's delegated cgroup: create/remove per-command groups and write their files.
      return handled & (isDirectory ? FS.WRITE_FILE | FS.MAKE_DIR | FS.REMOVE_DIR : FS.WRITE_FILE);
  }
}

export interface LandlockResult {
  abi: number;
  /** Rules skipped because their path does not exist (device nodes missing in containers). */
  skipped: string[];
}

/**
 * Restrict this thread (and its future children) to `rules`. Requires no_new_privs (or
 * CAP_SYS_ADMIN). Returns abi 0 without restricting anything when Landlock is unavailable;
 * the caller must report that as a degradation.
 */
export function restrictWrites(rules: WritableRule[], isDirectory: (path: string) => boolean | null, options: { logCommandDenials?: boolean } = {}): LandlockResult {
  const abi = landlockAbi();
  if (abi === 0) return { abi, skipped: [] };
  const handled = handledWriteRights(abi);
  const scoped = abi >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL : 0n;
  const attr = Buffer.alloc(24);
  attr.writeBigUInt64LE(handled, 0);
  attr.writeBigUInt64LE(0n, 8); // network: left to namespaces and the nft uid rule
  attr.writeBigUInt64LE(scoped, 16);
  const attrSize = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
  const rulesetFd = check(syscall(SYS_landlock_create_ruleset, 'void *', attr, 'size_t', attrSize, 'uint32_t', 0), 'landlock_create_ruleset');
  const skipped: string[] = [];
  try {
    for (const rule of rules) {
      const dir = rule.fd !== undefined ? fstatSync(rule.fd).isDirectory() : isDirectory(rule.path);
      if (dir === null) {
        skipped.push(rule.path);
        continue;
      }
      const fd = rule.fd ?? check(open(rule.path, O_PATH | O_CLOEXEC), `open(${rule.path}, O_PATH)`);
      try {
        const beneath = Buffer.alloc(12);
        beneath.writeBigUInt64LE(rightsFor(rule.kind, handled, dir), 0);
        beneath.writeInt32LE(fd, 8);
        check(
          syscall(SYS_landlock_add_rule, 'int', rulesetFd, 'int', LANDLOCK_RULE_PATH_BENEATH, 'void *', beneath, 'uint32_t', 0),
          `landlock_add_rule(${rule.path})`,
        );
      } finally {
        if (rule.fd === undefined) close(fd);
      }
    }
    const flags = options.logCommandDenials === true && abi >= 7 ? RESTRICT_SELF_LOG_SAME_EXEC_OFF | RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
    check(syscall(SYS_landlock_restrict_self, 'int', rulesetFd, 'uint32_t', flags), 'landlock_restrict_self');
  } finally {
    close(rulesetFd);
  }
  return { abi, skipped };
}
