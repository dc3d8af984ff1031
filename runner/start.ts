/**
 * What every platform's runner start shares: reading the `open` frame synchronously from
 * fd 0 (before any async work), reporting a failure before `hello` as one `error` frame
 * plus the error's exit code, and serving the confined session over fds 0 and 1.
 *
 * fd 1 carries only protocol frames: diagnostics go to stderr.
 */
import { readSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { CorralError, isCorralError } from '../core/errors.js';
import type { ConfinedSession } from './backend.js';
import { encodeFrame, excerpt, MAX_FRAME_BYTES, type SessionRequest } from '../core/protocol.js';
import { serveSession } from './session.js';
import { parseSessionRequest } from '../core/request-shape.js';
import { nativePaths, type PathRules } from '../core/paths.js';

const STDIN = 0;
const STDOUT = 1;

function readExactlySync(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    let n: number;
    try {
      n = readSync(STDIN, buffer, filled, length - filled, null);
    } catch (err) {
      // A non-blocking stdin (some parents hand one over) has nothing yet: read again.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw err;
    }
    if (n === 0) throw new CorralError('request_invalid', `input ended after ${filled} of ${length} bytes of the open frame`);
    filled += n;
  }
  return buffer;
}

/**
 * The first frame, read synchronously: exactly its bytes, so nothing of the next frame is
 * consumed. Returns the request checked in shape by the one validator both runners share
 * (core/request-shape.ts), for this platform's path flavour; each backend then checks it
 * against the machine (state, identity, floor) as the hostile input it is.
 */
export function readOpenRequest(paths: PathRules = nativePaths): SessionRequest {
  const length = readExactlySync(4).readUInt32LE(0);
  if (length > MAX_FRAME_BYTES) throw new CorralError('request_invalid', `open frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  let message: unknown;
  try {
    message = JSON.parse(readExactlySync(length).toString('utf8'));
  } catch (err) {
    if (isCorralError(err)) throw err;
    throw new CorralError('request_invalid', `open frame is not JSON: ${(err as Error).message}`);
  }
  const m = message as { type?: unknown; request?: unknown } | null;
  if (typeof m !== 'object' || m === null || m.type !== 'open' || typeof m.request !== 'object' || m.request === null) {
    throw new CorralError('request_invalid', 'the first frame must be {"type":"open","request":{…}}');
  }
  return parseSessionRequest(m.request, paths);
}

/** The longest error message sent in a frame: whatever an error says, its one frame must fit (protocol.ts). */
const MAX_MESSAGE_CHARS = 16 * 1024;

/** Report `err` as one `error` frame (if the client still listens) and exit with its code. */
export function failBeforeHello(err: unknown): never {
  const error = isCorralError(err) ? err : new CorralError('runner_failed', err instanceof Error ? err.message : String(err), { cause: err });
  try {
    writeSync(STDOUT, encodeFrame({ type: 'error', code: error.code, message: excerpt(error.message, MAX_MESSAGE_CHARS) }));
  } catch {
    // the client is gone; stderr still says why
  }
  process.stderr.write(`corral runner: ${error.code}: ${error.message}\n`);
  process.exit(error.exitCode);
}

/** Serve the confined session on fds 0/1 until shutdown; exit 0, or fail on a broken session. */
export function serveOnStdio(session: ConfinedSession, request: SessionRequest, platform: string): void {
  const input = new Socket({ fd: STDIN, readable: true, writable: false });
  const output = new Socket({ fd: STDOUT, readable: false, writable: true });
  serveSession(session, request, { input, output, platform, log: (line) => process.stderr.write(`corral runner: ${line}\n`) }).then(
    () => process.exit(0),
    (err: unknown) => failBeforeHello(err),
  );
}
