/**
 * One `corral setup` / `corral teardown` of an installation at a time: an exclusive flock on
 * `/run/<installation>/setup.lock` (root-owned, 0600, in the root-only run-time directory of
 * run-dir.ts), held from before planning until the last journal record is written.
 * So a second command plans from what the first left on the machine, and the journal never
 * interleaves two runs' records.
 *
 * A second command waits, saying on stderr which process holds the lock (the holder writes
 * its pid, command and start time into the file). The lock is released when the holder's
 * descriptor closes — also when it is killed, so a crashed setup never leaves a stale lock.
 *
 * Nothing is left behind: the holder unlinks the file before it releases the lock (and the
 * directory when empty). A waiter that then gets the lock on the unlinked inode notices
 * (the path no longer names its descriptor's inode) and takes the lock again on a fresh file.
 *
 * Threat model: only root runs setup/teardown; the directory and file checks refuse a
 * planted link or a directory another account could write, where a local user could
 * otherwise hold the lock forever or make root write the holder line elsewhere.
 */
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { CorralError } from '../../../core/errors.js';
import { lastErrno, libcFunction, LibcError } from '../../../os/linux/libc.js';
import { ensureRootOnlyDir, installationRunDir } from '../../../runner/linux/run-dir.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const EINTR = 4;
const flock = libcFunction('int flock(int fd, int operation)');

export function setupLockFile(installation: string): string {
  return `${installationRunDir(installation)}/setup.lock`;
}

function tryLock(fd: number): boolean {
  for (;;) {
    if (Number(flock(fd, LOCK_EX | LOCK_NB)) === 0) return true;
    const errno = lastErrno();
    if (errno === EWOULDBLOCK) return false;
    if (errno !== EINTR) throw new LibcError('flock(setup.lock)', errno);
  }
}

function holderOf(file: string): string {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; command?: unknown; started?: unknown };
    return `corral ${String(h.command)} (pid ${String(h.pid)}, started ${String(h.started)})`;
  } catch {
    return 'another corral setup or teardown';
  }
}

export interface SetupLockOptions {
  command: string;
  /** Where the "waiting for…" line goes (stderr). */
  notice?: (line: string) => void;
  pollMs?: number;
}

/**
 * Take the installation's setup lock, waiting while another setup/teardown holds it.
 * Returns the function that releases it (idempotent).
 */
export async function acquireSetupLock(installation: string, opts: SetupLockOptions): Promise<() => void> {
  const file = setupLockFile(installation);
  const dir = file.slice(0, file.lastIndexOf('/'));
  const notice = opts.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  let announced = false;
  for (;;) {
    ensureRootOnlyDir(dir);
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      // The previous holder removed the directory between our mkdir and open: again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
        throw new CorralError('state_corrupt', `${file} must be a regular file owned by root, mode 0600; remove it and run the command again`, { details: { path: file } });
      }
      while (!tryLock(fd)) {
        if (!announced) {
          notice(`waiting: ${holderOf(file)} holds ${file}; this ${opts.command} starts when it ends`);
          announced = true;
        }
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
      }
      // The previous holder may have unlinked the file just before releasing: our lock is
      // then on an inode nobody else will ever lock. Start again on the current file.
      let current: { ino: number; dev: number } | null = null;
      try {
        current = lstatSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const mine = fstatSync(fd);
      if (current === null || current.ino !== mine.ino || current.dev !== mine.dev) {
        closeSync(fd);
        continue;
      }
      ftruncateSync(fd, 0);
      writeSync(fd, `${JSON.stringify({ pid: process.pid, command: opts.command, started: new Date().toISOString() })}\n`, 0);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Unlink while still holding the lock (see above), then release by closing.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      closeSync(fd);
      try {
        rmdirSync(dir);
      } catch (err) {
        // A session's run-time files, or another waiter's fresh lock file, keep it.
        if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'EBUSY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    };
  }
}
