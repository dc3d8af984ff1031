/**
 * `corral run` streaming: a sandboxed command's stdout and stderr copied to corral's own as they
 * come, corral's stdin forwarded, corral's signals turned into kills of the command.
 *
 * A closed reader (`corral run -- yes | head -1`): outside Corral the writer gets SIGPIPE on its
 * next write. Here the command writes into the runner, which never closes, so corral does it: the
 * first EPIPE on stdout (or stderr) stops the copy, keeps draining what still arrives (an
 * undrained stream would never end, and corral would wait for it forever), and kills the command
 * and all it started with SIGPIPE — 141, or what the command's own SIGPIPE handler makes of it. A
 * command that ignores SIGPIPE gets SIGKILL after a grace period, since its writes never fail
 * here as they would outside.
 *
 * A command with a pty (terminal.ts): corral's terminal is raw while it runs (restored on every
 * way out), its size follows corral's (SIGWINCH → `resize`), everything is on the command's
 * stdout, and corral's stdin is forwarded whatever it is (a terminal too: that is the point).
 */
import type { Readable } from 'node:stream';
import type { SandboxedProcess } from '../session/types.js';
import { onClosed, type StdioName } from './closed-pipe.js';
import { blockedLines } from './blocked.js';
import { violationLines } from './violations.js';
import { explainLines, type ExplainContext } from './explain.js';
import { commandNotices, type NoticeContext } from './notices.js';
import { enterRawMode, sizeOf } from './terminal.js';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long a command that survived SIGPIPE may keep running after its reader went away. */
const SIGPIPE_GRACE_MS = 2_000;

function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

export interface StreamOptions {
  /** Copy corral's stdin into the command's. */
  forwardStdin: boolean;
  /** The session's limits and network, for the `corral:` lines said after the command (notices.ts). */
  notices: NoticeContext;
  /** Also called with each chunk of the command's stderr (it is copied to corral's either way). */
  onStderr?: (chunk: Buffer) => void;
  /** Say nothing of refused accesses (--quiet-violations). */
  quietViolations?: boolean;
  /** Print the smallest policy change for each refusal (--explain; explain.ts). */
  explain?: ExplainContext;
  /** The command was started with a pty: raw mode on corral's terminal, resizes forwarded. */
  pty?: boolean;
}

/** Stream a started command through corral's stdio; resolves with its shell-style status. */
export async function streamCommand(child: SandboxedProcess, options: StreamOptions): Promise<number> {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    child.kill(signal === 'SIGINT' && interrupts > 1 ? 'SIGKILL' : signal);
  };
  const sources: Record<StdioName, Readable> = { stdout: child.stdout, stderr: child.stderr };
  let graceTimer: NodeJS.Timeout | undefined;
  const stopOnClosed = onClosed((name) => {
    const source = sources[name];
    source.unpipe();
    source.resume(); // drain and drop: the stream must still reach its end
    if (graceTimer !== undefined) return;
    child.kill('SIGPIPE');
    graceTimer = setTimeout(() => child.kill('SIGKILL'), SIGPIPE_GRACE_MS);
  });
  for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);
  const outDone = Promise.all([ended(child.stdout), ended(child.stderr)]);
  child.stdout.pipe(process.stdout, { end: false });
  child.stderr.pipe(process.stderr, { end: false });
  if (options.onStderr !== undefined) child.stderr.on('data', options.onStderr);
  let restoreTerminal = options.pty === true ? enterRawMode() : () => undefined;
  let finished = false;
  // A ^Z the session would drop stopped the command (lost-suspend.ts): corral stops too, with the
  // terminal as it found it, so the shell that started it shows it stopped; `fg` continues both.
  child.onSuspend(() => {
    restoreTerminal();
    process.once('SIGCONT', () => {
      if (finished) return;
      restoreTerminal = enterRawMode();
      child.kill('SIGCONT');
    });
    process.kill(process.pid, 'SIGTSTP');
  });
  const onResize = () => {
    const { cols, rows } = sizeOf({ columns: process.stdout.columns, rows: process.stdout.rows });
    child.resize(cols, rows);
  };
  if (options.pty === true && process.stdout.isTTY === true) process.stdout.on('resize', onResize);
  if (options.forwardStdin && child.stdin !== null) {
    child.stdin.on('error', () => undefined);
    process.stdin.pipe(child.stdin);
  }
  try {
    const exit = await child.exit;
    await outDone;
    restoreTerminal(); // before corral says anything of its own
    for (const line of commandNotices(exit, options.notices)) process.stderr.write(`corral: ${line}\n`);
    for (const line of blockedLines(exit.connections)) process.stderr.write(line);
    if (options.quietViolations !== true) for (const line of violationLines(exit.violations, exit.violationsDropped)) process.stderr.write(line);
    if (options.explain !== undefined) for (const line of explainLines(exit.violations, exit.connections, options.explain)) process.stderr.write(line);
    return exit.status;
  } finally {
    finished = true;
    restoreTerminal();
    process.stdout.off('resize', onResize);
    clearTimeout(graceTimer);
    stopOnClosed();
    for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
    if (options.forwardStdin) {
      // The command is done: stop reading our stdin, or an open pipe would keep corral alive.
      process.stdin.unpipe();
      process.stdin.destroy();
    }
  }
}
