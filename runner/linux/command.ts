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
 *
 * With `pty` (pty.ts) the command's stdin, stdout and stderr are the slave of a pty of its own,
 * and it starts as `setsid --ctty -- ARGV`: util-linux's setsid, in the runner's process group
 * (not detached, so it needs no fork), calls setsid(2), makes the pty its controlling terminal
 * (TIOCSCTTY) and execs the command — same pid, so the command is the session leader and its
 * process group the pty's foreground group, to which the line discipline sends ^C, ^Z and ^\.
 * Everything else is as with pipes: the same fork into the command's cgroup, the same
 * credentials, Landlock domain and seccomp filter (all inherited; setsid is one more exec).
 * Output is the master's, as `stdout`; the master ends (EIO) once every holder of the slave has
 * closed it. Closing stdin types the terminal's end-of-file character (^D).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { ReadStream } from 'node:tty';
import { findExecutable } from './executable.js';
import { foregroundGroup, openPty, setWindowSize, suspendCharacter, type OpenPty } from './pty.js';
import { processStatus, stopWouldBeLost } from './lost-suspend.js';
import type { CommandEvents, RunningCommand } from '../backend.js';
import type { SpawnRequest, ViolationRecord } from '../../core/protocol.js';
import type { SessionCgroup } from './cgroup.js';
import type { SessionViolations } from './violations.js';

const OUTPUT_GRACE_MS = 200;
/** util-linux setsid(1), which has --ctty since 2.25; the first that exists. */
const SETSID = ['/usr/bin/setsid', '/bin/setsid'];
/** VEOF as stty sets it by default: what closing a pty command's stdin types. */
const END_OF_FILE = Buffer.from([4]);

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
  let pty: OpenPty | null = null;
  let setsid = '';
  let master: ReadStream | null = null;
  const refuse = (code: string, message: string) => {
    withViolations(() => undefined);
    events.failed(code, message);
    return inert();
  };
  if (request.pty !== undefined) {
    // setsid reports a failed exec only as its status 1: the errors pipes give are found first.
    const lookup = findExecutable(request.argv[0]!, ctx.env.PATH, ctx.cwd);
    if ('error' in lookup) {
      return lookup.error === 'ENOENT'
        ? refuse('command_not_found', `cannot run ${request.argv[0]} (or the directory ${ctx.cwd}): ENOENT`)
        : refuse('command_not_executable', `cannot run ${request.argv[0]}: EACCES`);
    }
    setsid = SETSID.find((p) => existsSync(p)) ?? '';
    if (setsid === '') return refuse('tool_missing', `a pty command needs util-linux setsid (${SETSID.join(' or ')}); install util-linux, or run without a pty (--no-pty)`);
    try {
      pty = openPty(request.pty);
    } catch (err) {
      return refuse('runner_failed', `could not open a pty for ${request.argv[0]}: ${(err as Error).message}`);
    }
  }
  try {
    const slave = pty?.slave;
    ({ group, result: child } = ctx.cgroup.forkInto(() =>
      slave === undefined
        ? spawn(request.argv[0]!, request.argv.slice(1), {
            cwd: ctx.cwd,
            env: ctx.env,
            stdio: [request.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
            detached: true,
          })
        : spawn(setsid, ['--ctty', '--', ...request.argv], { cwd: ctx.cwd, env: ctx.env, stdio: [slave, slave, slave], detached: false }),
    ));
  } catch (err) {
    if (pty !== null) {
      closeSync(pty.slave);
      closeSync(pty.master);
    }
    return refuse('runner_failed', `could not start ${request.argv[0]}: ${(err as Error).message}`);
  }
  if (pty !== null) {
    // The child has its copy (dup'ed onto 0, 1, 2); ours would keep the master from ever ending.
    closeSync(pty.slave);
    master = new ReadStream(pty.master);
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
  let openStreams = master === null ? 2 : 1;
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
        master?.destroy();
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
        // reap: what it left (setsid'd daemons included) dies before its client hears of the exit.
        if (request.reap === true) killAll();
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
  if (master === null) {
    child.stdout!.on('data', (chunk: Buffer) => events.stdout(chunk));
    child.stderr!.on('data', (chunk: Buffer) => events.stderr(chunk));
    child.stdout!.on('close', streamClosed);
    child.stderr!.on('close', streamClosed);
    child.stdin?.on('error', () => undefined); // EPIPE when the command stops reading: its business
  } else {
    master.on('data', (chunk: Buffer) => events.stdout(chunk));
    // EIO: the last holder of the slave closed it (the pty's end of output); close follows.
    master.on('error', () => undefined);
    master.on('close', streamClosed);
  }

  child.on('error', (err: NodeJS.ErrnoException) => {
    if (child.pid !== undefined || reported) return;
    reported = true;
    master?.destroy();
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

  const masterFd = pty?.master;
  const signalGroup = (pgid: number, signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // ESRCH: the group is gone already
    }
  };
  return {
    writeStdin(chunk) {
      if (master === null) {
        child.stdin?.write(chunk);
        return;
      }
      if (master.destroyed) return;
      const susp = masterFd === undefined ? null : suspendCharacter(masterFd);
      const at = susp === null ? -1 : chunk.indexOf(susp);
      if (at >= 0 && child.pid !== undefined && stopWouldBeLost(foregroundGroup(masterFd!), child.pid, processStatus(child.pid))) {
        // lost-suspend.ts: the keys before it go in; the group stops; the client suspends itself.
        if (at > 0) master.write(chunk.subarray(0, at));
        signalGroup(child.pid, 'SIGSTOP');
        events.suspended?.();
        if (at + 1 < chunk.length) master.write(chunk.subarray(at + 1));
        return;
      }
      master.write(chunk);
    },
    closeStdin() {
      if (master !== null) {
        if (!master.destroyed) master.write(END_OF_FILE);
      } else child.stdin?.end();
    },
    kill(signal) {
      killRequested = true;
      if (signal === 'SIGKILL') {
        killAll();
        return;
      }
      if (!isSignalName(signal) || child.pid === undefined) return;
      signalGroup(child.pid, signal);
      // With a pty, also the job in front (a shell's foreground job has a group of its own).
      const front = masterFd === undefined || master?.destroyed === true ? null : foregroundGroup(masterFd);
      if (front !== null && front !== child.pid) signalGroup(front, signal);
    },
    pauseOutput() {
      child.stdout?.pause();
      child.stderr?.pause();
      master?.pause();
    },
    resumeOutput() {
      child.stdout?.resume();
      child.stderr?.resume();
      master?.resume();
    },
    resize(size) {
      if (masterFd === undefined || master?.destroyed === true) return;
      try {
        setWindowSize(masterFd, size);
      } catch {
        // The pty is going away (its command is ending): nothing left to size.
      }
    },
  };
}

function inert(): RunningCommand {
  const nothing = () => undefined;
  return { writeStdin: nothing, closeStdin: nothing, kill: nothing, pauseOutput: nothing, resumeOutput: nothing };
}
