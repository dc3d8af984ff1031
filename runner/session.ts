/**
 * The platform-independent session loop: after the backend has confined this process, serve
 * the framed protocol (protocol.ts) on `input`/`output` until `shutdown` or end of input.
 *
 * - Several commands run at once, each under its client-chosen id.
 * - stdout/stderr become base64 frames. Backpressure: when `output` is full, every command's
 *   output is paused until it drains (a slow client slows commands, it never grows our memory).
 * - Output beyond limits.maxOutputBytes (stdout + stderr of one command) is cut; the exit
 *   frame says so (`outputTruncated`). The command keeps running; the rest is drained.
 * - Timeouts are the backend's (it kills everything the command started); timeoutMs is capped
 *   at limits.timeoutSec.
 * - Spawn requests come from the client (the real user), who may ask for anything the
 *   identity may do: they are validated for shape, never trusted for privilege.
 */
import type { Readable, Writable } from 'node:stream';
import type { ConfinedSession, RunningCommand } from './backend.js';
import { encodeFrame, excerpt, FrameDecoder, FrameError, isPtySize, MAX_PTY_CELLS, PROTOCOL_VERSION, type FromRunner, type SessionRequest, type SpawnRequest } from '../core/protocol.js';

const MAX_ID_LENGTH = 128;
const MAX_ARGS = 65536;
const SIGNAL_NAME = /^SIG[A-Z0-9]{2,10}$/;

export interface SessionIo {
  input: Readable;
  output: Writable;
  platform: string;
  /** Diagnostics (never the protocol stream). */
  log?: (line: string) => void;
}

interface Running {
  command: RunningCommand;
  startedAt: number;
  outputBytes: number;
  truncated: boolean;
}

class InvalidSpawn extends Error {}

const PTY_SIZE_RULE = (what: string) => `${what} must be {cols, rows}, each a whole number 1–${MAX_PTY_CELLS}`;

/**
 * The `id` field an error frame may carry: only an id a command could have (1–MAX_ID_LENGTH
 * characters). A longer one is the peer's, up to a frame long: echoed whole it would not fit
 * in the answer (encodeFrame throws, and thrown from the input handler it ended the runner).
 */
function echoId(id: unknown): { id?: string } {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? { id } : {};
}

function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([k, v]) => typeof v === 'string' && k.length > 0 && !k.includes('=') && !k.includes('\0') && !v.includes('\0'));
}

/** Pure shape check of a spawn message; timeoutMs defaults to and is capped by the session limit. */
export function validateSpawn(message: Record<string, unknown>, limitMs: number): SpawnRequest {
  const { id, argv, cwd, env, timeoutMs, stdin, pty, reap } = message;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw new InvalidSpawn(`spawn.id must be a string of 1–${MAX_ID_LENGTH} characters`);
  if (!Array.isArray(argv) || argv.length === 0 || argv.length > MAX_ARGS || !argv.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    throw new InvalidSpawn('spawn.argv must be a non-empty array of strings without NUL');
  }
  if ((argv[0] as string).length === 0) throw new InvalidSpawn('spawn.argv[0] must not be empty');
  if (typeof cwd !== 'string' || !cwd.startsWith('/') || cwd.includes('\0')) throw new InvalidSpawn('spawn.cwd must be an absolute path');
  if (!isStringRecord(env)) throw new InvalidSpawn('spawn.env must map variable names (no "=" or NUL) to strings without NUL');
  let timeout = limitMs;
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidSpawn('spawn.timeoutMs must be a positive integer');
    timeout = Math.min(timeoutMs, limitMs);
  }
  if (stdin !== 'pipe' && stdin !== null && stdin !== undefined) throw new InvalidSpawn('spawn.stdin must be "pipe" or null');
  if (pty !== undefined && pty !== null && !isPtySize(pty)) throw new InvalidSpawn(PTY_SIZE_RULE('spawn.pty'));
  const request: SpawnRequest = { id, argv: argv as string[], cwd, env, timeoutMs: timeout, stdin: stdin === 'pipe' ? 'pipe' : null };
  if (isPtySize(pty)) request.pty = { cols: pty.cols, rows: pty.rows };
  if (reap !== undefined && typeof reap !== 'boolean') throw new InvalidSpawn('spawn.reap must be true or false');
  if (reap === true) request.reap = true;
  return request;
}

/** Serve until shutdown / end of input; resolves once everything is killed and flushed. */
export function serveSession(session: ConfinedSession, request: SessionRequest, io: SessionIo): Promise<void> {
  const running = new Map<string, Running>();
  const decoder = new FrameDecoder();
  const limits = session.limits ?? request.limits;
  const limitMs = limits.timeoutSec * 1000;
  let paused = false;
  let closing = false;

  const send = (message: FromRunner) => {
    if (!io.output.writable) return;
    if (!io.output.write(encodeFrame(message)) && !paused) {
      paused = true;
      for (const r of running.values()) r.command.pauseOutput();
    }
  };
  io.output.on('drain', () => {
    if (!paused) return;
    paused = false;
    for (const r of running.values()) r.command.resumeOutput();
  });
  io.output.on('error', (err) => {
    io.log?.(`output: ${err.message}`);
    void shutdown();
  });

  const output = (id: string, type: 'stdout' | 'stderr', chunk: Buffer) => {
    const r = running.get(id);
    if (r === undefined || r.truncated) return;
    const room = limits.maxOutputBytes - r.outputBytes;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    r.outputBytes += part.length;
    if (part.length < chunk.length) r.truncated = true;
    if (part.length > 0) send({ type, id, data: part.toString('base64') });
  };

  // Allowlist sessions: every proxy decision goes to the commands running when it was made.
  session.onConnection?.((decision) => send({ type: 'connection', ids: [...running.keys()], ...decision }));

  const spawnCommand = (raw: Record<string, unknown>) => {
    let spawn: SpawnRequest;
    try {
      spawn = validateSpawn(raw, limitMs);
    } catch (err) {
      if (!(err instanceof InvalidSpawn)) throw err;
      send({ type: 'error', ...echoId(raw.id), code: 'request_invalid', message: err.message });
      return;
    }
    if (spawn.pty !== undefined && session.pty !== true) {
      send({ type: 'error', id: spawn.id, code: 'platform_unsupported', message: `this runner (${io.platform}) cannot give commands a pseudo-terminal yet: run without one (corral run --no-pty)` });
      return;
    }
    if (running.has(spawn.id)) {
      send({ type: 'error', id: spawn.id, code: 'request_invalid', message: `a command with id ${spawn.id} is still running` });
      return;
    }
    const entry: Running = { command: undefined as unknown as RunningCommand, startedAt: Date.now(), outputBytes: 0, truncated: false };
    running.set(spawn.id, entry);
    entry.command = session.spawn(spawn, {
      started: (pid) => send({ type: 'started', id: spawn.id, pid }),
      stdout: (chunk) => output(spawn.id, 'stdout', chunk),
      stderr: (chunk) => output(spawn.id, 'stderr', chunk),
      suspended: () => send({ type: 'suspended', id: spawn.id }),
      exit: (result) => {
        running.delete(spawn.id);
        send({ type: 'exit', id: spawn.id, ...result, durationMs: Date.now() - entry.startedAt, outputTruncated: entry.truncated });
        settleIfDone();
      },
      failed: (code, message) => {
        running.delete(spawn.id);
        send({ type: 'error', id: spawn.id, code, message });
        settleIfDone();
      },
    });
    if (paused) entry.command.pauseOutput();
  };

  const withCommand = (id: unknown, act: (r: Running) => void) => {
    const r = typeof id === 'string' ? running.get(id) : undefined;
    if (r === undefined) send({ type: 'error', ...echoId(id), code: 'request_invalid', message: `no running command with id ${excerpt(String(id))}` });
    else act(r);
  };

  const handle = (message: unknown) => {
    if (typeof message !== 'object' || message === null) {
      send({ type: 'error', code: 'request_invalid', message: 'a frame must hold a JSON object' });
      return;
    }
    const m = message as Record<string, unknown>;
    switch (m.type) {
      case 'spawn':
        if (closing) send({ type: 'error', ...echoId(m.id), code: 'session_closed', message: 'the session is closing' });
        else spawnCommand(m);
        return;
      case 'stdin':
        if (typeof m.data !== 'string') send({ type: 'error', code: 'request_invalid', message: 'stdin.data must be base64 text' });
        else withCommand(m.id, (r) => r.command.writeStdin(Buffer.from(m.data as string, 'base64')));
        return;
      case 'closeStdin':
        withCommand(m.id, (r) => r.command.closeStdin());
        return;
      case 'kill':
        if (typeof m.signal !== 'string' || !SIGNAL_NAME.test(m.signal)) send({ type: 'error', code: 'request_invalid', message: 'kill.signal must be a signal name such as SIGINT' });
        else withCommand(m.id, (r) => r.command.kill(m.signal as string));
        return;
      case 'resize':
        if (!isPtySize({ cols: m.cols, rows: m.rows })) send({ type: 'error', code: 'request_invalid', message: PTY_SIZE_RULE('resize') });
        else withCommand(m.id, (r) => r.command.resize?.({ cols: m.cols as number, rows: m.rows as number }));
        return;
      case 'shutdown':
        void shutdown();
        return;
      default:
        send({ type: 'error', code: 'request_invalid', message: `unexpected message type ${excerpt(JSON.stringify(m.type) ?? 'undefined')}` });
    }
  };

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let drained: (() => void) | null = null;
  function settleIfDone() {
    if (closing && running.size === 0) drained?.();
  }

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    io.input.pause();
    for (const r of running.values()) r.command.kill('SIGKILL');
    await session.close();
    // Let the killed commands' exit frames out (their pipes close right after the kill).
    if (running.size > 0) {
      await new Promise<void>((r) => {
        drained = r;
        setTimeout(r, 2000).unref();
      });
    }
    io.output.end(() => resolveDone());
  }

  io.input.on('data', (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = decoder.push(chunk);
    } catch (err) {
      send({ type: 'error', code: 'protocol_error', message: err instanceof FrameError ? err.message : String(err) });
      void shutdown();
      return;
    }
    for (const m of messages) handle(m);
  });
  io.input.on('end', () => void shutdown());
  io.input.on('error', () => void shutdown());

  send({
    type: 'hello',
    version: PROTOCOL_VERSION,
    identity: session.identity,
    platform: io.platform,
    policyDigest: session.policyDigest ?? request.policyDigest,
    enforcement: session.enforcement,
    home: session.home,
    tmpdir: session.tmpdir,
    ...(session.published === undefined || session.published.length === 0 ? {} : { published: session.published }),
    ...(session.pty === true ? { pty: true } : {}),
  });
  return done;
}
