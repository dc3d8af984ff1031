/**
 * The Windows privilege bridge (RunnerLauncher of orchestrator/platform.ts), run by the real
 * user's `corral run` / library call, unelevated:
 *  1. read the machine state: the user's identity for the session's network, the installed
 *     runner (node.exe + entry under %ProgramFiles%, writable by administrators only);
 *  2. read the user's credential file and decrypt the identity's password with DPAPI
 *     (LocalMachine scope, entropy `corral:<identity>`; the file's ACL admits only this user,
 *     SYSTEM and Administrators — that ACL, set by the module, is the secret's protection);
 *  3. start the runner as the identity with CreateProcessWithLogonW (LOGON_WITH_PROFILE,
 *     no window), its stdio on anonymous pipes — one logon per session, never per command.
 * The session client then speaks the framed protocol over those pipes.
 */
import { readFileSync } from 'node:fs';
import { win32 } from 'node:path';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import type { RealUser, RunnerLauncher, RunnerProcess } from '../../platform.js';
import type { SessionRequest } from '../../../core/protocol.js';
import { msvcrtCommandLine } from '../../../os/win32/command-line.js';
import { identityEntropy, unprotect } from '../../../os/win32/dpapi.js';
import { closeAll } from '../../../os/win32/handle.js';
import { parseWindowsCredentials, readWindowsState, type WindowsMachineState } from '../../../os/win32/machine-state.js';
import { createChildPipe, type ChildPipe } from '../../../os/win32/pipe.js';
import { pipeReadable, pipeWritable } from '../../../os/win32/pipe-stream.js';
import { CREATE_NO_WINDOW, CREATE_UNICODE_ENVIRONMENT, createProcessWithLogon, exitCodeIfEnded, terminateProcess } from '../../../os/win32/process.js';
import type { IdentityKind } from '../../../core/vocabulary.js';
import { sameAccountName } from '../../../core/accounts.js';

const EXIT_POLL_MS = 50;

function findUser(state: WindowsMachineState, name: string): [string, WindowsMachineState['users'][string]] | undefined {
  return Object.entries(state.users).find(([n]) => sameAccountName('windows', n, name));
}

/** The identity's password, decrypted (DPAPI) from the real user's credential file. */
export function identityPassword(installation: Installation, realUserSid: string, identity: string, kind: IdentityKind): string {
  const file = win32.join(installation.stateDir, 'credentials', `${realUserSid}.json`);
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CorralError(code === 'EACCES' || code === 'EPERM' ? 'not_permitted' : 'not_provisioned', `cannot read ${file}: ${code ?? (err as Error).message}`);
  }
  const entry = parseWindowsCredentials(json, file)[kind];
  if (!sameAccountName('windows', entry.user, identity)) {
    throw new CorralError('state_corrupt', `${file}: $.${kind}.user is ${entry.user}, but the state names ${identity}`);
  }
  const plain = unprotect(Buffer.from(entry.protected, 'base64'), identityEntropy(identity));
  try {
    return plain.toString('utf8');
  } finally {
    plain.fill(0);
  }
}

export function windowsLauncher(installation: Installation, readState: () => WindowsMachineState = () => readWindowsState(installation)): RunnerLauncher {
  return {
    async launch(request: SessionRequest, realUser: RealUser): Promise<RunnerProcess> {
      const state = readState();
      const found = findUser(state, realUser.name);
      if (found === undefined) throw new CorralError('not_provisioned', `${realUser.name} has no sandbox identities on this machine`);
      const [, record] = found;
      if (realUser.sid !== undefined && realUser.sid !== record.sid) {
        throw new CorralError('state_corrupt', `the state records ${record.sid} for ${realUser.name}, but this account is ${realUser.sid}`);
      }
      if (state.runner === null) throw new CorralError('not_provisioned', 'the session runner is not installed');
      const identity = record.identities[request.network];
      const password = identityPassword(installation, record.sid, identity.name, request.network);

      let stdin: ChildPipe | undefined;
      let stdout: ChildPipe | undefined;
      let stderr: ChildPipe | undefined;
      let started: ReturnType<typeof createProcessWithLogon>;
      try {
        stdin = createChildPipe('to-child', 'runner stdin');
        stdout = createChildPipe('from-child', 'runner stdout');
        stderr = createChildPipe('from-child', 'runner stderr');
        started = createProcessWithLogon({
          user: identity.name,
          domain: '.',
          password,
          application: state.runner.node,
          commandLine: msvcrtCommandLine([state.runner.node, state.runner.entry]),
          cwd: state.runner.dir,
          environment: null, // the identity's own profile environment
          stdio: { stdin: stdin.child, stdout: stdout.child, stderr: stderr.child },
          flags: CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
        });
      } catch (err) {
        closeAll(stdin?.parent, stdout?.parent, stderr?.parent);
        throw err;
      } finally {
        closeAll(stdin?.child, stdout?.child, stderr?.child);
      }
      started.thread.close();
      const runnerProcess = started.process;
      const exited = new Promise<number | null>((resolve) => {
        const check = () => {
          try {
            const code = exitCodeIfEnded(runnerProcess);
            if (code === undefined) {
              setTimeout(check, EXIT_POLL_MS);
              return;
            }
            runnerProcess.close();
            resolve(code);
          } catch {
            runnerProcess.close();
            resolve(null);
          }
        };
        check();
      });
      return {
        stdin: pipeWritable(stdin.parent),
        stdout: pipeReadable(stdout.parent),
        stderr: pipeReadable(stderr.parent),
        exited,
        kill() {
          if (runnerProcess.closed) return;
          try {
            terminateProcess(runnerProcess, 1);
          } catch {
            // already gone
          }
        },
      };
    },
  };
}
