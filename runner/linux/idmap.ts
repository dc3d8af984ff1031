/**
 * Idmapped bind mounts of a workspace (issue 7, DESIGN.md §Linux mechanisms): inside the
 * session's private mount namespace, the workspace is bound over itself with an idmap in
 * which the real user's uid/gid on disk are seen as the sandbox identity's. The identity
 * then owns (and may write) exactly the real user's files, and whatever it creates is
 * stored on disk owned by the real user. No tree walk, no ACL, nothing left behind: the
 * mount dies with the namespace.
 *
 * Direction (Documentation/filesystems/idmappings.rst): for an idmapped mount, an id read
 * from disk is taken as an id *inside* the mount's user namespace and translated to the id
 * *outside* it, i.e. column 1 of uid_map → column 2. So the line `REAL IDENTITY 1` shows
 * on-disk REAL as IDENTITY, and a file created by IDENTITY is written to disk as REAL.
 * Ids with no mapping (root, third users) show as the overflow id (65534) and the kernel
 * refuses every write to such inodes (inode_permission: HAS_UNMAPPED_ID → EACCES), even
 * when their mode would allow it. The same holds for a real-user file whose *group* is not
 * the real user's primary group: it is read-only in the session (documented limitation).
 *
 * Threat model: the caller (the runner's root phase) has validated that the workspace is
 * a directory owned by the real user; the real user may race us by swapping path
 * components. So the path is opened once with no link anywhere on it (open-no-symlinks.ts,
 * and, in a session, required to be the inode the request's check pinned); the copy is
 * cloned from that descriptor and attached onto it (mount-api.ts), we verify the very object
 * we cloned (fstat of the tree fd: a directory owned by the real uid), and read back the
 * mounted result. uid 0 is never mapped: an idmapped root would hand the identity every root-owned
 * file reachable in the workspace (callers use the ACL fallback for root).
 *
 * FFI: koffi against libc `syscall` (glibc has no wrappers for these on Debian 12), through
 * libc.ts and mount-api.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { CorralError } from '../../core/errors.js';
import { check, errnoName, libcFunction, LibcError } from '../../os/linux/libc.js';
import { attachMountOnto, cloneMount, MOUNT_ATTR, setMountAttributes } from './mount-api.js';
import { openNoSymlinks, reopenSame } from './open-no-symlinks.js';

/** One id translated by the mount: the real user's id on disk ↔ the identity's id. */
export interface IdPair {
  real: number;
  identity: number;
}

export interface IdmapMapping {
  uid: IdPair;
  gid: IdPair;
  /**
   * The real user's supplementary groups, each mapped to itself, so that the real user's
   * files whose group is one of them (setgid project directories) stay writable in the
   * session by their owner bits. This grants nothing through group bits: the identity is not
   * a member of these groups. Ids equal to 0, to `gid.real` or to `gid.identity` are ignored.
   * Undefined or empty: such files are read-only in the session (unmapped group).
   */
  extraGids?: number[];
}

/** The kernel accepts at most 340 lines in a map; keep well below. */
const MAX_EXTRA_GIDS = 256;

/** The gid_map lines: real ↔ identity, then each usable extra group to itself. */
export function gidMapText(mapping: IdmapMapping): string {
  const special = new Set([0, mapping.gid.real, mapping.gid.identity]);
  const extra = [...new Set(mapping.extraGids ?? [])].filter((g) => Number.isInteger(g) && g > 0 && g < 0xffffffff && !special.has(g));
  return [`${mapping.gid.real} ${mapping.gid.identity} 1`, ...extra.slice(0, MAX_EXTRA_GIDS).map((g) => `${g} ${g} 1`)].join('\n') + '\n';
}

/** Outcome of an idmap attempt without attaching anything (for the probe). */
export type IdmapTrial = { ok: true } | { ok: false; api: string; errno: number; errnoName: string; message: string };

const SUPPORTED_ARCHES: readonly string[] = ['x64', 'arm64'];
const O_CLOEXEC = 0o2000000;
const MNT_DETACH = 2;

// Fixed locations: the runner's environment (PATH included) is not trusted.
const UNSHARE_CANDIDATES = ['/usr/bin/unshare', '/bin/unshare'];
const CAT_CANDIDATES = ['/usr/bin/cat', '/bin/cat'];
/** Byte the helper echoes back once it runs inside its new user namespace. */
const READY_BYTE = 0x00;

const pipe2 = libcFunction('int pipe2(_Out_ int *fds, int flags)');
const umount2 = libcFunction('int umount2(const char *target, int flags)');

function firstExisting(candidates: string[], what: string): string {
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new CorralError('tool_missing', `${what} not found at ${candidates.join(' or ')} (package util-linux / coreutils)`);
  }
  return found;
}

/** Whether this process can use the mount API at all (architecture, root). */
export function idmapPrerequisite(): string | null {
  if (process.platform !== 'linux') return 'idmapped mounts exist only on Linux';
  if (!SUPPORTED_ARCHES.includes(process.arch)) return `architecture ${process.arch} is not supported for idmapped mounts`;
  if (process.getuid?.() !== 0) return 'idmapped mounts need root (the runner\'s privileged phase or provisioning)';
  return null;
}

function validateMapping(mapping: IdmapMapping): void {
  for (const [kind, pair] of [['uid', mapping.uid], ['gid', mapping.gid]] as const) {
    for (const [side, id] of [['real', pair.real], ['identity', pair.identity]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= 0xffffffff) {
        throw new CorralError('internal', `idmap: ${side} ${kind} ${String(id)} is not a valid id`);
      }
      // Never idmap id 0 (see threat model above).
      if (id === 0) {
        throw new CorralError('runner_failed', `idmap: refusing to map ${kind} 0 (${side}); a root real user uses ACL grants instead`);
      }
    }
    if (pair.real === pair.identity) throw new CorralError('internal', `idmap: real and identity ${kind} are both ${pair.real}`);
  }
}

function makePipe(): [number, number] {
  const fds = [-1, -1];
  check(pipe2(fds, O_CLOEXEC) as number, 'pipe2');
  return [fds[0]!, fds[1]!];
}

function closeQuietly(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    // already closed or never valid; nothing to release
  }
}

/**
 * Run `fn` with a descriptor of a fresh user namespace whose maps are `mapping`.
 *
 * Why a helper process, and why this one: a multi-threaded process (Node is) cannot
 * unshare(CLONE_NEWUSER), and forking Node from FFI to run JS in the child is unsafe.
 * The namespace's maps must be written by a process holding CAP_SETUID/CAP_SETGID in the
 * parent namespace (us, root) while a process is inside it; once we hold an fd of
 * /proc/<pid>/ns/user the namespace lives on without that process. So we start
 * `unshare --user -- cat` (util-linux; no shell, constant argv, empty environment) with
 * stdin and stdout on two *blocking* pipes made with pipe2 (Node's own stdio pipes are
 * non-blocking). We write one byte into its stdin and block in readSync on its stdout:
 * `cat` only runs after unshare(2) succeeded, so the echoed byte proves the helper is in
 * its new namespace — no polling, fully synchronous, as the runner's root phase needs.
 * If unshare fails, its message (never starting with NUL) or EOF arrives instead.
 * Closing our end of its stdin ends `cat` on its own; we also SIGKILL it in `finally`.
 * libuv reaps it once the event loop runs (reaping here would race libuv's SIGCHLD
 * handler), and the handle is unref'd so it never keeps the loop alive.
 */
function withUserns<T>(mapping: IdmapMapping, fn: (usernsFd: number) => T): T {
  const unshareBin = firstExisting(UNSHARE_CANDIDATES, 'unshare');
  const catBin = firstExisting(CAT_CANDIDATES, 'cat');
  let toChildRead = -1;
  let toChildWrite = -1;
  let fromChildRead = -1;
  let fromChildWrite = -1;
  let child: ChildProcess | null = null;
  let usernsFd = -1;
  try {
    [toChildRead, toChildWrite] = makePipe();
    [fromChildRead, fromChildWrite] = makePipe();
    child = spawn(unshareBin, ['--user', '--', catBin], {
      stdio: [toChildRead, fromChildWrite, fromChildWrite],
      env: {},
      cwd: '/',
    });
    child.on('error', () => {
      // reported synchronously below through the pipe's EOF; keep the event from throwing
    });
    child.unref();
    closeQuietly(toChildRead);
    toChildRead = -1;
    closeQuietly(fromChildWrite);
    fromChildWrite = -1;
    const pid = child.pid;
    if (pid === undefined) throw new CorralError('tool_missing', `could not start ${unshareBin}`);

    try {
      writeSync(toChildWrite, Buffer.from([READY_BYTE]));
    } catch (err) {
      // EPIPE: the helper already died (unshare failed); its message is read below.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    }
    const reply = Buffer.alloc(512);
    const n = readSync(fromChildRead, reply, 0, reply.length, null);
    if (n !== 1 || reply[0] !== READY_BYTE) {
      const text = reply.subarray(0, n).toString('utf8').trim();
      throw new CorralError('kernel_unsupported', `could not create a user namespace for the idmapped mount: ${text || 'helper exited'}`, {
        details: { helper: unshareBin },
      });
    }

    // setgroups must be denied before gid_map is written by an unprivileged writer; as root
    // it is not required, but denying it keeps the namespace from ever granting setgroups.
    writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    writeFileSync(`/proc/${pid}/uid_map`, `${mapping.uid.real} ${mapping.uid.identity} 1\n`);
    writeFileSync(`/proc/${pid}/gid_map`, gidMapText(mapping));
    usernsFd = openSync(`/proc/${pid}/ns/user`, 'r');
    closeQuietly(toChildWrite);
    toChildWrite = -1;
    return fn(usernsFd);
  } finally {
    closeQuietly(usernsFd);
    closeQuietly(toChildRead);
    closeQuietly(toChildWrite);
    closeQuietly(fromChildRead);
    closeQuietly(fromChildWrite);
    // Safe against pid reuse: the event loop has not run since the spawn, so libuv has not
    // reaped the helper yet; its pid stays ours (at worst a zombie) until it does.
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * open_tree(OPEN_TREE_CLONE | AT_RECURSIVE) + mount_setattr(MOUNT_ATTR_IDMAP): a detached
 * idmapped copy of the directory `fd` names (opened with no link on its path: open-no-symlinks.ts).
 */
function cloneIdmapped(fd: number, path: string, usernsFd: number, expectedOwner: number): number {
  const treeFd = cloneMount(fd, '', { recursive: true }, path);
  try {
    const st = fstatSync(treeFd);
    if (!st.isDirectory() || st.uid !== expectedOwner) {
      throw new CorralError('workspace_not_owned', `idmap: ${path} is not a directory owned by uid ${expectedOwner} (found uid ${st.uid})`, {
        details: { path, uid: st.uid },
      });
    }
    setMountAttributes(treeFd, MOUNT_ATTR.IDMAP, { recursive: true, usernsFd }, path);
    return treeFd;
  } catch (err) {
    closeQuietly(treeFd);
    throw err;
  }
}

function requireUsable(path: string, mapping: IdmapMapping): void {
  const missing = idmapPrerequisite();
  if (missing !== null) throw new CorralError('kernel_unsupported', missing);
  if (!isAbsolute(path)) throw new CorralError('internal', `idmap: path must be absolute, got ${JSON.stringify(path)}`);
  validateMapping(mapping);
}

/**
 * Bind `path` over itself as an idmapped mount (on-disk real ids seen as the identity's)
 * in the calling process's mount namespace, which must be the session's private one.
 * Synchronous. `path` is opened once with no link on it and, given `expected`, must be that
 * inode (the one the request's check pinned); the copy is cloned from and attached onto that
 * descriptor, so no name is looked up between the check and the mount. Descriptors, cwd and
 * paths resolved before the call still refer to the mount underneath: resolve paths inside
 * the workspace afterwards.
 */
export function idmapWorkspace(path: string, mapping: IdmapMapping, expected?: { dev: number; ino: number }): void {
  requireUsable(path, mapping);
  let cloned: { dev: number; ino: number } | null = null;
  const fd = expected === undefined ? openNoSymlinks(path, { directory: true }) : reopenSame(path, expected, { directory: true });
  try {
    withUserns(mapping, (usernsFd) => {
      const treeFd = cloneIdmapped(fd, path, usernsFd, mapping.uid.real);
      try {
        const st = fstatSync(treeFd);
        cloned = { dev: st.dev, ino: st.ino };
        attachMountOnto(treeFd, fd, path);
      } finally {
        closeQuietly(treeFd);
      }
    });
  } catch (err) {
    if (err instanceof LibcError) {
      throw new CorralError('runner_failed', `could not bind ${path} as an idmapped mount: ${err.message}`, {
        cause: err,
        details: { path, api: err.call, errno: errnoName(err.errno) },
      });
    }
    throw err;
  } finally {
    closeQuietly(fd);
  }
  // Read back: `path` must now be the directory we cloned, showing the identity as owner; if
  // not, take the mount away again (lazily: nothing in this namespace uses it yet) and fail.
  const st = statSync(path);
  const same = cloned as { dev: number; ino: number } | null;
  if (st.uid !== mapping.uid.identity || same === null || st.ino !== same.ino || st.dev !== same.dev) {
    umount2(path, MNT_DETACH);
    throw new CorralError('runner_failed', `idmapped mount of ${path} did not take effect (owner seen as ${st.uid}:${st.gid})`, {
      details: { path },
    });
  }
}

/**
 * Make the idmapped copy of `path` but never attach it (closing the descriptor drops it):
 * tells whether the kernel and this filesystem allow it, with no effect on any namespace.
 */
export function tryIdmapDetached(path: string, mapping: IdmapMapping): IdmapTrial {
  requireUsable(path, mapping);
  // A path that is not a plain directory (a link on it, a file, missing) is an error of the
  // caller's, not an answer about the filesystem: thrown, never reported as "cannot idmap".
  let fd: number;
  try {
    fd = openNoSymlinks(path, { directory: true });
  } catch (err) {
    throw new CorralError('workspace_invalid', `idmap: ${path} is not a directory reached without links (${err instanceof Error ? err.message : String(err)})`, { cause: err, details: { path } });
  }
  try {
    withUserns(mapping, (usernsFd) => closeQuietly(cloneIdmapped(fd, path, usernsFd, mapping.uid.real)));
    return { ok: true };
  } catch (err) {
    if (err instanceof LibcError) {
      return { ok: false, api: err.call, errno: err.errno, errnoName: errnoName(err.errno), message: err.message };
    }
    // No user namespace could be made (e.g. user.max_user_namespaces = 0): idmap impossible here.
    if (err instanceof CorralError && err.code === 'kernel_unsupported') {
      return { ok: false, api: 'unshare --user', errno: -1, errnoName: 'unavailable', message: err.message };
    }
    throw err;
  } finally {
    closeQuietly(fd);
  }
}
