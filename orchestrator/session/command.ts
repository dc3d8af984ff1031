/**
 * One running command as the library shows it (SandboxedProcess): stdout and stderr as
 * Readables fed by the runner's frames, stdin as a Writable that sends `stdin` frames, and a
 * promise of the exit. Output is buffered until read: a caller that never reads it holds it in
 * memory (at most the policy's maxOutputBytes, which the runner enforces).
 */
import { Readable, Writable } from 'node:stream';
import { CorralError } from '../../core/errors.js';
import { isPtySize, MAX_FRAME_BYTES, MAX_PTY_CELLS, type ConnectionRecord } from '../../core/protocol.js';
import type { CommandSink, ExitFrame, RunnerClient } from './client.js';
import { exitStatus, isSignalName } from './exit-status.js';
import type { CommandExit, SandboxedProcess } from './types.js';

/** Raw bytes per stdin frame: base64 grows 4/3, and the JSON around it must fit as well. */
export const STDIN_CHUNK_BYTES = Math.floor((MAX_FRAME_BYTES * 3) / 4) - 64 * 1024;

export class RunningCommand implements SandboxedProcess {
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable | null;
  readonly exit: Promise<CommandExit>;
  private settled = false;
  private resolveExit!: (exit: CommandExit) => void;
  private rejectExit!: (error: CorralError) => void;
  private startedPid: number | null = null;
  private readonly connections: ConnectionRecord[] = [];

  constructor(
    readonly id: string,
    private readonly client: RunnerClient,
    withStdin: boolean,
    private readonly pty = false,
  ) {
    this.exit = new Promise<CommandExit>((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
    // Marks the rejection handled for callers that only read the streams; awaiting `exit` still throws.
    this.exit.catch(() => undefined);
    this.stdin = withStdin ? this.makeStdin() : null;
  }

  /** The command's pid as the runner saw it (inside the session's namespaces), once started. */
  get pid(): number | null {
    return this.startedPid;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.settled) return;
    void this.client.send({ type: 'kill', id: this.id, signal });
  }

  resize(cols: number, rows: number): void {
    checkPtySize({ cols, rows }, 'resize');
    if (this.settled || !this.pty) return;
    void this.client.send({ type: 'resize', id: this.id, cols, rows });
  }

  private readonly suspendListeners: (() => void)[] = [];

  onSuspend(listener: () => void): void {
    this.suspendListeners.push(listener);
  }

  /** What the client calls as frames for this command arrive. */
  readonly sink: CommandSink = {
    started: (pid) => {
      this.startedPid = pid;
    },
    stdout: (chunk) => {
      if (!this.settled) this.stdout.push(chunk);
    },
    stderr: (chunk) => {
      if (!this.settled) this.stderr.push(chunk);
    },
    suspended: () => {
      if (!this.settled) for (const l of this.suspendListeners) l();
    },
    connection: (record) => {
      if (!this.settled) this.connections.push(record);
    },
    exit: (frame) => this.onExit(frame),
    failed: (error) => this.onFailed(error),
  };

  private onExit(frame: ExitFrame): void {
    if (this.settled) return;
    this.settled = true;
    this.stdout.push(null);
    this.stderr.push(null);
    const signal = frame.signal === null ? null : isSignalName(frame.signal) ? frame.signal : 'SIGKILL';
    const base = { exitCode: frame.code, signal, timedOut: frame.timedOut };
    const killed = frame.killed === 'out of memory' ? frame.killed : null;
    this.resolveExit({ ...base, killed, outputTruncated: frame.outputTruncated, networkUnreachable: (frame.noRoute ?? 0) > 0, durationMs: frame.durationMs, status: exitStatus(base), connections: this.connections, violations: frame.violations ?? [], violationsDropped: frame.violationsDropped ?? 0 });
  }

  private onFailed(error: CorralError): void {
    if (this.settled) return;
    this.settled = true;
    this.stdout.push(null);
    this.stderr.push(null);
    this.rejectExit(error);
  }

  private makeStdin(): Writable {
    const send = async (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += STDIN_CHUNK_BYTES) {
        if (this.settled) return; // the command is gone: like writing to a closed pipe, minus the error
        const part = chunk.subarray(at, at + STDIN_CHUNK_BYTES);
        await this.client.send({ type: 'stdin', id: this.id, data: part.toString('base64') });
      }
    };
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        send(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        if (!this.settled) void this.client.send({ type: 'closeStdin', id: this.id });
        callback();
      },
      destroy: (err, callback) => {
        if (!this.settled) void this.client.send({ type: 'closeStdin', id: this.id });
        callback(err);
      },
    });
  }
}

/** A pty size as the runner accepts it (core/protocol.ts isPtySize), else a usage error naming `what`. */
export function checkPtySize(size: unknown, what: string): { cols: number; rows: number } {
  if (!isPtySize(size)) throw new CorralError('usage', `${what} must be {cols, rows}, each a whole number 1–${MAX_PTY_CELLS}; found ${JSON.stringify(size)}`);
  return size;
}
