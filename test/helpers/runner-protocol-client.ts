/**
 * A tiny client of the runner protocol for tests that drive dist/runner/main.js directly
 * (the real client is orchestrator/session/). Starts the runner as a child process, sends
 * `open`, and offers exec (collect) and lower-level frame access.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameDecoder, type FromRunner, type SessionRequest, type ToRunner } from '../../core/protocol.js';

export const RUNNER_ENTRY = fileURLToPath(new URL('../../runner/main.js', import.meta.url));

export type Hello = Extract<FromRunner, { type: 'hello' }>;
export type ExitFrame = Extract<FromRunner, { type: 'exit' }>;
export type ErrorFrame = Extract<FromRunner, { type: 'error' }>;

export interface ExecResult {
  exit: ExitFrame | null;
  error: ErrorFrame | null;
  pid: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  stdin?: Buffer | string;
}

export class RunnerClient {
  readonly frames: FromRunner[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderrText = '';
  private readonly listeners = new Set<(m: FromRunner) => void>();
  private nextId = 0;

  private constructor(readonly child: ChildProcess) {
    const decoder = new FrameDecoder();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk) as FromRunner[]) {
        this.frames.push(m);
        for (const l of this.listeners) l(m);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString('utf8')));
    child.stdin!.on('error', () => undefined);
    // 'close', not 'exit': 'exit' can come before the last frames and stderr bytes are read (a runner that
    // answers with an error frame and exits at once, on a loaded machine), and a waiter would then be told
    // the runner exited without its frame.
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Start the runner with raw bytes as its first input (for protocol-error tests). */
  static startRaw(env: NodeJS.ProcessEnv): RunnerClient {
    const child = spawn(process.execPath, [RUNNER_ENTRY], { stdio: ['pipe', 'pipe', 'pipe'], env });
    return new RunnerClient(child);
  }

  /** Start the runner through a command of the caller's choice (e.g. a member through the real sudo rule). */
  static startVia(file: string, args: string[], request: SessionRequest, env: NodeJS.ProcessEnv = {}): RunnerClient {
    const client = new RunnerClient(spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } }));
    client.send({ type: 'open', request });
    return client;
  }

  static start(request: SessionRequest, env: NodeJS.ProcessEnv): RunnerClient {
    const client = RunnerClient.startRaw(env);
    client.send({ type: 'open', request });
    return client;
  }

  send(message: ToRunner): void {
    this.child.stdin!.write(encodeFrame(message));
  }

  /** The first frame matching `predicate` (already received or future). */
  waitFor<T extends FromRunner>(predicate: (m: FromRunner) => m is T): Promise<T>;
  waitFor(predicate: (m: FromRunner) => boolean): Promise<FromRunner>;
  waitFor(predicate: (m: FromRunner) => boolean): Promise<FromRunner> {
    const seen = this.frames.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (m: FromRunner) => {
        if (!predicate(m)) return;
        this.listeners.delete(listener);
        resolve(m);
      };
      this.listeners.add(listener);
      void this.exited.then(({ code, signal }) => {
        if (this.listeners.delete(listener)) reject(new Error(`runner exited (code ${code}, signal ${signal}) before the awaited frame; stderr: ${this.stderrText}`));
      });
    });
  }

  /** hello, or throws with the runner's error frame. */
  async hello(): Promise<Hello> {
    const m = await this.waitFor((f) => f.type === 'hello' || (f.type === 'error' && f.id === undefined));
    if (m.type !== 'hello') throw new Error(`runner refused: ${JSON.stringify(m)}; stderr: ${this.stderrText}`);
    return m;
  }

  /** Start a command; returns its id. */
  spawnCommand(argv: string[], options: ExecOptions): string {
    const id = `c${this.nextId++}`;
    this.send({ type: 'spawn', id, argv, cwd: options.cwd, env: options.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin' }, timeoutMs: options.timeoutMs ?? 60_000, stdin: options.stdin === undefined ? null : 'pipe' });
    if (options.stdin !== undefined) {
      const data = Buffer.from(options.stdin);
      for (let offset = 0; offset < data.length; offset += 1 << 20) {
        this.send({ type: 'stdin', id, data: data.subarray(offset, offset + (1 << 20)).toString('base64') });
      }
      this.send({ type: 'closeStdin', id });
    }
    return id;
  }

  /** Collect the result of command `id`. */
  result(id: string): Promise<ExecResult> {
    return new Promise((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let pid: number | null = null;
      const take = (m: FromRunner): boolean => {
        if (!('id' in m) || m.id !== id) return false;
        switch (m.type) {
          case 'started':
            pid = m.pid;
            return false;
          case 'stdout':
            stdout.push(Buffer.from(m.data, 'base64'));
            return false;
          case 'stderr':
            stderr.push(Buffer.from(m.data, 'base64'));
            return false;
          case 'exit':
            resolve({ exit: m, error: null, pid, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
            return true;
          case 'error':
            resolve({ exit: null, error: m, pid, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
            return true;
          default:
            return false;
        }
      };
      for (const m of this.frames) if (take(m)) return;
      const listener = (m: FromRunner) => {
        if (take(m)) this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  exec(argv: string[], options: ExecOptions): Promise<ExecResult> {
    return this.result(this.spawnCommand(argv, options));
  }

  /** `sh -c script` with stdout+stderr as text. */
  async sh(script: string, options: ExecOptions): Promise<{ code: number | null; out: string; err: string; result: ExecResult }> {
    const result = await this.exec(['/bin/sh', '-c', script], options);
    return { code: result.exit?.code ?? null, out: result.stdout.toString('utf8'), err: result.stderr.toString('utf8'), result };
  }

  async shutdown(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.send({ type: 'shutdown' });
        this.child.stdin!.end();
      } catch {
        // already closed
      }
    }
    return this.exited;
  }

  /** Last resort in `after` hooks. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
