/**
 * One command of a Windows session: resolve the program, build its command line and
 * environment block, create its pipes and its kill-on-close job, start it suspended with the
 * session's restricted token, put it in the job, resume it, then pump its output by polling
 * (see pipe.ts for why polling) until it has exited and both pipes have ended.
 *
 * Order matters: the process is assigned to the job while still suspended, so not one
 * instruction of it runs outside the job (a child it started before assignment would escape).
 * If anything fails between CreateProcessAsUserW and ResumeThread, the job handle is closed,
 * which kills the suspended process.
 *
 * Kill and timeout: TerminateJobObject ends the command and everything it started; the exit is
 * reported as signal SIGKILL (Windows has no signals; the protocol's vocabulary is POSIX's).
 * Exit is reported once the process has exited and both pipes have ended — or, when a
 * background process it left keeps a pipe open, OUTPUT_GRACE_MS after the exit; such leftovers
 * live on in the command's job until the session closes (as on Linux).
 */
import { statSync } from 'node:fs';
import type { CommandEvents, RunningCommand } from '../backend.js';
import type { SpawnRequest } from '../../core/protocol.js';
import { buildInvocation, CommandLineError } from '../../os/win32/command-line.js';
import { encodeEnvironmentBlock, EnvironmentError } from '../../os/win32/env-block.js';
import { closeAll, type Win32Handle } from '../../os/win32/handle.js';
import { assignToJob, createKillOnCloseJob, terminateJob } from './job.js';
import { createChildPipe, pollPipe, writePipe, type ChildPipe } from '../../os/win32/pipe.js';
import { CREATE_NO_WINDOW, CREATE_SUSPENDED, createProcessAsUser, exitCodeIfEnded, resumeThread } from '../../os/win32/process.js';
import { resolveProgram } from './program-path.js';
import { nextPollDelay, READ_CHUNK_BYTES } from '../../os/win32/poll-schedule.js';

const OUTPUT_GRACE_MS = 200;
const TERMINATED_EXIT_CODE = 1;

export interface WindowsCommandContext {
  token: Win32Handle;
  /** The command's full environment (env-block.ts commandEnvironment). */
  env: Record<string, string>;
  /** Canonical cwd, already checked to lie in a writable root or the session temp dir. */
  cwd: string;
  cmdExe: string;
  /** Active-process cap for the command's job (limits.pids). */
  pids: number;
  /** STARTUPINFO.lpDesktop (`WinSta0\corral-…`, desktop.ts), or null for the runner's own. */
  desktop: string | null;
  /** The command is over; `job` may still hold leftovers (close it at session end). */
  onFinished(job: Win32Handle): void;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

interface Stream {
  pipe: ChildPipe;
  emit: (chunk: Buffer) => void;
  ended: boolean;
}

export function startWindowsCommand(request: SpawnRequest, events: CommandEvents, ctx: WindowsCommandContext): RunningCommand {
  const program = request.argv[0];
  const resolved = program === undefined ? undefined : resolveProgram({ program, cwd: ctx.cwd, env: ctx.env, isFile });
  if (resolved === undefined) {
    events.failed('command_not_found', `cannot run ${program ?? '(empty argv)'}: not found on PATH (${ctx.cwd})`);
    return inert();
  }
  let commandLine: string;
  let application: string;
  let environment: Buffer;
  try {
    ({ application, commandLine } = buildInvocation(request.argv, resolved, ctx.cmdExe));
    environment = encodeEnvironmentBlock(ctx.env);
  } catch (err) {
    if (err instanceof CommandLineError || err instanceof EnvironmentError) {
      events.failed('usage', `cannot run ${program}: ${err.message}`);
      return inert();
    }
    throw err;
  }

  let stdin: ChildPipe | undefined;
  let stdout: ChildPipe | undefined;
  let stderr: ChildPipe | undefined;
  let job: Win32Handle | undefined;
  let started: ReturnType<typeof createProcessAsUser> | undefined;
  try {
    stdin = createChildPipe('to-child', `${request.id} stdin`);
    stdout = createChildPipe('from-child', `${request.id} stdout`);
    stderr = createChildPipe('from-child', `${request.id} stderr`);
    job = createKillOnCloseJob({ activeProcesses: ctx.pids }, `command ${request.id}`);
    started = createProcessAsUser({
      token: ctx.token,
      application,
      commandLine,
      cwd: ctx.cwd,
      environment,
      stdio: { stdin: stdin.child, stdout: stdout.child, stderr: stderr.child },
      flags: CREATE_SUSPENDED | CREATE_NO_WINDOW,
      desktop: ctx.desktop,
      label: `command ${request.id}`,
    });
    assignToJob(job, started.process);
    resumeThread(started.thread);
  } catch (err) {
    // Closing the job kills a suspended process that never ran.
    closeAll(job, started?.process, started?.thread, stdin?.parent, stdin?.child, stdout?.parent, stdout?.child, stderr?.parent, stderr?.child);
    events.failed('runner_failed', `cannot run ${program}: ${(err as Error).message}`);
    return inert();
  } finally {
    // The child has its own copies now (or never will): the runner keeps only its ends.
    closeAll(stdin?.child, stdout?.child, stderr?.child, started?.thread);
  }
  if (request.stdin !== 'pipe') stdin.parent.close();
  return runCommand(request, events, ctx, { job, process: started.process, pid: started.pid, stdin, stdout, stderr });
}

interface Live {
  job: Win32Handle;
  process: Win32Handle;
  pid: number;
  stdin: ChildPipe;
  stdout: ChildPipe;
  stderr: ChildPipe;
}

function runCommand(request: SpawnRequest, events: CommandEvents, ctx: WindowsCommandContext, live: Live): RunningCommand {
  events.started(live.pid);
  const streams: Stream[] = [
    { pipe: live.stdout, emit: (c) => events.stdout(c), ended: false },
    { pipe: live.stderr, emit: (c) => events.stderr(c), ended: false },
  ];
  let exitCode: number | undefined;
  let exitedAt = 0;
  let killedBy: 'kill' | 'timeout' | undefined;
  let paused = false;
  let reported = false;
  let delay = 0;
  let poll: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let stdinQueue: Promise<unknown> = Promise.resolve();
  let stdinOpen = request.stdin === 'pipe';

  const terminate = (why: 'kill' | 'timeout') => {
    if (reported || exitCode !== undefined) return;
    killedBy ??= why;
    try {
      terminateJob(live.job, TERMINATED_EXIT_CODE);
    } catch {
      // The job's processes are gone already.
    }
  };
  const timer = setTimeout(() => terminate('timeout'), request.timeoutMs);

  const finish = () => {
    reported = true;
    clearTimeout(timer);
    for (const s of streams) s.pipe.parent.close();
    stdinOpen = false;
    void stdinQueue.finally(() => live.stdin.parent.close());
    live.process.close();
    events.exit(
      killedBy === undefined
        ? { code: exitCode!, signal: null, timedOut: false }
        : { code: null, signal: 'SIGKILL', timedOut: killedBy === 'timeout' },
    );
    ctx.onFinished(live.job);
  };

  const tick = () => {
    poll = undefined;
    if (reported) return;
    let gotData = false;
    try {
      if (!paused) {
        for (const s of streams) {
          if (s.ended) continue;
          const r = pollPipe(s.pipe.parent, READ_CHUNK_BYTES);
          if (r.kind === 'data') {
            gotData = true;
            s.emit(r.data);
          } else if (r.kind === 'eof') {
            s.ended = true;
          }
        }
      }
      if (exitCode === undefined) {
        exitCode = exitCodeIfEnded(live.process);
        if (exitCode !== undefined) exitedAt = Date.now();
      }
    } catch (err) {
      // A pipe or process call failed: end the command rather than leave it unwatched.
      events.stderr(Buffer.from(`corral: ${(err as Error).message}\n`));
      terminate('kill');
      exitCode ??= TERMINATED_EXIT_CODE;
      for (const s of streams) s.ended = true;
    }
    const streamsDone = streams.every((s) => s.ended);
    if (exitCode !== undefined && (streamsDone || Date.now() - exitedAt >= OUTPUT_GRACE_MS)) {
      finish();
      return;
    }
    delay = nextPollDelay(delay, gotData);
    poll = delay === 0 ? setImmediate(tick) : setTimeout(tick, delay);
  };
  poll = setImmediate(tick);

  return {
    writeStdin(chunk) {
      if (!stdinOpen) return;
      const pipe = live.stdin.parent;
      // One write at a time per pipe, in order; a gone reader is the command's business.
      stdinQueue = stdinQueue.then(() => (pipe.closed ? 'closed' : writePipe(pipe, chunk))).catch(() => 'closed');
    },
    closeStdin() {
      if (!stdinOpen) return;
      stdinOpen = false;
      void stdinQueue.finally(() => live.stdin.parent.close());
    },
    kill() {
      terminate('kill');
    },
    pauseOutput() {
      paused = true;
    },
    resumeOutput() {
      paused = false;
      if (poll !== undefined && delay > 0) {
        clearTimeout(poll as NodeJS.Timeout);
        poll = setImmediate(tick);
      }
    },
  };
}

function inert(): RunningCommand {
  const nothing = () => undefined;
  return { writeStdin: nothing, closeStdin: nothing, kill: nothing, pauseOutput: nothing, resumeOutput: nothing };
}
