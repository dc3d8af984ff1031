/**
 * The protocol client: speaks core/protocol.ts frames to one runner process, waits for
 * `hello`, multiplexes concurrent commands by id, and shuts the runner down. It knows nothing
 * about policy, platforms or the audit log (session.ts builds on it), so the unit tests drive it
 * against an in-process fake runner.
 *
 * Failure rules: a runner that ends before `hello` is explained by the privilege bridge when it
 * can (e.g. sudo refused: not_permitted), else runner_failed with its stderr; a runner that ends
 * while commands run fails them with runner_failed (session_closed after close()); a malformed
 * frame is a protocol_error that kills the runner.
 */
import { CorralError, isErrorCode, type ErrorCode } from '../../core/errors.js';
import type { RunnerProcess } from '../platform.js';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  PROTOCOL_VERSION,
  type FromRunner,
  type ConnectionRecord,
  type SessionRequest,
  type ToRunner,
} from '../../core/protocol.js';
import { checkFromRunner } from './frames.js';

export type Hello = Extract<FromRunner, { type: 'hello' }>;
export type ExitFrame = Extract<FromRunner, { type: 'exit' }>;

/** What the client delivers to one command. */
export interface CommandSink {
  started(pid: number): void;
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  exit(frame: ExitFrame): void;
  /** A pty command was stopped for a ^Z (protocol `suspended`). */
  suspended?(): void;
  /** A connection attempt the filtering proxy decided while this command ran. */
  connection(record: ConnectionRecord): void;
  /** The command failed to start, or the session ended under it. Called at most once, never after exit. */
  failed(error: CorralError): void;
}

export interface ClientOptions {
  /** How long to wait for `hello` (the runner's start-up and confinement). */
  helloTimeoutMs?: number;
  /** How long close() waits for the runner to exit after `shutdown` before killing it. */
  closeGraceMs?: number;
  /** Turns an early runner exit into a specific error (privilege bridge refusals). */
  explainEarlyExit?: (stderr: string, code: number | null) => CorralError | undefined;
}

const DEFAULT_HELLO_TIMEOUT_MS = 60_000;
const DEFAULT_CLOSE_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 16 * 1024;
/** How many ended command ids are remembered for late runner answers (see RunnerClient.finished). */
const FINISHED_KEPT = 4096;

/** A code the runner sent, as one of ours (unknown codes become runner_failed). */
export function errorFromRunner(code: string, message: string): CorralError {
  const known: ErrorCode = isErrorCode(code) ? code : 'runner_failed';
  return new CorralError(known, message, { details: { runnerCode: code } });
}

type State = 'new' | 'opening' | 'open' | 'closing' | 'ended';

export class RunnerClient {
  private readonly decoder = new FrameDecoder();
  private readonly commands = new Map<string, CommandSink>();
  /**
   * Ids of commands that have ended, most recent last (at most FINISHED_KEPT): a stdin, closeStdin
   * or kill frame sent as the command exited crosses its exit frame, and the runner answers it
   * with an error for an id it no longer runs. That late answer is not a protocol error; it would
   * otherwise end the whole session, which a kept session (session-host/) serves many clients from.
   */
  private readonly finished = new Set<string>();
  private state: State = 'new';
  private stderrTail = Buffer.alloc(0);
  private helloWaiter: { resolve(h: Hello): void; reject(e: CorralError): void } | null = null;
  private closing: Promise<void> | null = null;
  /** Why the session ended, once it has. */
  private endError: CorralError | null = null;
  private readonly ended: Promise<void>;
  private exitCode: number | null = null;

  constructor(
    private readonly proc: RunnerProcess,
    private readonly options: ClientOptions = {},
  ) {
    proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    proc.stderr.on('data', (chunk: Buffer) => {
      const all = Buffer.concat([this.stderrTail, chunk]);
      this.stderrTail = all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES));
    });
    // Writes after the runner died fail with EPIPE; the exit path reports it.
    proc.stdin.on('error', () => undefined);
    // A proxy the privilege bridge serves itself (Windows): its decisions go to the commands
    // running when each is made, as the runner's `connection` frames do.
    proc.onConnection?.((record) => {
      if (this.state !== 'open' && this.state !== 'closing') return;
      for (const sink of this.commands.values()) sink.connection(record);
    });
    const streamDone = (s: NodeJS.ReadableStream) =>
      new Promise<void>((resolve) => {
        s.once('end', resolve);
        s.once('close', resolve);
        s.once('error', () => resolve());
      });
    // Every frame and every stderr byte is processed before the end is handled.
    this.ended = Promise.all([proc.exited.then((code) => (this.exitCode = code)), streamDone(proc.stdout), streamDone(proc.stderr)]).then(
      () => this.onEnded(),
    );
  }

  /** The runner's recent stderr (diagnostics), as text. */
  get diagnostics(): string {
    return this.stderrTail.toString('utf8').trim();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Resolves once the runner has ended (closed, failed, or died). */
  get done(): Promise<void> {
    return this.ended;
  }

  /** Send the session request and wait for `hello`. */
  open(request: SessionRequest): Promise<Hello> {
    if (this.state !== 'new') return Promise.reject(new CorralError('internal', 'RunnerClient.open called twice'));
    this.state = 'opening';
    return new Promise<Hello>((resolve, reject) => {
      const timeoutMs = this.options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.fail(new CorralError('runner_failed', `the session runner did not answer within ${timeoutMs} ms${this.stderrSuffix()}`));
      }, timeoutMs);
      this.helloWaiter = {
        resolve: (h) => {
          clearTimeout(timer);
          resolve(h);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.write({ type: 'open', request });
    });
  }

  /** Register a command and send its spawn frame. */
  spawn(frame: Extract<ToRunner, { type: 'spawn' }>, sink: CommandSink): void {
    if (this.state !== 'open') throw this.closedError();
    if (this.commands.has(frame.id)) throw new CorralError('internal', `command id ${frame.id} is already in use`);
    this.commands.set(frame.id, sink);
    this.write(frame);
  }

  /** Send a frame; resolves when the runner's stdin has room again (backpressure for stdin data). */
  send(message: ToRunner): Promise<void> {
    if (this.state !== 'open' && this.state !== 'closing') return Promise.resolve();
    return this.write(message) ? Promise.resolve() : new Promise((resolve) => {
      const done = () => {
        this.proc.stdin.off('drain', done);
        this.proc.stdin.off('close', done);
        resolve();
      };
      this.proc.stdin.on('drain', done);
      this.proc.stdin.on('close', done);
    });
  }

  /** Ask the runner to stop (it kills what still runs), wait, and kill it if it does not. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      if (this.state === 'ended') return;
      this.state = 'closing';
      this.write({ type: 'shutdown' });
      this.proc.stdin.end();
      const grace = this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.ended.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.proc.kill();
      await this.ended;
    })();
    return this.closing;
  }

  private write(message: ToRunner): boolean {
    if (!this.proc.stdin.writable) return true;
    return this.proc.stdin.write(encodeFrame(message));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'ended') return;
    let values: unknown[];
    try {
      values = this.decoder.push(chunk);
    } catch (err) {
      const text = err instanceof FrameError ? err.message : String(err);
      this.fail(new CorralError('protocol_error', `runner sent a bad frame: ${text}`, { cause: err }));
      return;
    }
    for (const value of values) {
      try {
        this.dispatch(checkFromRunner(value));
      } catch (err) {
        this.fail(err instanceof CorralError ? err : new CorralError('protocol_error', String(err), { cause: err }));
        return;
      }
    }
  }

  private dispatch(frame: FromRunner): void {
    switch (frame.type) {
      case 'hello':
        if (this.state !== 'opening' || this.helloWaiter === null) throw new CorralError('protocol_error', 'runner sent hello twice');
        if (frame.version !== PROTOCOL_VERSION) {
          throw new CorralError(
            'protocol_error',
            `runner speaks protocol version ${frame.version}, this client ${PROTOCOL_VERSION}: the installed runner and this corral differ; run \`sudo corral setup --yes\` again`,
          );
        }
        this.state = 'open';
        this.helloWaiter.resolve(frame);
        this.helloWaiter = null;
        return;
      case 'error': {
        const error = errorFromRunner(frame.code, frame.message);
        if (frame.id === undefined) {
          // A session-level error: before hello it is the answer to `open`; after, the session is over.
          this.fail(error);
          return;
        }
        const sink = this.commands.get(frame.id);
        if (sink === undefined) {
          if (this.finished.has(frame.id)) return; // a late answer to a frame that crossed the exit
          throw new CorralError('protocol_error', `runner sent an error for unknown command ${frame.id}`);
        }
        this.forget(frame.id);
        sink.failed(error);
        return;
      }
      case 'started':
        this.sinkFor(frame.id, frame.type).started(frame.pid);
        return;
      case 'stdout':
        this.sinkFor(frame.id, frame.type).stdout(Buffer.from(frame.data, 'base64'));
        return;
      case 'stderr':
        this.sinkFor(frame.id, frame.type).stderr(Buffer.from(frame.data, 'base64'));
        return;
      case 'suspended':
        this.sinkFor(frame.id, frame.type).suspended?.();
        return;
      case 'connection': {
        if (this.state !== 'open' && this.state !== 'closing') throw new CorralError('protocol_error', 'runner sent connection before hello');
        const { type: _type, ids, ...record } = frame;
        // A command may have exited between the decision and this frame: unknown ids are not an error.
        for (const id of ids) this.commands.get(id)?.connection(record);
        return;
      }
      case 'exit': {
        const sink = this.sinkFor(frame.id, frame.type);
        this.forget(frame.id);
        sink.exit(frame);
        return;
      }
    }
  }

  private forget(id: string): void {
    this.commands.delete(id);
    this.finished.add(id);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.values().next().value!);
  }

  private sinkFor(id: string, type: string): CommandSink {
    if (this.state !== 'open' && this.state !== 'closing') throw new CorralError('protocol_error', `runner sent ${type} before hello`);
    const sink = this.commands.get(id);
    if (sink === undefined) throw new CorralError('protocol_error', `runner sent ${type} for unknown command ${id}`);
    return sink;
  }

  /** End the session with `error`: reject the opener and every running command, stop the runner. */
  private fail(error: CorralError): void {
    if (this.endError === null) this.endError = error;
    this.helloWaiter?.reject(error);
    this.helloWaiter = null;
    this.failCommands(error);
    if (this.state !== 'ended') {
      this.state = 'closing';
      this.proc.kill();
    }
  }

  private failCommands(error: CorralError): void {
    const sinks = [...this.commands.values()];
    this.commands.clear();
    for (const sink of sinks) sink.failed(error);
  }

  private onEnded(): void {
    const wasClosing = this.closing !== null;
    const before = this.state;
    this.state = 'ended';
    if (before === 'opening' || this.helloWaiter !== null) {
      const explained = this.options.explainEarlyExit?.(this.diagnostics, this.exitCode);
      const error =
        explained ??
        new CorralError('runner_failed', `the session runner exited (code ${this.exitCode}) before it was ready${this.stderrSuffix()}`, {
          details: { exitCode: this.exitCode },
        });
      this.endError ??= error;
      this.helloWaiter?.reject(error);
      this.helloWaiter = null;
    }
    const error =
      this.endError ??
      (wasClosing
        ? new CorralError('session_closed', 'the session was closed while the command ran')
        : new CorralError('runner_failed', `the session runner stopped (code ${this.exitCode})${this.stderrSuffix()}`));
    this.endError = error;
    this.failCommands(error);
  }

  private closedError(): CorralError {
    if (this.endError !== null && this.endError.code !== 'session_closed') {
      return new CorralError(this.endError.code, `the session has ended: ${this.endError.message}`, { cause: this.endError });
    }
    return new CorralError('session_closed', 'the session is closed');
  }

  private stderrSuffix(): string {
    const text = this.diagnostics;
    return text === '' ? '' : `: ${text.split('\n').slice(-10).join('\n')}`;
  }
}
