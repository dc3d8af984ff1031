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
 * fd 1 carries only protocol frames (start.ts): diagnostics go to stderr, and nothing here
 * may use console.log or process.stdout (whose pipe writes block on Linux); frames go
 * through a non-blocking socket on fd 1 so that backpressure is observable.
 */
import { fileURLToPath } from 'node:url';
import { CorralError } from '../core/errors.js';
import type { ConfinedSession } from './backend.js';
import type { SessionRequest } from '../core/protocol.js';
import { linuxBackend } from './linux/backend.js';
import { runnerOrigin } from './linux/installation-from-path.js';
import { realUid } from './linux/request-validation.js';
import { readMachineState } from './linux/state-file.js';
import { readMachineLayer } from './machine-layer.js';
import { linuxMachineFileTrust } from '../os/linux/machine-file.js';
import { failBeforeHello as fail, readOpenRequest, serveOnStdio } from './start.js';

async function main(): Promise<void> {
  let request: SessionRequest;
  let session: ConfinedSession;
  if (process.platform === 'win32') {
    // Windows has its own start (runner/windows/entry.ts), imported lazily so that Linux never loads it.
    void import('./windows/entry.js').then((windows) => windows.windowsMain()).catch((err: unknown) => fail(err));
    return;
  }
  try {
    if (process.platform !== 'linux') throw new CorralError('platform_unsupported', `the runner for ${process.platform} is not built yet`);
    if (process.geteuid?.() !== 0) throw new CorralError('not_elevated', 'the session runner must be started as root (directly, or through the sudo rule)');
    const origin = runnerOrigin(fileURLToPath(import.meta.url), process.execPath, process.env, process.getuid!());
    request = readOpenRequest();
    // The machine layer, read by us (never taken from the request): the floor of the policy.
    // Its schema is loaded lazily (only when the file exists), hence the one await before confine.
    const machine = await readMachineLayer(origin.installation, linuxMachineFileTrust);
    const backend = linuxBackend({
      installation: origin.installation,
      realUid: realUid(process.env, process.getuid!()),
      readState: () => readMachineState(origin.installation),
      machine,
    });
    session = backend.confine(request);
  } catch (err) {
    fail(err);
  }
  serveOnStdio(session, request, process.platform);
}

void main();
