/**
 * An in-process fake of the session runner for the client's unit tests: it speaks the real
 * protocol (core/protocol.ts frames) over in-memory streams and runs each command as a real,
 * unconfined child process of the test — so framing, concurrency, output truncation, timeouts
 * and kills are exercised for real. It confines nothing: enforcement is tested end to end in
 * test/integration/run-*.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { RunnerProcess } from '../../orchestrator/platform.js';
import type { CorralError } from '../../core/errors.js';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION, type FromRunner, type SessionRequest, type ToRunner } from '../../core/protocol.js';

/** A session request of the fake's test user for `workspace` (offline, 30 s timeout, 64 processes), `overrides` on top. */
export function fakeRequest(workspace: string, overrides: Partial<SessionRequest> = {}): SessionRequest {
  return {
    version: PROTOCOL_VERSION,
    realUser: 'tester',
    network: 'offline',
    mode: 'workspace-write',
    workspace,
    writableRoots: [],
    protected: ['.git'],
    denyRead: [],
    loopback: 'private',
    limits: { timeoutSec: 30, maxOutputBytes: 64 * 1024 * 1024, pids: 64 },
    policyDigest: 'digest0123456789',
    ...overrides,
  };
}

export interface FakeRunnerOptions {
  /** Answer `open` with this error frame instead of hello. */
  openError?: { code: string; message: string };
  /** Exit before hello with this stderr text and code. */
  exitBeforeHello?: { stderr: string; code: number };
  /** Reply with this protocol version. */
  version?: number;
  warnings?: string[];
  /** Ignore `shutdown` and stdin EOF (close() must kill us). */
  ignoreShutdown?: boolean;
  /** Send these raw bytes right after hello. */
  garbageAfterHello?: Buffer;
  explainEarlyExit?: (stderr: string, code: number | null) => CorralError | undefined;
  /** Say `pty: true` in hello (the fake still runs commands on pipes; `resize` frames are only recorded). */
  pty?: boolean;
}

interface Running {
  child: ChildProcess;
  timer: NodeJS.Timeout;
  timedOut: boolean;
  startedAt: number;
}

export class FakeRunner {
  readonly toRunner = new PassThrough();
  readonly fromRunner = new PassThrough();
  readonly stderr = new PassThrough();
  readonly received: ToRunner[] = [];
  request: SessionRequest | null = null;
  private readonly decoder = new FrameDecoder();
  private readonly running = new Map<string, Running>();
  private outputBytes = new Map<string, number>();
  private truncated = new Set<string>();
  private ended = false;
  private resolveExited!: (code: number | null) => void;
  readonly exited = new Promise<number | null>((resolve) => (this.resolveExited = resolve));
  killedByClient = false;
  /** Pids of every command started (to check they are gone). */
  readonly pids: number[] = [];

  constructor(private readonly options: FakeRunnerOptions = {}) {
    this.toRunner.on('data', (chunk: Buffer) => {
      for (const m of this.decoder.push(chunk)) this.onMessage(m as ToRunner);
    });
    this.toRunner.on('end', () => {
      if (!this.options.ignoreShutdown) this.shutdown(0);
    });
  }

  process(): RunnerProcess {
    return {
      stdin: this.toRunner,
      stdout: this.fromRunner,
      stderr: this.stderr,
      exited: this.exited,
      kill: () => {
        this.killedByClient = true;
        this.shutdown(null);
      },
      ...(this.options.explainEarlyExit !== undefined ? { explainEarlyExit: this.options.explainEarlyExit } : {}),
    };
  }

  /** Simulate the runner dying: stop everything, end streams. */
  crash(code = 70): void {
    this.stderr.write('fake runner: crashed\n');
    this.shutdown(code);
  }

  /** Commands whose processes are still alive (signal 0 succeeds). */
  alivePids(): number[] {
    return this.pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
  }

  private send(message: FromRunner): void {
    if (!this.ended) this.fromRunner.write(encodeFrame(message));
  }

  private shutdown(code: number | null): void {
    if (this.ended) return;
    for (const r of this.running.values()) this.killGroup(r.child, 'SIGKILL');
    this.ended = true;
    this.fromRunner.end();
    this.stderr.end();
    // Like a real process: the exit is seen after the children are gone.
    setImmediate(() => this.resolveExited(code));
  }

  private onMessage(m: ToRunner): void {
    this.received.push(m);
    switch (m.type) {
      case 'open':
        this.request = m.request;
        if (this.options.exitBeforeHello !== undefined) {
          this.stderr.write(this.options.exitBeforeHello.stderr);
          this.shutdown(this.options.exitBeforeHello.code);
          return;
        }
        if (this.options.openError !== undefined) {
          this.send({ type: 'error', ...this.options.openError });
          this.shutdown(1);
          return;
        }
        this.send({
          type: 'hello',
          version: this.options.version ?? PROTOCOL_VERSION,
          identity: 'fake-off-tester',
          platform: 'fake',
          policyDigest: m.request.policyDigest,
          enforcement: { workspaceAccess: 'none', networkNamespace: false, containment: 'none', warnings: this.options.warnings ?? [] },
          home: '/nonexistent',
          tmpdir: '/tmp',
          ...(this.options.pty === true ? { pty: true } : {}),
        });
        if (this.options.garbageAfterHello !== undefined) this.fromRunner.write(this.options.garbageAfterHello);
        return;
      case 'spawn':
        this.spawn(m);
        return;
      case 'stdin':
        this.running.get(m.id)?.child.stdin?.write(Buffer.from(m.data, 'base64'));
        return;
      case 'closeStdin':
        this.running.get(m.id)?.child.stdin?.end();
        return;
      case 'kill': {
        const r = this.running.get(m.id);
        if (r !== undefined) this.killGroup(r.child, m.signal as NodeJS.Signals);
        return;
      }
      case 'resize':
        return; // recorded in `received`
      case 'shutdown':
        if (!this.options.ignoreShutdown) this.shutdown(0);
        return;
    }
  }

  private killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  }

  private spawn(m: Extract<ToRunner, { type: 'spawn' }>): void {
    const limit = this.request!.limits.maxOutputBytes;
    const child = spawn(m.argv[0]!, m.argv.slice(1), {
      cwd: m.cwd,
      env: m.env,
      detached: true,
      stdio: [m.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined);
    child.once('error', (err) => {
      clearTimeout(this.running.get(m.id)?.timer);
      this.running.delete(m.id);
      this.send({ type: 'error', id: m.id, code: 'command_not_found', message: err.message });
    });
    const r: Running = {
      child,
      timedOut: false,
      startedAt: Date.now(),
      timer: setTimeout(() => {
        r.timedOut = true;
        this.killGroup(child, 'SIGKILL');
      }, m.timeoutMs),
    };
    this.running.set(m.id, r);
    this.outputBytes.set(m.id, 0);
    child.once('spawn', () => {
      this.pids.push(child.pid!);
      this.send({ type: 'started', id: m.id, pid: child.pid! });
    });
    const forward = (type: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const used = this.outputBytes.get(m.id)!;
      const room = Math.max(0, limit - used);
      if (chunk.length > room) this.truncated.add(m.id);
      const kept = chunk.subarray(0, room);
      this.outputBytes.set(m.id, used + kept.length);
      // Frames carry at most ~6 MiB of data, well under the 8 MiB frame limit.
      for (let at = 0; at < kept.length; at += 4 * 1024 * 1024) {
        this.send({ type, id: m.id, data: kept.subarray(at, at + 4 * 1024 * 1024).toString('base64') });
      }
    };
    child.stdout!.on('data', forward('stdout'));
    child.stderr!.on('data', forward('stderr'));
    child.once('close', (code, signal) => {
      clearTimeout(r.timer);
      if (!this.running.has(m.id)) return;
      this.running.delete(m.id);
      this.send({
        type: 'exit',
        id: m.id,
        code,
        signal,
        durationMs: Date.now() - r.startedAt,
        timedOut: r.timedOut,
        outputTruncated: this.truncated.has(m.id),
      });
    });
  }
}
