/**
 * Placeholders of missing protected names may be shared by concurrent sessions on the same
 * workspace; each session registers a marker `<key>.<session>` under
 * /run/<inst>/reservations (root-only: run-dir.ts), and a placeholder is removed only when no marker for it remains.
 * Registration and removal happen under an exclusive flock on `.lock` in that directory (the
 * reaper takes it with flock(1)).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import { DOT_FILE_CONTENT, type ReserveKind } from './git-commit.js';
import { createHash } from 'node:crypto';
import { check, libcFunction } from '../../os/linux/libc.js';
import { ensureRunSubdir, installationRunDir } from './run-dir.js';

const LOCK_EX = 2;
const LOCK_UN = 8;
const flock = libcFunction('int flock(int fd, int operation)');

export function reservationsDir(installation: string): string {
  return `${installationRunDir(installation)}/reservations`;
}

export function reservationKey(path: string): string {
  return createHash('sha256').update(path, 'utf8').digest('hex').slice(0, 32);
}

/** Take the registry lock; returns the function that releases it. */
export function lockReservations(installation: string): () => void {
  const dir = ensureRunSubdir(installation, 'reservations');
  const fd = openSync(`${dir}/.lock`, 'a', 0o600);
  try {
    check(flock(fd, LOCK_EX), `flock(${dir}/.lock)`);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return () => {
    flock(fd, LOCK_UN);
    closeSync(fd);
  };
}

export function registerReservation(installation: string, sessionId: string, path: string): void {
  writeFileSync(`${reservationsDir(installation)}/${reservationKey(path)}.${sessionId}`, path, { mode: 0o600 });
}

/**
 * Whether `path` is a placeholder another live session holds: a marker for it is registered,
 * and the entry is what only root makes there — root-owned, not a link, an empty 0555
 * directory, an empty 0444 file, or a 0444 file holding `.` (git-commit.ts `dot-file`). Call under the registry lock. An entry without a marker (a
 * real user's, or one an administrator made) is not adopted: it is bound as it is.
 */
export function sharedPlaceholder(installation: string, path: string): ReserveKind | null {
  const prefix = `${reservationKey(path)}.`;
  let names: string[];
  try {
    names = readdirSync(reservationsDir(installation));
  } catch {
    return null;
  }
  if (!names.some((name) => name.startsWith(prefix))) return null;
  try {
    const st = lstatSync(path);
    if (st.uid !== 0) return null;
    const mode = st.mode & 0o7777;
    if (st.isDirectory() && mode === 0o555 && readdirSync(path).length === 0) return 'dir';
    if (st.isFile() && mode === 0o444 && st.size === 0) return 'file';
    if (st.isFile() && mode === 0o444 && st.size === DOT_FILE_CONTENT.length && holdsDotFileContent(path)) return 'dot-file';
    return null;
  } catch {
    return null;
  }
}

/** The file at `path` (no link followed, never blocking: the entry may have been swapped) holds exactly DOT_FILE_CONTENT. */
function holdsDotFileContent(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== 0 || st.size !== DOT_FILE_CONTENT.length) return false;
    const buf = Buffer.alloc(DOT_FILE_CONTENT.length + 1);
    return readSync(fd, buf, 0, buf.length, 0) === DOT_FILE_CONTENT.length && buf.toString('utf8', 0, DOT_FILE_CONTENT.length) === DOT_FILE_CONTENT;
  } finally {
    closeSync(fd);
  }
}
