#!/usr/bin/env node
/**
 * The session runner's entry point (dist/runner/main.js): the file the sudo rule names.
 *
 * Started as root (by root, or by a member of the user group through sudo). Before any
 * asynchronous work it reads the `open` frame synchronously from fd 0, validates it and
 * confines this process (backend.confine: namespaces, mounts, no_new_privs, Landlock, uid
 * drop); only then does it answer `hello` and serve the protocol (session.ts). On any
 * failure before `hello` it writes one `error` frame and exits with the error's CLI code.
 *
 * fd 1 carries only protocol frames: diagnostics go to stderr, and nothing here may use
 * console.log or process.stdout (whose pipe writes block on Linux); frames go through a
 * non-blocking socket on fd 1 so that backpressure is observable.
 */
import { readSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CorralError, isCorralError } from '../orchestrator/errors.js';
import { encodeFrame, MAX_FRAME_BYTES, type SessionRequest } from './protocol.js';
import { linuxBackend } from './linux/backend.js';
import { runnerOrigin } from './linux/installation-from-path.js';
import { realUid } from './linux/request-validation.js';
import { readMachineState } from './linux/state-file.js';
import { serveSession } from './session.js';

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
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw err;
    }
    if (n === 0) throw new CorralError('request_invalid', `input ended after ${filled} of ${length} bytes of the open frame`);
    filled += n;
  }
  return buffer;
}

/** The first frame, read synchronously: exactly its bytes, so nothing of the next frame is consumed. */
function readOpenRequest(): unknown {
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
  return m.request;
}

function fail(err: unknown): never {
  const error = isCorralError(err) ? err : new CorralError('runner_failed', err instanceof Error ? err.message : String(err), { cause: err });
  try {
    writeSync(STDOUT, encodeFrame({ type: 'error', code: error.code, message: error.message }));
  } catch {
    // the client is gone; stderr still says why
  }
  process.stderr.write(`corral runner: ${error.code}: ${error.message}\n`);
  process.exit(error.exitCode);
}

function main(): void {
  let request: SessionRequest;
  let session;
  if (process.platform === 'win32') {
    // Windows has its own start (runner/windows/entry.ts), imported lazily so that Linux never loads it.
    void import('./windows/entry.js').then((windows) => windows.windowsMain(), (err: unknown) => fail(err));
    return;
  }
  try {
    if (process.platform !== 'linux') throw new CorralError('platform_unsupported', `the runner for ${process.platform} is not built yet`);
    if (process.geteuid?.() !== 0) throw new CorralError('not_elevated', 'the session runner must be started as root (directly, or through the sudo rule)');
    const origin = runnerOrigin(fileURLToPath(import.meta.url), process.execPath, process.env, process.getuid!());
    request = readOpenRequest() as SessionRequest;
    const backend = linuxBackend({
      installation: origin.installation,
      realUid: realUid(process.env, process.getuid!()),
      readState: () => readMachineState(origin.installation),
    });
    session = backend.confine(request);
  } catch (err) {
    fail(err);
  }
  const input = new Socket({ fd: STDIN, readable: true, writable: false });
  const output = new Socket({ fd: STDOUT, readable: false, writable: true });
  serveSession(session, request, { input, output, platform: process.platform, log: (line) => process.stderr.write(`corral runner: ${line}\n`) }).then(
    () => process.exit(0),
    (err: unknown) => fail(err),
  );
}

main();
