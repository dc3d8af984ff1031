/**
 * The Windows start of the session runner, reached from runner/main.ts by a lazy import (so
 * nothing of runner/windows loads on Linux). The launcher started this process as the
 * sandbox identity (CreateProcessWithLogonW); its stdin/stdout are the protocol pipes.
 *
 * Like the Linux start: read the `open` frame synchronously, confine (windowsBackend: checks
 * against the machine state, restricted token), answer `hello` via the shared session loop;
 * on a failure before `hello`, write one `error` frame and exit with the error's CLI code.
 */
import { readSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError, isCorralError } from '../../orchestrator/errors.js';
import { DEFAULT_INSTALLATION_NAME, windowsInstallation, type Installation } from '../../orchestrator/installation.js';
import { encodeFrame, MAX_FRAME_BYTES, type SessionRequest } from '../protocol.js';
import { serveSession } from '../session.js';
import { windowsBackend } from './backend.js';

const STDIN = 0;
const STDOUT = 1;

function readExactlySync(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(STDIN, buffer, filled, length - filled, null);
    if (n === 0) throw new CorralError('request_invalid', `input ended after ${filled} of ${length} bytes of the open frame`);
    filled += n;
  }
  return buffer;
}

function readOpenRequest(): SessionRequest {
  const length = readExactlySync(4).readUInt32LE(0);
  if (length > MAX_FRAME_BYTES) throw new CorralError('request_invalid', `open frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  let message: unknown;
  try {
    message = JSON.parse(readExactlySync(length).toString('utf8'));
  } catch (err) {
    throw new CorralError('request_invalid', `open frame is not JSON: ${(err as Error).message}`);
  }
  const m = message as { type?: unknown; request?: unknown } | null;
  if (typeof m !== 'object' || m === null || m.type !== 'open' || typeof m.request !== 'object' || m.request === null) {
    throw new CorralError('request_invalid', 'the first frame must be {"type":"open","request":{…}}');
  }
  return m.request as SessionRequest;
}

/**
 * The installation this runner belongs to, from where it is installed:
 * `<ProgramFiles>\<Title>\app\dist\runner\main.js` (see orchestrator/installation.ts), never
 * from a variable a caller could set.
 */
export function installationFromRunnerPath(mainJs: string): Installation {
  const libDir = win32.dirname(win32.dirname(win32.dirname(win32.dirname(mainJs))));
  const title = win32.basename(libDir);
  const name = title === 'Corral' ? DEFAULT_INSTALLATION_NAME : title;
  const installation = /^[a-z][a-z0-9]{1,11}$/.test(name) ? windowsInstallation(name) : undefined;
  if (installation === undefined || installation.runnerEntry.toLowerCase() !== win32.normalize(mainJs).toLowerCase()) {
    throw new CorralError('runner_failed', `the runner at ${mainJs} is not inside a Corral installation (expected <ProgramFiles>\\<Corral>\\app\\dist\\runner\\main.js)`);
  }
  return installation;
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

export function windowsMain(): void {
  let request: SessionRequest;
  let session;
  try {
    const mainJs = win32.join(dirname(dirname(fileURLToPath(import.meta.url))), 'main.js');
    const installation = installationFromRunnerPath(mainJs);
    request = readOpenRequest();
    session = windowsBackend({ installation }).confine(request);
  } catch (err) {
    fail(err);
  }
  const input = new Socket({ fd: STDIN, readable: true, writable: false });
  const output = new Socket({ fd: STDOUT, readable: false, writable: true });
  serveSession(session, request, { input, output, platform: 'win32', log: (line) => process.stderr.write(`corral runner: ${line}\n`) }).then(
    () => process.exit(0),
    (err: unknown) => fail(err),
  );
}
