/**
 * Where a real user's kept sessions listen, and the checks that make the place private.
 *
 *   $XDG_RUNTIME_DIR/corral/<instance>/<key>.sock   when this process is the real user and the
 *                                                   variable names a private directory of theirs
 *   /run/user/<uid>/corral/<instance>/<key>.sock    else, when logind made that directory
 *   ~/.local/state/corral/sessions/<instance>/<key>.sock   else (no runtime directory: su, cron, tests)
 *
 * The runtime directory comes first because it is the one made for this (a tmpfs, 0700, gone at
 * logout and reboot, with the processes that listened there). Under sudo the environment is the
 * caller's, so root never follows XDG_RUNTIME_DIR: it uses /run/user/<uid> or the home from the
 * passwd database. The home fallback is on disk: a socket file left by a host killed with -9
 * stays there, and is found stale (nothing listens) and replaced by the next host.
 *
 * Threat model: other local users and the sandbox identities. The two directories Corral makes
 * (`corral`, `<instance>`) must be real directories (lstat: no symlink), owned by the real user,
 * with no group or world bits; their parent must be owned by the user or root and writable by no
 * one else (else its writer could swap our directory for theirs); the socket must be a socket of
 * the user's with no group or world bits. Anything else is refused — reuse is off then, with the
 * reason, and the command runs in a fresh session as without reuse. The server checks every
 * peer's uid again (host.ts): these checks keep others from reaching or planting a socket, the
 * peer check keeps anyone but the user from being served.
 */
import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';

export interface SocketOwner {
  uid: number;
  home: string;
}

/** The longest unix socket path (sun_path is 108 bytes, one for the NUL). */
export const MAX_SOCKET_PATH = 107;

/** Why `st` (lstat of `dir`) is not a private directory of `uid`, or null when it is. */
export function privateDirProblem(dir: string, st: Pick<Stats, 'uid' | 'mode'> & { isDirectory(): boolean; isSymbolicLink(): boolean }, uid: number): string | null {
  if (st.isSymbolicLink()) return `${dir} is a symbolic link`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `${dir} has mode ${(st.mode & 0o777).toString(8)}: others may use it (expected 700)`;
  return null;
}

/** Why the parent `dir` lets someone else replace what is in it, or null when only `uid` (or root) can. */
export function parentDirProblem(dir: string, st: Pick<Stats, 'uid' | 'mode'> & { isDirectory(): boolean }, uid: number): string | null {
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid && st.uid !== 0) return `${dir} is owned by uid ${st.uid}, neither ${uid} nor root`;
  if ((st.mode & 0o022) !== 0) return `${dir} has mode ${(st.mode & 0o777).toString(8)}: others may write it`;
  return null;
}

/** Why `st` (lstat of `file`) is not a private socket of `uid`, or null when it is. */
export function socketProblem(file: string, st: Pick<Stats, 'uid' | 'mode'> & { isSocket(): boolean }, uid: number): string | null {
  if (!st.isSocket()) return `${file} is not a socket`;
  if (st.uid !== uid) return `${file} is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `${file} has mode ${(st.mode & 0o777).toString(8)} (expected 600)`;
  return null;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The base directory (the parent of `corral/`), as chosen above. */
export function socketBase(owner: SocketOwner, env: NodeJS.ProcessEnv = process.env, ownUid: number | undefined = process.getuid?.()): { base: string; sub: string[] } {
  const xdg = env.XDG_RUNTIME_DIR;
  if (ownUid === owner.uid && xdg !== undefined && path.isAbsolute(xdg)) {
    const st = lstatOrNull(xdg);
    if (st !== null && privateDirProblem(xdg, st, owner.uid) === null) return { base: xdg, sub: ['corral'] };
  }
  const run = `/run/user/${owner.uid}`;
  const st = lstatOrNull(run);
  if (st !== null && privateDirProblem(run, st, owner.uid) === null) return { base: run, sub: ['corral'] };
  return { base: path.join(owner.home, '.local', 'state'), sub: ['corral', 'sessions'] };
}

/** The instance's socket directory (not checked; see checkedSocketDir). */
export function socketDir(owner: SocketOwner, instance: string, env: NodeJS.ProcessEnv = process.env, ownUid?: number): string {
  const { base, sub } = socketBase(owner, env, ownUid ?? process.getuid?.());
  return path.join(base, ...sub, instance);
}

/**
 * The instance's socket directory, checked from its parent down (lstat at each level); with
 * `create` (the host, running as the user), missing levels are made 0700. Throws
 * session_unsafe naming the first problem; returns null when it does not exist and `create` is false.
 */
export function checkedSocketDir(owner: SocketOwner, instance: string, create: boolean, env: NodeJS.ProcessEnv = process.env): string | null {
  const { base, sub } = socketBase(owner, env);
  const unsafe = (why: string) => new CorralError('session_unsafe', `not reusing sessions: ${why}`, { details: { reason: why } });
  // The base's missing parents as mkdir -p makes them (~/.local/state is shared with other tools).
  if (create) mkdirSync(base, { recursive: true });
  const baseSt = lstatOrNull(base);
  if (baseSt === null) return null;
  const baseProblem = parentDirProblem(base, baseSt, owner.uid);
  if (baseProblem !== null) throw unsafe(baseProblem);
  let dir = base;
  for (const name of [...sub, instance]) {
    dir = path.join(dir, name);
    let st = lstatOrNull(dir);
    if (st === null) {
      if (!create) return null;
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = lstatSync(dir);
    }
    const problem = privateDirProblem(dir, st, owner.uid);
    if (problem !== null) throw unsafe(problem);
  }
  return dir;
}

export function socketPath(dir: string, key: string): string {
  return path.join(dir, `${key}.sock`);
}

export function lockPath(dir: string, key: string): string {
  return path.join(dir, `${key}.lock`);
}

/** lstat of a socket path, checked: null when absent; throws session_unsafe for a planted or open one. */
export function checkedSocket(file: string, uid: number): Stats | null {
  const st = lstatOrNull(file);
  if (st === null) return null;
  const problem = socketProblem(file, st, uid);
  if (problem !== null) throw new CorralError('session_unsafe', `not reusing sessions: ${problem}`, { details: { reason: problem } });
  return st;
}
