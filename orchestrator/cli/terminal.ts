/**
 * `corral run` / `corral sh` on a terminal: whether the command gets a pseudo-terminal in the
 * session, and the caller's terminal in raw mode while it runs.
 *
 * - A pty when stdin and stdout are both terminals (and the session can give one), or with
 *   `--pty` (an error where it cannot); never with `--no-pty` or `--json`.
 * - Raw mode on the caller's terminal (when stdin is one) while the command runs, so every key
 *   goes to the pty, whose own line discipline echoes, edits lines and turns ^C, ^Z, ^\ into
 *   signals of the command's foreground job. Restored on every way out that a process can see:
 *   the command's end, the runner's death (the exit promise rejects), an exception, SIGTERM or
 *   SIGHUP to corral (forwarded to the command, which then ends), and process exit (a backstop;
 *   Node restores the terminal state it found at start as well). A SIGKILL of corral leaves the
 *   terminal raw, as it would leave any program's (`stty sane` or `reset` repairs it).
 */
import { execFileSync } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import type { PtySize } from '../../core/protocol.js';

/** The size a pty gets when corral's stdout is not a terminal (`--pty` with redirected output). */
export const DEFAULT_PTY_SIZE: PtySize = { cols: 80, rows: 24 };

export interface TerminalFacts {
  stdinIsTerminal: boolean;
  stdoutIsTerminal: boolean;
  /** stdout's size when it is a terminal. */
  size?: { columns?: number; rows?: number };
}

/** Pure: the pty to ask for (null: pipes). `flag`: --pty (true), --no-pty (false), neither (undefined). */
export function choosePty(flag: boolean | undefined, json: boolean, sessionPtys: boolean, facts: TerminalFacts): PtySize | null {
  if (flag === false) return null;
  if (flag === true && json) throw new CorralError('usage', '--pty and --json do not go together: --json collects stdout and stderr apart, a pty merges them');
  if (json) return null;
  if (flag === undefined && !(facts.stdinIsTerminal && facts.stdoutIsTerminal)) return null;
  if (!sessionPtys) {
    if (flag === undefined) return null;
    throw new CorralError('platform_unsupported', "--pty: this session's runner cannot give commands a pseudo-terminal (see `corral run` warnings); run without --pty");
  }
  return sizeOf(facts.size);
}

/** A terminal's size as a pty size (clamped into the runner's bounds), or the default. */
export function sizeOf(size: { columns?: number; rows?: number } | undefined): PtySize {
  const cell = (n: number | undefined, fallback: number) => (n !== undefined && Number.isInteger(n) && n >= 1 ? Math.min(n, 10_000) : fallback);
  return { cols: cell(size?.columns, DEFAULT_PTY_SIZE.cols), rows: cell(size?.rows, DEFAULT_PTY_SIZE.rows) };
}

export function terminalFacts(): TerminalFacts {
  return {
    stdinIsTerminal: process.stdin.isTTY === true,
    stdoutIsTerminal: process.stdout.isTTY === true,
    ...(process.stdout.isTTY === true ? { size: { columns: process.stdout.columns, rows: process.stdout.rows } } : {}),
  };
}

/**
 * Raw mode on corral's stdin while a pty command runs; returns the restore (idempotent), which
 * is also hooked to process exit. A no-op when stdin is not a terminal.
 */
export function enterRawMode(): () => void {
  const stdin = process.stdin;
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') return () => undefined;
  const wasRaw = stdin.isRaw;
  // libuv's raw mode (it saves the modes it found, and restores them all on setRawMode(false)).
  stdin.setRawMode(true);
  // It leaves output processing on (OPOST, ONLCR); the pty in the session does that already, and
  // twice would end every line \r\r\n: off too, as ssh's raw mode has it, when stdout is this terminal.
  if (sameTerminal()) {
    try {
      execFileSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    } catch {
      // no stty: lines end \r\r\n, which a terminal shows the same
    }
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    try {
      stdin.setRawMode(wasRaw);
    } catch {
      // stdin is gone (the terminal hung up): nothing left to restore
    }
  };
  process.on('exit', restore);
  return restore;
}

function sameTerminal(): boolean {
  try {
    return process.stdout.isTTY === true && fstatSync(0).rdev === fstatSync(1).rdev;
  } catch {
    return false;
  }
}
