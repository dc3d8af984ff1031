/**
 * Placeholders of missing protected names may be shared by concurrent sessions on the same
 * workspace; each session registers a marker `<key>.<session>` under
 * /run/<inst>/reservations, and a placeholder is removed only when no marker for it remains.
 * Registration and removal happen under an exclusive flock on `.lock` in that directory (the
 * reaper takes it with flock(1)).
 */
import { closeSync, lstatSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { CorralError } from '../../core/errors.js';
import { check, libcFunction } from '../../os/linux/libc.js';

const LOCK_EX = 2;
const LOCK_UN = 8;
const flock = libcFunction('int flock(int fd, int operation)');

export function reservationsDir(installation: string): string {
  return `/run/${installation}/reservations`;
}

export function reservationKey(path: string): string {
  return createHash('sha256').update(path, 'utf8').digest('hex').slice(0, 32);
}

function ensureRootDir(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new CorralError('runner_failed', `${path} must be a root-owned directory writable by root only`);
  }
}

/** Take the registry lock; returns the function that releases it. */
export function lockReservations(installation: string): () => void {
  const dir = reservationsDir(installation);
  ensureRootDir(`/run/${installation}`, 0o755);
  ensureRootDir(dir, 0o700);
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
