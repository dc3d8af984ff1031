/**
 * The client of a session host (host.ts): a Session whose commands run in a kept session over
 * the host's unix socket, so that `corral run`'s own code (run.ts, run-stream.ts: streaming,
 * stdin, signals, --json, notices, violations) drives it exactly as it drives a fresh session.
 *
 * One connection is opened at connect and held while the Session lives (the host's `hello`
 * arrives on it, and it keeps a one-command host alive until close()); each spawn opens one more.
 * The same checks as SessionImpl run here first (argv, cwd inside the workspace), so a bad
 * command fails the same way, synchronously, before anything is sent.
 *
 * Failure: a socket that closes before the command's exit (the host was stopped, killed, or the
 * installation changed under it) fails the command with session_closed and what to do — never
 * a hang. Loaded by the fast client path: nothing here may import commander, zod or listr2.
 */
import { createConnection, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { CorralError, isErrorCode } from '../../core/errors.js';
import { checkArgv, resolveCwd } from '../session/command-input.js';
import { filterEnvironment } from '../../core/policy/env.js';
import { checkPtySize } from '../session/command.js';
import type { CommandExit, ExecOptions, ExecResult, SandboxedProcess, Session, SpawnOptions } from '../session/types.js';
import { execViaSpawn } from '../session/exec-via-spawn.js';
import { DATA_CHUNK_BYTES, encode, FrameDecoder, type FromHost, type SessionFacts, type ToHost, type WireError } from './wire.js';

const HELLO_TIMEOUT_MS = 10_000;

function fromWire(e: WireError): CorralError {
  return new CorralError(isErrorCode(e.code) ? e.code : 'runner_failed', e.message, {
    ...(e.details !== undefined ? { details: e.details } : {}),
    ...(e.remedy !== undefined && isErrorCode(e.code) ? { remedy: e.remedy } : {}),
  });
}

const hostGone = () =>
  new CorralError('session_closed', 'the kept session ended while the command ran (its host was stopped or killed, or Corral was set up again); run the command again: the next corral run starts a fresh session');

/** Frames from one connection, as they come. */
function onFrames(socket: Socket, handle: (frame: FromHost) => void): void {
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    let frames: unknown[];
    try {
      frames = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const f of frames) handle(f as FromHost);
  });
}

export type ConnectOutcome = { session: SessionFacts; socket: Socket } | { none: string };

/**
 * Connect to `file` and wait for the host's hello: the facts and the open socket, or why there is
 * no live host there (nothing listens, it refused, it closed). `probe`: only to look (list, a
 * starting host's check); the host then ends the connection after its hello.
 */
export function connectHost(file: string, timeoutMs = HELLO_TIMEOUT_MS, probe = false): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = createConnection(file);
    // A probe only looks (host.ts: it does not count as use of the session).
    if (probe) socket.write(encode({ type: 'info' }));
    let done = false;
    const finish = (o: ConnectOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if ('none' in o) socket.destroy();
      else socket.removeAllListeners('data');
      resolve(o);
    };
    const timer = setTimeout(() => finish({ none: 'the host did not answer' }), timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ none: err.code ?? err.message }));
    socket.once('close', () => finish({ none: 'the host closed the connection' }));
    onFrames(socket, (frame) => {
      if (frame.type === 'hello') finish({ session: frame.session, socket });
      else if (frame.type === 'refused') finish({ none: frame.reason });
      else finish({ none: `unexpected ${String(frame.type)}` });
    });
  });
}

class RemoteProcess implements SandboxedProcess {
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable | null;
  readonly exit: Promise<CommandExit>;
  private settled = false;
  private resolveExit!: (exit: CommandExit) => void;
  private rejectExit!: (error: CorralError) => void;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly run: Extract<ToHost, { type: 'run' }>,
  ) {
    this.exit = new Promise<CommandExit>((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
    this.exit.catch(() => undefined);
    this.stdin = run.stdin ? this.makeStdin() : null;
    socket.on('error', () => undefined);
    socket.once('close', () => this.fail(hostGone()));
    onFrames(socket, (frame) => this.onFrame(frame));
    socket.write(encode(run));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.settled && this.socket.writable) this.socket.write(encode({ type: 'kill', signal }));
  }

  resize(cols: number, rows: number): void {
    checkPtySize({ cols, rows }, 'resize');
    if (!this.settled && this.pty && this.socket.writable) this.socket.write(encode({ type: 'resize', cols, rows }));
  }

  private readonly suspendListeners: (() => void)[] = [];

  onSuspend(listener: () => void): void {
    this.suspendListeners.push(listener);
  }

  private get pty(): boolean {
    return this.run.pty !== undefined;
  }

  private onFrame(frame: FromHost): void {
    if (this.settled) return;
    switch (frame.type) {
      case 'hello':
        return;
      case 'stdout':
        this.stdout.push(Buffer.from(frame.data, 'base64'));
        return;
      case 'stderr':
        this.stderr.push(Buffer.from(frame.data, 'base64'));
        return;
      case 'exit':
        this.settled = true;
        this.stdout.push(null);
        this.stderr.push(null);
        this.resolveExit(frame.exit);
        this.socket.end();
        return;
      case 'error':
        this.fail(fromWire(frame.error));
        return;
      case 'refused':
        this.fail(new CorralError('session_closed', `the kept session would not run the command: ${frame.reason}; run it again: the next corral run starts a fresh session`));
        return;
      case 'suspended':
        for (const l of this.suspendListeners) l();
        return;
      case 'stopping':
        return;
    }
  }

  private fail(error: CorralError): void {
    if (this.settled) return;
    this.settled = true;
    this.stdout.push(null);
    this.stderr.push(null);
    this.rejectExit(error);
    this.socket.destroy();
  }

  private makeStdin(): Writable {
    const send = (chunk: Buffer, callback: (err?: Error | null) => void) => {
      let flushed = true;
      for (let at = 0; at < chunk.length; at += DATA_CHUNK_BYTES) {
        if (this.settled || !this.socket.writable) break; // the command is gone: like a closed pipe, minus the error
        flushed = this.socket.write(encode({ type: 'stdin', data: chunk.subarray(at, at + DATA_CHUNK_BYTES).toString('base64') }));
      }
      if (flushed) callback();
      else this.socket.once('drain', () => callback());
    };
    const close = () => {
      if (!this.settled && this.socket.writable) this.socket.write(encode({ type: 'closeStdin' }));
    };
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => send(chunk, callback),
      final: (callback) => {
        close();
        callback();
      },
      destroy: (err, callback) => {
        close();
        callback(err);
      },
    });
  }
}

/** A kept session, as the library's Session shows one. */
export class RemoteSession implements Session {
  private nextId = 1;
  private closed = false;
  private readonly children = new Set<RemoteProcess>();

  constructor(
    readonly facts: SessionFacts,
    private readonly file: string,
    private readonly control: Socket,
    /** What of this process's environment a command may get at most (acquire.ts: a superset of the session's env.allow). */
    private readonly envAllow: readonly string[] = [],
  ) {
    control.on('error', () => undefined);
    // Nothing more is said on the control connection; it only keeps this client counted.
    control.resume();
  }

  get id() {
    return this.facts.id;
  }
  get identity() {
    return this.facts.identity;
  }
  get workspace() {
    return this.facts.workspace;
  }
  get network() {
    return this.facts.network;
  }
  get git() {
    return this.facts.git;
  }
  get policyDigest() {
    return this.facts.policyDigest;
  }
  get limits() {
    return this.facts.limits;
  }
  get shell() {
    return this.facts.shell;
  }
  get enforcement() {
    return this.facts.enforcement;
  }
  get published() {
    return this.facts.published;
  }
  get warnings() {
    return this.facts.warnings;
  }
  get violationSources() {
    return this.facts.violationSources;
  }
  get ptys() {
    return this.facts.ptys;
  }

  spawn(argv: readonly string[], options: SpawnOptions = {}): SandboxedProcess {
    if (this.closed) throw new CorralError('session_closed', 'the session is closed');
    const args = checkArgv(argv);
    const cwd = resolveCwd(this.facts.workspace, options.cwd);
    const pty = options.pty === undefined ? undefined : checkPtySize(options.pty, 'pty');
    if (pty !== undefined && !this.facts.ptys) throw new CorralError('platform_unsupported', "this session's runner cannot give commands a pseudo-terminal (Session.ptys is false): spawn without `pty`");
    // Only what the session could pass on (the host filters again with the session's own policy):
    // the host, even one planted in the user's directory, never receives the rest of our environment.
    const env = filterEnvironment(process.env, { allow: this.envAllow, set: {} });
    // Per-command extras go through the same filter as the caller's environment (host.ts: spawnFrom).
    for (const [k, v] of Object.entries(options.env ?? {})) env[k] = v;
    const run: Extract<ToHost, { type: 'run' }> = {
      type: 'run',
      key: this.facts.key,
      argv: args,
      cwd,
      env,
      stdin: (options.stdin ?? 'pipe') === 'pipe',
      ...(options.timeoutSec !== undefined ? { timeoutSec: options.timeoutSec } : {}),
      ...(pty !== undefined ? { pty: { cols: pty.cols, rows: pty.rows } } : {}),
    };
    const child = new RemoteProcess(String(this.nextId++), createConnection(this.file), run);
    this.children.add(child);
    void child.exit.finally(() => this.children.delete(child)).catch(() => undefined);
    return child;
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execViaSpawn((a, o) => this.spawn(a, o), argv, options);
  }

  /** Leave the session (it stays for the next client); a command still running is killed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.children) c.kill('SIGKILL');
    this.control.end();
    this.control.destroy();
  }
}
