/**
 * The session host's server: one open Session (SessionImpl) served on a unix socket to the real
 * user's `corral run` clients, one command per connection (a client also holds one connection
 * open without a command while it lives: a one-command host ends when the last one closes), through the Session's own spawn (the
 * command's checks, environment filter, audit record and runner protocol are the session's,
 * unchanged). host-main.ts starts it; remote.ts is the other end.
 *
 * Admission: every accepted connection's peer is read from the kernel (SO_PEERCRED) before a
 * byte is sent: the host's own uid (the real user) or root (who can become the user anyway, and
 * is how `sudo corral run` acts for them) is served; anyone else — another user, a sandbox
 * identity — is disconnected without a word. The socket file (0600 in a 0700 directory of the
 * user's: paths.ts) keeps them from connecting at all; this check holds even if that failed.
 *
 * Lifetime: it stays while connections are open and for `idleSec` after the last one closed;
 * it ends early when its runner ends, when `corral session stop` asks, on SIGTERM/SIGINT/SIGHUP,
 * and when the installation changed under it (the state file or the installed runner is not the
 * one it started with: `corral setup`, `corral teardown`), which is checked at each connection.
 * A command whose client disconnects before its exit (the client was killed) is killed, as the
 * runner kills a command whose client went away. A command running when the host ends gets an
 * error frame saying so; its client never hangs (remote.ts also fails it when the socket closes).
 */
import type { Server, Socket } from 'node:net';
import { CorralError, isCorralError } from '../../core/errors.js';
import type { SessionImpl } from '../session/session.js';
import { isSignalName } from '../session/exit-status.js';
import type { SandboxedProcess } from '../session/types.js';
import { checkToHost, DATA_CHUNK_BYTES, encode, FrameDecoder, type FromHost, type SessionFacts, type ToHost, type WireError } from './wire.js';

export interface HostOptions {
  session: SessionImpl;
  key: string;
  /** Seconds kept after the last connection closed; ignored when `kept` is false. */
  idleSec: number;
  /** false: serve one command connection, then end (idleSec 0, or a key that moved while starting). */
  kept: boolean;
  /** The uid served besides root: the real user's (this process's own). */
  ownUid: number;
  /** The peer's uid from the kernel, or null when it cannot be read (refused). */
  peerUid(socket: Socket): number | null;
  /** Why the installation is not the one this host started with, or null when it is. */
  installationChanged(): string | null;
  /** Called once when the host ends (remove the socket file, if it is still ours). */
  onEnd(reason: string): void;
  /** How long a one-command host waits for its spawner to connect. */
  firstConnectionMs?: number;
}

function wireError(err: unknown): WireError {
  const e = isCorralError(err) ? err : new CorralError('internal', err instanceof Error ? err.message : String(err));
  return e.toJSON();
}

export class SessionHost {
  private connections = 0;
  private running = 0;
  private commands = 0;
  private lastUsedAt = Date.now();
  private readonly startedAt = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping: string | null = null;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly server: Server,
    private readonly opts: HostOptions,
  ) {
    server.on('connection', (socket) => this.onConnection(socket));
    void opts.session.ended.then(() => this.stop('the session runner ended'));
    this.armIdle(opts.kept ? opts.idleSec * 1000 : (opts.firstConnectionMs ?? 60_000));
  }

  facts(): SessionFacts {
    const s = this.opts.session;
    return {
      id: s.id,
      key: this.opts.key,
      identity: s.identity,
      workspace: s.workspace,
      network: s.network,
      git: s.git,
      policyDigest: s.policyDigest,
      limits: { ...s.limits },
      shell: s.shell,
      enforcement: s.enforcement,
      published: [...s.published],
      warnings: [...s.warnings],
      violationSources: { ...s.violationSources },
      ptys: s.ptys,
      hostPid: process.pid,
      idleSec: this.opts.kept ? this.opts.idleSec : 0,
      startedAt: this.startedAt,
      lastUsedAt: this.lastUsedAt,
      commands: this.commands,
      running: this.running,
      kept: this.opts.kept,
    };
  }

  /** End the host: refuse new work, kill what runs (its clients get an error), close the session. Idempotent. */
  stop(reason: string): Promise<void> {
    if (this.stopping !== null) return this.done;
    this.stopping = reason;
    clearTimeout(this.idleTimer);
    this.server.close();
    this.opts.onEnd(reason);
    void this.opts.session.close().finally(() => {
      for (const s of this.sockets) s.destroy();
      this.resolveDone();
    });
    return this.done;
  }

  private armIdle(ms: number): void {
    clearTimeout(this.idleTimer);
    if (this.stopping !== null || this.connections > 0) return;
    this.idleTimer = setTimeout(() => void this.stop(this.opts.kept ? `idle for ${this.opts.idleSec} s` : 'served its one command'), ms);
  }

  private onConnection(socket: Socket): void {
    const uid = this.opts.peerUid(socket);
    if (uid === null || (uid !== this.opts.ownUid && uid !== 0)) {
      socket.destroy();
      return;
    }
    this.connections += 1;
    this.sockets.add(socket);
    clearTimeout(this.idleTimer);
    socket.on('error', () => undefined);
    // A probe (`corral session list`, a starting host checking for a live one) says `info` first:
    // it does not count as use, so listing sessions never keeps one alive.
    let probe = false;
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.connections -= 1;
      if (!probe) this.lastUsedAt = Date.now();
      if (!this.opts.kept && this.commands > 0) void this.stop('served its one command');
      else if (this.opts.kept) this.armIdle(Math.max(0, this.lastUsedAt + this.opts.idleSec * 1000 - Date.now()));
      else this.armIdle(probe ? (this.opts.firstConnectionMs ?? 60_000) : 0);
    });
    const send = (m: FromHost) => (socket.writable ? socket.write(encode(m)) : true);
    const changed = this.stopping ?? this.opts.installationChanged();
    if (changed !== null) {
      send({ type: 'refused', reason: changed });
      socket.end();
      if (this.stopping === null) void this.stop(changed);
      return;
    }
    send({ type: 'hello', session: this.facts() });
    const decoder = new FrameDecoder();
    let child: SandboxedProcess | null = null;
    socket.on('data', (chunk: Buffer) => {
      let frames: ToHost[];
      try {
        frames = decoder.push(chunk).map(checkToHost);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        switch (frame.type) {
          case 'run':
            if (child !== null) {
              socket.destroy();
              return;
            }
            child = this.run(frame, socket, send);
            break;
          case 'stdin':
            if (child?.stdin != null && !child.stdin.write(Buffer.from(frame.data, 'base64'))) {
              socket.pause();
              child.stdin.once('drain', () => socket.resume());
            }
            break;
          case 'closeStdin':
            child?.stdin?.end();
            break;
          case 'resize':
            try {
              child?.resize(frame.cols, frame.rows);
            } catch {
              socket.destroy(); // a size the Session refuses: a bad client
              return;
            }
            break;
          case 'kill':
            if (isSignalName(frame.signal)) child?.kill(frame.signal);
            break;
          case 'info':
            probe = true;
            socket.end();
            break;
          case 'stop':
            if (frame.ifIdle === true && this.running > 0) {
              // A command runs: it is not killed (setup and teardown then meet it as a live session).
              send({ type: 'refused', reason: `${this.running} command(s) running` });
              socket.end();
              break;
            }
            // The connection stays open until the session has closed (stop() destroys it then):
            // the asker waits for the runner to be gone.
            send({ type: 'stopping' });
            void this.stop(frame.ifIdle === true ? 'stopped for corral setup or teardown' : 'stopped by corral session stop');
            break;
        }
      }
    });
  }

  private run(frame: Extract<ToHost, { type: 'run' }>, socket: Socket, send: (m: FromHost) => boolean): SandboxedProcess | null {
    const refuse = (reason: string) => {
      send({ type: 'refused', reason });
      socket.end();
      return null;
    };
    if (this.stopping !== null) return refuse(this.stopping);
    if (frame.key !== this.opts.key) return refuse('it was started for another policy');
    const changed = this.opts.installationChanged();
    if (changed !== null) {
      refuse(changed);
      void this.stop(changed);
      return null;
    }
    let child: SandboxedProcess;
    try {
      child = this.opts.session.spawnFrom(frame.env, frame.argv, {
        cwd: frame.cwd,
        stdin: frame.stdin ? 'pipe' : 'ignore',
        ...(frame.timeoutSec !== undefined ? { timeoutSec: frame.timeoutSec } : {}),
        ...(frame.pty !== undefined ? { pty: frame.pty } : {}),
        // What the command leaves running dies with it, as when its corral run closed a session of its own.
      }, { reap: true });
    } catch (err) {
      send({ type: 'error', error: wireError(err) });
      socket.end();
      return null;
    }
    this.commands += 1;
    this.running += 1;
    child.stdin?.on('error', () => undefined);
    child.onSuspend(() => send({ type: 'suspended' }));
    const forward = (stream: NodeJS.ReadableStream, type: 'stdout' | 'stderr') =>
      new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => {
          for (let at = 0; at < chunk.length; at += DATA_CHUNK_BYTES) {
            if (!send({ type, data: chunk.subarray(at, at + DATA_CHUNK_BYTES).toString('base64') })) {
              // The client reads slower than the command writes: hold the command's output here
              // (the runner keeps at most maxOutputBytes of it) until the socket drains.
              stream.pause();
              socket.once('drain', () => stream.resume());
            }
          }
        });
        stream.once('end', resolve);
        stream.once('close', resolve);
      });
    const outputs = Promise.all([forward(child.stdout, 'stdout'), forward(child.stderr, 'stderr')]);
    let settled = false;
    // The client went away before the command ended (it was killed): kill the command, as the
    // runner does when its own client goes.
    socket.once('close', () => {
      if (!settled) child.kill('SIGKILL');
    });
    child.exit.then(
      async (exit) => {
        await outputs;
        settled = true;
        send({ type: 'exit', exit });
      },
      (err: unknown) => {
        settled = true;
        const e = this.stopping !== null && isCorralError(err, 'session_closed')
          ? new CorralError('session_closed', `the kept session ended while the command ran (${this.stopping}); run it again: the next corral run starts a fresh session`)
          : err;
        send({ type: 'error', error: wireError(e) });
      },
    ).finally(() => {
      this.running -= 1;
      this.lastUsedAt = Date.now();
      socket.end();
    });
    return child;
  }
}
