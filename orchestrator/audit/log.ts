/**
 * Appending audit records: one JSON line per command, one write(2) per line on a file opened
 * O_APPEND, so concurrent sessions interleave whole lines.
 *
 * Threat model: the log lives in the real user's home, which that user controls. When the
 * CLI runs as root on the user's behalf (`sudo corral run`), root must not follow a link the
 * user planted (e.g. audit.jsonl → /etc/shadow). So the directories and the file are created
 * and opened with the user's identity — effective uid/gid and groups switched for those few
 * synchronous calls, then switched back — and the open descriptor is kept for the session.
 * The file then belongs to the user, as it would if they had run corral themselves. The log is
 * the user's record, not a tamper-proof one: the user can edit it; the sandbox identity cannot
 * (its writes are confined to the workspace and writable roots).
 */
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { AuditRecord } from './record.js';

export interface AuditLog {
  readonly file: string;
  append(record: AuditRecord): void;
  close(): void;
}

export interface FileOwner {
  uid?: number;
  gid?: number;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** Run `fn` with the effective identity of `owner` when we are root and they are not (also tool-logs.ts). */
export function asOwner<T>(owner: FileOwner, fn: () => T): T {
  const euid = process.geteuid?.();
  if (euid !== 0 || owner.uid === undefined || owner.gid === undefined || owner.uid === 0) return fn();
  const groups = process.getgroups!();
  const egid = process.getegid!();
  process.setgroups!([owner.gid]);
  process.setegid!(owner.gid);
  process.seteuid!(owner.uid);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(egid);
    process.setgroups!(groups);
  }
}

export function openAuditLog(file: string, owner: FileOwner): AuditLog {
  let fd: number;
  try {
    fd = asOwner(owner, () => {
      // Only Corral's own leaf directory is private: ~/.local and ~/.local/state are the user's
      // (XDG) directories, which other tools share, so they get the mode mkdir -p would give them
      // (0777 less the umask), never 0700.
      const leaf = path.dirname(file);
      mkdirSync(path.dirname(leaf), { recursive: true });
      try {
        mkdirSync(leaf, { mode: DIR_MODE });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      // O_NOFOLLOW: a symlink in place of the log is refused, not followed.
      return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), FILE_MODE);
    });
  } catch (err) {
    throw new CorralError('internal', `cannot open the audit log ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  let open = true;
  return {
    file,
    append(record) {
      if (!open) return;
      writeSync(fd, `${JSON.stringify(record)}\n`);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
