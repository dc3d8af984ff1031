/**
 * The Windows start of the session runner, reached from runner/main.ts by a lazy import (so
 * nothing of runner/windows loads on Linux). The launcher started this process as the
 * sandbox identity (CreateProcessWithLogonW); its stdin/stdout are the protocol pipes.
 *
 * Like the Linux start: read the `open` frame synchronously (checked in shape for Windows
 * paths), read the machine layer, confine (windowsBackend: checks against the machine state,
 * the policy floor, restricted token), answer `hello` via the shared session loop;
 * on a failure before `hello`, write one `error` frame and exit with the error's CLI code.
 */
import { dirname, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError } from '../../core/errors.js';
import { DEFAULT_INSTALLATION_NAME, windowsInstallation, type Installation, type WindowsFolders } from '../../core/installation.js';
import type { ConfinedSession } from '../backend.js';
import type { SessionRequest } from '../../core/protocol.js';
import { failBeforeHello as fail, readOpenRequest, serveOnStdio } from '../start.js';
import { windowsBackend } from './backend.js';
import { windowsFolders } from '../../os/win32/known-folders.js';
import { readMachineLayer } from '../machine-layer.js';
import { windowsMachineFileTrust } from '../../os/win32/machine-file.js';
import { windowsPaths } from '../../core/paths.js';

/**
 * The installation this runner belongs to, from where it is installed:
 * `<ProgramFiles>\<Title>\app\dist\runner\main.js` (see core/installation.ts), never
 * from a variable a caller could set.
 */
export function installationFromRunnerPath(mainJs: string, folders: WindowsFolders): Installation {
  const libDir = win32.dirname(win32.dirname(win32.dirname(win32.dirname(mainJs))));
  const title = win32.basename(libDir);
  const name = title === 'Corral' ? DEFAULT_INSTALLATION_NAME : title;
  const installation = /^[a-z][a-z0-9]{1,11}$/.test(name) ? windowsInstallation(name, folders) : undefined;
  if (installation === undefined || installation.runnerEntry.toLowerCase() !== win32.normalize(mainJs).toLowerCase()) {
    throw new CorralError('runner_failed', `the runner at ${mainJs} is not inside a Corral installation (expected <ProgramFiles>\\<Corral>\\app\\dist\\runner\\main.js)`);
  }
  return installation;
}

export async function windowsMain(): Promise<void> {
  let request: SessionRequest;
  let session: ConfinedSession;
  try {
    const mainJs = win32.join(dirname(dirname(fileURLToPath(import.meta.url))), 'main.js');
    const installation = installationFromRunnerPath(mainJs, windowsFolders());
    request = readOpenRequest(windowsPaths);
    // The machine layer, read by us (never taken from the request): the floor of the policy.
    const machine = await readMachineLayer(installation, windowsMachineFileTrust);
    session = windowsBackend({ installation, machine }).confine(request);
  } catch (err) {
    fail(err);
  }
  serveOnStdio(session, request, 'win32');
}
