/**
 * One command of a confined session: spawned with child_process from the main thread (so it
 * inherits the namespaces, no_new_privs, Landlock and credentials of that thread), born in its
 * own cgroup (cgroup.ts) and in its own process group (detached: setsid), so that `kill`
 * reaches all it started: SIGKILL through cgroup.kill (setsid'd and double-forked processes
 * included), other signals to the process group.
 *
 * Exit is reported once the process has exited and both output pipes have closed — or, when a
 * background process it left keeps a pipe open, OUTPUT_GRACE_MS after the exit (the pipes are
 * then closed on our side; such leftovers live on until the session closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { CommandEvents, RunningCommand } from '../backend.js';
import type { SpawnRequest, ViolationRecord } from '../../core/protocol.js';
import type { SessionCgroup } from './cgroup.js';
import type { SessionViolations } from './violations.js';

const OUTPUT_GRACE_MS = 200;

export interface CommandContext {
  cgroup: SessionCgroup;
  env: Record<string, string>;
  cwd: string;
  /** Called when the command is over and its group can be reclaimed. */
  onFinished(group: string): void;
  /** The session's OOM-kill count so far (memory-limit.ts); absent without a memory limit. */
  oomKills?: () => number;
  /** The session namespace's no-route count (no-route.ts NoRouteTally); only in offline sessions with a namespace of their own. */
  noRoutes?: { seen(): number; read(): number };
  /** The session's violation source (violations.ts); absent where there is none. */
  violations?: Pick<SessionViolations, 'begin' | 'end'>;
}

/** 128 + SIGKILL: how a shell reports a child the kernel killed. */
const KILLED_STATUS = 137;

function isSignalName(name: string): name is NodeJS.Signals {
  return Object.prototype.hasOwnProperty.call(osConstants.signals, name);
}

export function startCommand(request: SpawnRequest, events: CommandEvents, ctx: CommandContext): RunningCommand {
  let child: ChildProcess;
  let group: string;
  // The count as last read (the session's start or the previous command's end): taken before the
  // fork, since a quick command has made its attempts by the time spawn returns; no read here.
  const noRouteBefore = ctx.noRoutes?.seen() ?? 0;
  const violationSink = ctx.violations?.begin();
  /** The command's violations, once they are all in (at once when it has none). */
  const withViolations = (done: (v: { violations?: ViolationRecord[]; violationsDropped?: number }) => void, failed = false) => {
    if (violationSink === undefined) return done({});
    ctx.violations!.end(
      violationSink,
      ({ records, dropped }) => done({ ...(records.length > 0 ? { violations: records } : {}), ...(dropped > 0 ? { violationsDropped: dropped } : {}) }),
      failed,
    );
  };
  try {
    ({ group, result: child } = ctx.cgroup.forkInto(() =>
      spawn(request.argv[0]!, request.argv.slice(1), {
        cwd: ctx.cwd,
        env: ctx.env,
        stdio: [request.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    ));
  } catch (err) {
    withViolations(() => undefined);
    events.failed('runner_failed', `could not start ${request.argv[0]}: ${(err as Error).message}`);
    return inert();
  }

  let exited: { code: number | null; signal: string | null } | null = null;
  let timedOut = false;
  let killRequested = false;
  const oomBefore = ctx.oomKills?.() ?? 0;
  /**
   * The kernel's OOM killer, not anyone's request: the command (or the process of it a shell
   * waited for) died of SIGKILL while the session's OOM-kill count went up. With concurrent
   * commands an OOM kill is attributed to each one that died of SIGKILL meanwhile.
   */
  const outOfMemory = (e: { code: number | null; signal: string | null }) =>
    ctx.oomKills !== undefined && !timedOut && !killRequested && (e.signal === 'SIGKILL' || e.code === KILLED_STATUS) && ctx.oomKills() > oomBefore;
  let reported = false;
  let openStreams = 2;
  let grace: NodeJS.Timeout | undefined;
  const killAll = () => ctx.cgroup.kill(group);
  const timer = setTimeout(() => {
    timedOut = true;
    killAll();
  }, request.timeoutMs);

  const finish = () => {
    if (reported || exited === null) return;
    if (openStreams > 0 && grace === undefined) {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        openStreams = 0;
        finish();
      }, OUTPUT_GRACE_MS);
      return;
    }
    if (openStreams > 0) return;
    reported = true;
    clearTimeout(timer);
    clearTimeout(grace);
    const result = { ...exited, timedOut, ...(outOfMemory(exited) ? { killed: 'out of memory' as const } : {}) };
    withViolations(
      (violations) => {
        // After the violation sources were read: the count includes the refusals they saw (no-route.ts).
        // With concurrent commands, an attempt of one counts for each that ran meanwhile (as OOM kills do).
        const noRoute = ctx.noRoutes === undefined ? {} : { noRoute: Math.max(0, ctx.noRoutes.read() - noRouteBefore) };
        events.exit({ ...result, ...noRoute, ...violations });
        ctx.onFinished(group);
      },
      exited.code !== 0,
    );
  };
  const streamClosed = () => {
    openStreams -= 1;
    finish();
  };
  child.stdout!.on('data', (chunk: Buffer) => events.stdout(chunk));
  child.stderr!.on('data', (chunk: Buffer) => events.stderr(chunk));
  child.stdout!.on('close', streamClosed);
  child.stderr!.on('close', streamClosed);
  child.stdin?.on('error', () => undefined); // EPIPE when the command stops reading: its business

  child.on('error', (err: NodeJS.ErrnoException) => {
    if (child.pid !== undefined || reported) return;
    reported = true;
    clearTimeout(timer);
    withViolations(() => undefined);
    const code = err.code === 'ENOENT' ? 'command_not_found' : err.code === 'EACCES' ? 'command_not_executable' : 'runner_failed';
    const where = err.code === 'ENOENT' ? `${request.argv[0]} (or the directory ${ctx.cwd})` : request.argv[0];
    events.failed(code, `cannot run ${where}: ${err.code ?? err.message}`);
    ctx.onFinished(group);
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    finish();
  });
  if (child.pid !== undefined) events.started(child.pid);

  return {
    writeStdin(chunk) {
      child.stdin?.write(chunk);
    },
    closeStdin() {
      child.stdin?.end();
    },
    kill(signal) {
      killRequested = true;
      if (signal === 'SIGKILL') {
        killAll();
        return;
      }
      if (!isSignalName(signal) || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is gone already
      }
    },
    pauseOutput() {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resumeOutput() {
      child.stdout?.resume();
      child.stderr?.resume();
    },
  };
}

function inert(): RunningCommand {
  const nothing = () => undefined;
  return { writeStdin: nothing, closeStdin: nothing, kill: nothing, pauseOutput: nothing, resumeOutput: nothing };
}
