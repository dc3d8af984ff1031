/**
 * Logs that tools write inside the identity's home, made readable for the real user (issue 13
 * item 3). When npm fails in a session it ends with "A complete log of this run can be found in:
 * /var/lib/corral/home/corral-off-alice/ws-…/.npm/_logs/…-debug-0.log" — a path under the
 * identity's home, `0700` and the identity's, which the real user cannot read. `corral run` then
 * copies that log into the real user's state directory (next to the audit log,
 * `~/.local/state/<installation>/tool-logs/`) and says where, in a `corral:` line.
 *
 * Why a copy made by the CLI, and not a log directory the real user can read: anything the
 * sandboxed side writes is hostile to the real user. A directory shared with it would hold
 * whatever the session puts there — links to the user's own files, FIFOs, files of any size —
 * for the user's tools to follow later. Here the file is read *inside the session*, by `head`
 * running confined like any command (so a link the session planted reads only what the session
 * could read and print anyway), bounded in size (MAX_LOG_BYTES, and the session's own output
 * limit) and in time (READ_TIMEOUT_SEC: a FIFO blocks no one), and the bytes are written as
 * data into a new file (`O_EXCL | O_NOFOLLOW`, `0600`) with the real user's identity, in a
 * directory Corral makes, under a name Corral checks. The content is never printed.
 *
 * The path itself comes from the command's stderr, which the session writes: it is taken only
 * when it has the shape of npm's log path (an absolute path ending in `/.npm/_logs/NAME.log`,
 * no `.` or `..` component, a plain file name), at most MAX_LOGS of them, and only for a command
 * that failed. Linux only (npm's log path on Windows has another shape, and the copy needs `head`).
 */
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { auditFilePath } from '../audit/path.js';
import { asOwner } from '../audit/log.js';
import type { Session } from '../session/types.js';

/** How much of the command's stderr is searched: npm names its log in its last lines. */
export const STDERR_TAIL_BYTES = 16 * 1024;
export const MAX_LOG_BYTES = 8 * 1024 * 1024;
const MAX_LOGS = 2;
const READ_TIMEOUT_SEC = 10;
export const TOOL_LOGS_DIR = 'tool-logs';

/** The last STDERR_TAIL_BYTES of a stream, as it comes. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= STDERR_TAIL_BYTES) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)).toString('utf8');
  }
}

// npm ≥ 9: `npm error A complete log of this run can be found in: PATH`; npm 7–8 put PATH on the next
// line after `npm ERR!`.
const NPM_LOG_LINE = /A complete log of this run can be found in:[ \t]*(?:\r?\n(?:npm ERR!)?)?[ \t]*(\/[^\s]+)/g;
const LOG_NAME = /^[0-9A-Za-z][0-9A-Za-z_.:-]{0,127}\.log$/;

/** The log paths npm named in `stderr`, checked as described above; newest last, no duplicates. */
export function npmLogPaths(stderr: string): string[] {
  const found: string[] = [];
  for (const m of stderr.matchAll(NPM_LOG_LINE)) {
    const p = m[1]!;
    if (!isNpmLogPath(p) || found.includes(p)) continue;
    found.push(p);
  }
  return found.slice(-MAX_LOGS);
}

export function isNpmLogPath(p: string): boolean {
  if (!p.startsWith('/') || p.length > 4096) return false;
  const parts = p.split('/').slice(1);
  if (parts.some((part) => part === '' || part === '.' || part === '..' || /[\x00-\x1f\x7f]/.test(part))) return false;
  const n = parts.length;
  return n >= 3 && parts[n - 3] === '.npm' && parts[n - 2] === '_logs' && LOG_NAME.test(parts[n - 1]!);
}

export interface ToolLogCopy {
  tool: 'npm';
  /** The path the tool named, inside the session. */
  path: string;
  /** The copy the real user can read; null when it could not be made (`why`). */
  copy: string | null;
  /** The copy holds only the first bytes of the log (MAX_LOG_BYTES or the session's output limit). */
  truncated: boolean;
  why?: string;
}

export interface CopyTarget {
  /** Directory for the copies: `<state dir>/tool-logs`. */
  dir: string;
  /** The real user: the copy is made with their identity when corral runs as root for them. */
  owner: { uid?: number; gid?: number };
}

/** Where copies go for the session's real user (Linux), or null where this does not apply. */
export async function copyTarget(): Promise<CopyTarget | null> {
  if (process.platform !== 'linux') return null;
  const { currentPlatform } = await import('../current-platform.js');
  const leaf = await currentPlatform();
  const user = await leaf.currentRealUser();
  return { dir: path.join(path.dirname(auditFilePath(leaf.installation, user)), TOOL_LOGS_DIR), owner: user };
}

/** Write `data` into a new file `name` in `target.dir` as its owner; the file's path, or throws. */
export function writeCopy(target: CopyTarget, name: string, data: Buffer): string {
  return asOwner(target.owner, () => {
    // The state directory is private (as the audit log's, audit/log.ts); its parents keep the
    // mode mkdir -p gives them.
    const state = path.dirname(target.dir);
    mkdirSync(path.dirname(state), { recursive: true });
    for (const dir of [state, target.dir]) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
    let file = path.join(target.dir, name);
    let fd: number;
    try {
      fd = openSync(file, flags, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      file = path.join(target.dir, `${Date.now()}-${process.pid}-${name}`);
      fd = openSync(file, flags, 0o600);
    }
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    } finally {
      closeSync(fd);
    }
    return file;
  });
}

/** Copy each log in `paths` out of the session (read there, confined) into `target`. */
export async function copyToolLogs(session: Session, paths: readonly string[], target: CopyTarget): Promise<ToolLogCopy[]> {
  const cap = Math.min(MAX_LOG_BYTES, session.limits.maxOutputBytes);
  const copies: ToolLogCopy[] = [];
  for (const p of paths) {
    const r = await session.exec(['head', '-c', String(cap), '--', p], { timeoutSec: READ_TIMEOUT_SEC });
    if (r.status !== 0) {
      copies.push({ tool: 'npm', path: p, copy: null, truncated: false, why: r.timedOut ? `reading it took over ${READ_TIMEOUT_SEC} s` : `head exited ${r.status} in the session` });
      continue;
    }
    try {
      const copy = writeCopy(target, `npm-${path.basename(p)}`, r.stdout);
      copies.push({ tool: 'npm', path: p, copy, truncated: r.outputTruncated || r.stdout.length >= cap });
    } catch (err) {
      copies.push({ tool: 'npm', path: p, copy: null, truncated: false, why: (err as Error).message });
    }
  }
  return copies;
}

/** The `corral:` lines for the copies (without the mark). */
export function toolLogLines(copies: readonly ToolLogCopy[]): string[] {
  return copies.map((c) =>
    c.copy === null
      ? `npm's log ${c.path} is in the sandbox identity's home, which you cannot read, and it could not be copied (${c.why ?? 'unknown'})`
      : `npm's log ${c.path} is in the sandbox identity's home, which you cannot read; a copy${c.truncated ? ' of its first bytes' : ''} is at ${c.copy}`,
  );
}

/**
 * After a failed command: the logs npm named in the end of its stderr, copied; [] when it named
 * none (or corral is not on Linux). A command killed by a signal (128+N: a closed pipe, a
 * Ctrl-C) gets none: the user stopped it. Never throws: a convenience after the command's end.
 */
export async function toolLogsAfter(session: Session, status: number, stderrTail: string): Promise<ToolLogCopy[]> {
  if (status <= 0 || status >= 128) return [];
  const paths = npmLogPaths(stderrTail);
  if (paths.length === 0) return [];
  try {
    const target = await copyTarget();
    return target === null ? [] : await copyToolLogs(session, paths, target);
  } catch (err) {
    return paths.map((p) => ({ tool: 'npm' as const, path: p, copy: null, truncated: false, why: (err as Error).message }));
  }
}
