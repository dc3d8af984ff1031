/**
 * Before the first change to the machine: can the state directory take the journal and
 * state.json? Setup and teardown journal every step before it runs (journal.ts); a journal
 * append that fails part-way through a run stops the run with the step already done. So
 * the directory is probed first — created if missing, a probe file of PREFLIGHT_BYTES
 * written, fsync'ed and removed — and a read-only or full filesystem stops the command
 * with `state_unwritable` naming the directory, before anything else changed.
 *
 * PREFLIGHT_BYTES is far more than a whole setup or teardown writes there (a full setup's
 * journal and state are a few KiB; see the README's recovery model), so a run that passed
 * the probe does not run out of space unless something else fills the disk meanwhile —
 * and then the journal still holds the `begin` record of whatever step was cut off.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmdirSync, rmSync, writeSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CorralError } from '../core/errors.js';

export const PREFLIGHT_BYTES = 256 * 1024;

export function unwritableError(target: string, err: unknown): CorralError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'EROFS'
      ? 'is on a read-only filesystem'
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? 'is on a full filesystem (no space left)'
        : `cannot be written (${code})`;
  return new CorralError(
    'state_unwritable',
    `${target} ${why}; Corral keeps there the journal that undoes each change, so it changed nothing. Make it writable with at least ${PREFLIGHT_BYTES / 1024} KiB free, then run the same command again`,
    { cause: err, details: { path: target, errno: code } },
  );
}

/** Throws state_unwritable (having changed nothing) unless `stateDir` takes the journal. */
export function checkStateDirWritable(stateDir: string): void {
  const created = !existsSync(stateDir);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw unwritableError(stateDir, err);
  }
  const probe = path.join(stateDir, `.preflight-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(probe, 'wx', 0o600);
    const chunk = Buffer.alloc(64 * 1024);
    for (let n = 0; n < PREFLIGHT_BYTES; n += chunk.length) writeSync(fd, chunk);
    fsyncSync(fd);
  } catch (err) {
    throw unwritableError(stateDir, err);
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(probe, { force: true });
    if (created) {
      try {
        rmdirSync(stateDir);
      } catch {
        // not empty (another file appeared) or already gone: leave it
      }
    }
  }
}
