/**
 * limits.homeBytes: the disk a session may write into its HOME (the identity's home for the
 * workspace, workspace-home.ts). The root filesystem may have no quota support (ext4 without
 * the `quota`/`project` features cannot get them while mounted), so the bound is a filesystem
 * of that size: each workspace home is an ext4 image file, attached to a loop device and
 * mounted on the home directory. A write past it fails with ENOSPC inside that filesystem; the
 * host's filesystem only ever holds the image, at most homeBytes (it is sparse: only what was
 * written takes disk).
 *
 * Threat model and choices:
 * - The image is made by root with mkfs.ext4, and lives in `<state dir>/home-images/<identity>/`
 *   (root-owned, 0700; the file 0600, checked by fstat: a regular file of root's with one link):
 *   no session and no identity can write the image's bytes, only files through the mounted
 *   filesystem, so the kernel never parses an image a sandboxed process crafted.
 * - It is mounted `nosuid,nodev,errors=remount-ro` in the HOST mount namespace, by the runner's
 *   root phase before it unshares, under an exclusive flock on the image: every session of the
 *   identity and workspace then shares one mount and one superblock (the same image is never
 *   attached twice, which would corrupt it), and sessions that start later copy the mount into
 *   their namespaces. A reboot just mounts it again at the first session. The mount point is
 *   opened with no link on its path and checked to be the identity's directory.
 * - Something other than this image mounted on the home (or the image's file replaced while
 *   mounted) is refused: the session does not start (fail closed), and `corral status` says so.
 * - No loop device, no e2fsprogs: the session does not start (kernel_unsupported, tool_missing).
 *   There is no silent unbounded fallback; a request without homeBytes (a hand-made one: the
 *   client always sends it) gets the unbounded directory home, as the request may ask for any
 *   size anyway unless the machine layer sets a ceiling (core/policy/floor.ts).
 * - Grown with resize2fs when homeBytes grows: online when it is mounted (this needs
 *   CAP_SYS_RESOURCE; without it a warning, and the home keeps its size), offline (e2fsck -f,
 *   resize2fs on the image) when it is mounted next while no one has it. Never shrunk: a smaller homeBytes
 *   leaves the larger filesystem with a warning (shrinking needs it unmounted everywhere, which
 *   live sessions of the workspace prevent); `corral setup --remove-workspace` resets it.
 * - Sparse images may overcommit the host disk: when the host's filesystem itself is full,
 *   writes into the home fail (I/O errors; the filesystem turns read-only) instead of filling it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, fchmodSync, fchownSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmdirSync, unlinkSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { check, lastErrno, LibcError, libcFunction } from '../../os/linux/libc.js';
import { attachLoop, loopBackingFile, refreshLoopCapacity } from './loop.js';
import { currentMounts, topMountAt, type MountEntry } from './mountinfo.js';
import { openNoSymlinks } from './open-no-symlinks.js';

const flock = libcFunction('int flock(int fd, int operation)');
const mount = libcFunction('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)');
const umount2 = libcFunction('int umount2(const char *target, int flags)');

const O_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const MS_NOSUID = 2;
const MS_NODEV = 4;
const MNT_DETACH = 2;
const UMOUNT_NOFOLLOW = 8;
const EBUSY = 16;
const BLOCK = 4096;
const MOUNT_OPTIONS = 'errors=remount-ro';
const TOOL_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const TOOL_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export function homeImagesDir(installation: Installation): string {
  return `${installation.stateDir}/home-images`;
}

/** The image of one workspace home: `<state dir>/home-images/<identity>/<ws-id>.img`. */
export function homeImagePath(installation: Installation, identity: string, homeName: string): string {
  return `${homeImagesDir(installation)}/${identity}/${homeName}.img`;
}

/** Is `mount` the loop mount of `image` (the kernel's name for its backing file; " (deleted)" once unlinked)? */
export function isMountOf(entry: MountEntry, image: string): boolean {
  const backing = loopBackingFile(entry.majorMinor);
  return backing === image || backing === `${image} (deleted)`;
}

export interface HomeImageResult {
  /** The image was made now (the first session of this identity in this workspace). */
  created: boolean;
  /** It was mounted now (first session since boot, or made now). */
  mounted: boolean;
  /** Its size after this call, bytes. */
  bytes: number;
  warnings: string[];
}

function rootOnlyDirectory(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
    throw new CorralError('runner_failed', `${path} must be a directory of root's that no one else may enter (0700); it is not: remove it`);
  }
}

function tool(name: string): string {
  for (const dir of TOOL_DIRS) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  throw new CorralError('tool_missing', `${name} is not installed (package e2fsprogs): limits.homeBytes needs it to make the home's filesystem`, { details: { tool: name } });
}

/** Run an e2fsprogs tool; `ok` lists the exit codes that are success (e2fsck: 1 = errors corrected). */
function runTool(name: string, args: string[], ok: readonly number[] = [0]): void {
  try {
    execFileSync(tool(name), args, { env: TOOL_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (err) {
    if (err instanceof CorralError) throw err;
    if (ok.includes((err as { status?: number }).status ?? -1)) return;
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    throw new CorralError('runner_failed', `${name} ${args.join(' ')} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/** An ext4 superblock's magic (0xEF53 at byte 1080): false for a file mkfs never finished. */
function hasExt4Magic(fd: number): boolean {
  const magic = Buffer.alloc(2);
  return readSync(fd, magic, 0, 2, 1024 + 0x38) === 2 && magic.readUInt16LE(0) === 0xef53;
}

/**
 * Make sure the image of this workspace home exists, holds at least `bytes`, and is mounted
 * on `mountPoint` (the directory prepareWorkspaceHome made) in this — the host's — mount
 * namespace. Root phase, before the mount namespace is unshared. Throws (the session does
 * not start) when it cannot be.
 */
export function ensureHomeImage(
  installation: Installation,
  identity: { name: string; uid: number; gid: number },
  mountPoint: string,
  homeName: string,
  requested: number,
): HomeImageResult {
  const bytes = Math.floor(requested / BLOCK) * BLOCK;
  const warnings: string[] = [];
  rootOnlyDirectory(homeImagesDir(installation));
  rootOnlyDirectory(`${homeImagesDir(installation)}/${identity.name}`);
  const image = homeImagePath(installation, identity.name, homeName);
  const fd = openSync(image, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | O_CLOEXEC, 0o600);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== 0 || st.nlink !== 1 || (st.mode & 0o077) !== 0) {
      throw new CorralError('runner_failed', `${image} is not a file of root's with one link and mode 0600: remove it (\`corral setup --remove-workspace\` does)`);
    }
    // One runner at a time per image: the check below and the mount are one step for all.
    check(flock(fd, LOCK_EX), `flock(${image})`);
    let created = false;
    let mounted = false;
    let top = topMountAt(currentMounts(), mountPoint);
    if (top !== null && !isMountOf(top, image)) {
      throw new CorralError('runner_failed', `${mountPoint} has ${top.source} (${top.fstype}) mounted on it, not its home image ${image}: the session's home would not be bounded`, {
        details: { mountPoint, source: top.source },
        remedy: `Unmount it (\`sudo umount ${mountPoint}\`), then start the session again.`,
      });
    }
    if (top === null) {
      if (fstatSync(fd).size === 0 || !hasExt4Magic(fd)) {
        ftruncateSync(fd, bytes);
        runTool('mkfs.ext4', ['-q', '-F', '-t', 'ext4', '-b', String(BLOCK), '-m', '0', '-L', 'corral-home', '-E', `lazy_journal_init=1,root_owner=${identity.uid}:${identity.gid}`, image]);
        created = true;
      } else if (fstatSync(fd).size < bytes) {
        // Offline growth while no one has it mounted (needs no capability beyond root's files).
        ftruncateSync(fd, bytes);
        runTool('e2fsck', ['-f', '-p', image], [0, 1]);
        runTool('resize2fs', [image]);
      }
      mountImage(fd, image, mountPoint, identity, warnings, created);
      mounted = true;
      top = topMountAt(currentMounts(), mountPoint);
      if (top === null || !isMountOf(top, image)) throw new CorralError('runner_failed', `${image} was mounted on ${mountPoint} but is not found there`);
    }
    checkRoot(mountPoint, identity, created);
    let size = fstatSync(fd).size;
    if (size < bytes) {
      // Online growth: the file, then the device, then the filesystem (resize2fs on the mounted
      // device, which needs CAP_SYS_RESOURCE). Refused (a runner without it, as in some
      // containers): the file and device go back to the filesystem's size, the session runs
      // with the smaller home, and the next first mount (after a reboot) grows it offline.
      ftruncateSync(fd, bytes);
      refreshLoopCapacity(top.source);
      try {
        runTool('resize2fs', [top.source]);
        size = bytes;
      } catch (err) {
        ftruncateSync(fd, size);
        refreshLoopCapacity(top.source);
        warnings.push(`HOME stays at ${size} bytes, less than limits.homeBytes ${requested}: growing it while mounted failed (${(err as Error).message.split('\n').slice(-1)[0]}); it grows at its next first mount`);
      }
    } else if (size > bytes + BLOCK) {
      warnings.push(`HOME holds up to ${size} bytes, more than limits.homeBytes ${requested}: a home's filesystem grows but never shrinks (\`corral setup --remove-workspace\` resets it)`);
    }
    return { created, mounted, bytes: size, warnings };
  } finally {
    closeSync(fd); // releases the lock
  }
}

function mountImage(imageFd: number, image: string, mountPoint: string, identity: { uid: number }, warnings: string[], created: boolean): void {
  const target = openNoSymlinks(mountPoint, { directory: true });
  try {
    const st = fstatSync(target);
    if (!st.isDirectory() || st.uid !== identity.uid) throw new CorralError('runner_failed', `${mountPoint} is not a directory of the identity's`);
    if (created && readdirSync(mountPoint).length > 0) {
      warnings.push(`${mountPoint} held files from before limits.homeBytes; they stay on the host's disk, hidden under the new bounded home (\`corral setup --remove-workspace\` removes them)`);
    }
    // The device gets an open file description of its own: it keeps the one it is given for as
    // long as it is attached, and the flock on `imageFd` (per description) must end with this call.
    const backing = openSync(`/proc/self/fd/${imageFd}`, constants.O_RDWR | O_CLOEXEC);
    let loop: ReturnType<typeof attachLoop>;
    try {
      loop = attachLoop(backing, image);
    } finally {
      closeSync(backing);
    }
    try {
      if (Number(mount(loop.device, `/proc/self/fd/${target}`, 'ext4', MS_NOSUID | MS_NODEV, MOUNT_OPTIONS)) !== 0) {
        throw new LibcError(`mount(${loop.device} on ${mountPoint}, ext4)`, lastErrno());
      }
    } finally {
      closeSync(loop.fd); // autoclear: from now on the mount alone holds the device
    }
  } finally {
    closeSync(target);
  }
}

/** The filesystem's root is the identity's 0700 directory (made so once, checked every time). */
function checkRoot(mountPoint: string, identity: { uid: number; gid: number }, created: boolean): void {
  const fd = openSync(mountPoint, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | O_CLOEXEC);
  try {
    if (created) {
      fchownSync(fd, identity.uid, identity.gid);
      fchmodSync(fd, 0o700);
      try {
        rmdirSync(`${mountPoint}/lost+found`); // e2fsck makes it again when it needs one
      } catch {
        // absent
      }
    }
    const st = fstatSync(fd);
    if (!st.isDirectory() || st.uid !== identity.uid) throw new CorralError('runner_failed', `the root of the home image on ${mountPoint} does not belong to the identity`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Unmount the image of one workspace home from `mountPoint` (this namespace) and delete it.
 * Teardown, `--remove-workspace`, test cleanups; idempotent. Under the image's lock, so no
 * runner mounts it meanwhile. A mount still in use in this namespace is detached lazily; a
 * session namespace holding a copy keeps the filesystem (and the device) until it ends.
 * Returns whether anything was there.
 */
export function releaseHomeImage(installation: Installation, identity: string, mountPoint: string, homeName: string): boolean {
  const image = homeImagePath(installation, identity, homeName);
  let fd: number | null = null;
  try {
    fd = openSync(image, constants.O_RDWR | constants.O_NOFOLLOW | O_CLOEXEC);
    check(flock(fd, LOCK_EX), `flock(${image})`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    let found = fd !== null;
    for (let top = topMountAt(currentMounts(), mountPoint); top !== null && isMountOf(top, image); top = topMountAt(currentMounts(), mountPoint)) {
      found = true;
      if (Number(umount2(mountPoint, UMOUNT_NOFOLLOW)) !== 0) {
        const errno = lastErrno();
        if (errno !== EBUSY) throw new LibcError(`umount2(${mountPoint})`, errno);
        check(umount2(mountPoint, UMOUNT_NOFOLLOW | MNT_DETACH), `umount2(${mountPoint}, MNT_DETACH)`);
      }
    }
    if (fd !== null) unlinkSync(image);
    return found;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Every workspace home image of `identity`: each one mounted on a directory directly in
 * `identityHome` is unmounted, every image deleted, and the identity's image directory
 * removed. Teardown (before the identity home is deleted) and test cleanups.
 */
export function releaseIdentityHomeImages(installation: Installation, identity: string, identityHome: string): void {
  const dir = `${homeImagesDir(installation)}/${identity}`;
  const names = new Set<string>();
  for (const m of currentMounts()) {
    if (m.mountPoint.startsWith(`${identityHome}/`) && !m.mountPoint.slice(identityHome.length + 1).includes('/')) names.add(m.mountPoint.slice(identityHome.length + 1));
  }
  try {
    for (const entry of readdirSync(dir)) if (entry.endsWith('.img')) names.add(entry.slice(0, -'.img'.length));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names) releaseHomeImage(installation, identity, `${identityHome}/${name}`, name);
  try {
    rmdirSync(dir);
  } catch (err) {
    if (!['ENOENT', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
}

/** Mounts at or below `path` in this namespace (a deletion that would cross into one is refused). */
export function mountsAtOrBelow(path: string): string[] {
  return currentMounts()
    .map((m) => m.mountPoint)
    .filter((p) => p === path || p.startsWith(`${path}/`));
}
