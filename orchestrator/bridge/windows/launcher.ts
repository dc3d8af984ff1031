/**
 * The Windows privilege bridge (RunnerLauncher of orchestrator/platform.ts), run by the real
 * user's `corral run` / library call, unelevated:
 *  1. read the machine state — only from a folder and file owned by Administrators or SYSTEM
 *     (os/win32/file-owner.ts) — keyed by the real user's SID: the identity for the session's
 *     network; the runner is always the installation's own node.exe and entry under
 *     %ProgramFiles%\<Corral> (known folders, writable by administrators only), and a state
 *     naming any other is refused;
 *  2. read the user's credential file and decrypt the identity's password with DPAPI
 *     (LocalMachine scope, entropy `corral:<identity>`; the file's ACL admits only this user,
 *     SYSTEM and Administrators — that ACL, set by the module, is the secret's protection);
 *  3. start the runner as the identity with CreateProcessWithLogonW (LOGON_WITH_PROFILE,
 *     no window), its stdio on anonymous pipes — one logon per session, never per command —
 *     with an explicit environment block (`runnerEnvironment`): not the identity's profile
 *     environment, which HKCU\Environment feeds (NODE_OPTIONS there would run code in the
 *     unrestricted runner), nor the caller's. A logon refused because the identity is gone,
 *     disabled or has another password is drift (`drift_detected`), as `corral status` says.
 * For an allowlist session it first serves the filtering proxy itself, as the real user, on the
 * installation's loopback port (proxy-host.ts): the runner runs as the offline identity, which
 * the firewall keeps off the network, so the proxy cannot be the runner's.
 * The session client then speaks the framed protocol over those pipes. Steps 1 and the choice
 * of identity, program and environment are `planRunnerLaunch` (pure); 2 and 3 are
 * `startRunnerWithLogon` (Win32).
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
import { installationPaths, parseWindowsCredentials, readTrustedWindowsState, requireOwnedByAdministrators, type WindowsMachineState } from '../../../os/win32/machine-state.js';
import { createChildPipe, type ChildPipe } from '../../../os/win32/pipe.js';
import { pipeReadable, pipeWritable } from '../../../os/win32/pipe-stream.js';
import { CREATE_NO_WINDOW, CREATE_UNICODE_ENVIRONMENT, createProcessWithLogon, exitCodeIfEnded, terminateProcess } from '../../../os/win32/process.js';
import type { IdentityKind } from '../../../core/vocabulary.js';
import { windowsPaths } from '../../../core/paths.js';
import { sameAccountName } from '../../../core/accounts.js';
import { encodeEnvironmentBlock } from '../../../os/win32/env-block.js';
import { knownFolder } from '../../../os/win32/known-folders.js';
import { windowsUserRecord } from '../../provision/windows/provisioned.js';
import type { NetworkAllowlist } from '../../../core/vocabulary.js';
import { tcpListeners } from '../../../os/win32/tcp-listeners.js';
import { startProxyHost, type SessionProxyHost } from './proxy-host.js';

const EXIT_POLL_MS = 50;

/**
 * The runner's whole environment (pure, tested): what Windows programs need to start, from
 * the known folder of the Windows directory. Nothing of the caller's, nothing of the
 * identity's HKCU\Environment; the runner finds its own folders through SHGetKnownFolderPath.
 */
export function runnerEnvironment(systemRoot: string): Record<string, string> {
  const drive = /^[A-Za-z]:/.test(systemRoot) ? systemRoot.slice(0, 2) : 'C:';
  return {
    SystemRoot: systemRoot,
    windir: systemRoot,
    SystemDrive: drive,
    ComSpec: win32.join(systemRoot, 'System32', 'cmd.exe'),
    PATHEXT: '.COM;.EXE;.BAT;.CMD',
    PATH: [win32.join(systemRoot, 'System32'), systemRoot, win32.join(systemRoot, 'System32', 'Wbem')].join(';'),
  };
}

/** The installed runner the launcher starts; state_corrupt when the state names another. Pure (tested). */
export function installedRunner(installation: Installation, state: WindowsMachineState): { node: string; entry: string; dir: string } {
  if (state.runner === null) throw new CorralError('not_provisioned', 'the session runner is not installed: run `corral setup` first');
  const expected = { node: installation.runnerNode, entry: installation.runnerEntry, dir: installation.libDir };
  for (const key of ['node', 'entry', 'dir'] as const) {
    if (!windowsPaths.samePath(state.runner[key], expected[key])) {
      throw new CorralError('state_corrupt', `the state names ${state.runner[key]} as the runner's ${key}, but this installation's is ${expected[key]}: Corral runs only its installed runner`, {
        details: { key, recorded: state.runner[key], expected: expected[key] },
      });
    }
  }
  return expected;
}

/** The identity's password, decrypted (DPAPI) from the real user's credential file. */
export function identityPassword(file: string, identity: string, kind: IdentityKind): string {
  requireOwnedByAdministrators(win32.dirname(file), file);
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

/**
 * Everything the launcher knows before Windows is asked to start the runner (pure, tested):
 * which identity logs on (the request's network, of the real user found by SID), which program
 * with which command line, folder and environment, and where the identity's password is kept.
 */
export interface RunnerLaunch {
  /** The real user's SID (the credential file is named after it). */
  realUserSid: string;
  kind: IdentityKind;
  /** The identity CreateProcessWithLogonW logs on (a local account: domain `.`). */
  identity: { name: string; sid: string };
  domain: '.';
  credentialFile: string;
  application: string;
  commandLine: string;
  cwd: string;
  environment: Record<string, string>;
  /**
   * Allowlist sessions: the loopback port the launcher serves the filtering proxy on (the one
   * the state records for this user: the offline identity's firewall rules admit it); null otherwise.
   */
  proxyPort: number | null;
}

export function planRunnerLaunch(
  installation: Installation,
  state: WindowsMachineState,
  request: SessionRequest,
  realUser: RealUser,
  systemRoot: string,
): RunnerLaunch {
  const found = windowsUserRecord(state, realUser);
  if (found === undefined) throw new CorralError('not_provisioned', `${realUser.name} (${realUser.sid}) has no sandbox identities on this machine: run \`corral setup\` first`);
  const [, record] = found;
  const runner = installedRunner(installation, state);
  const identity = record.identities[request.network];
  if (request.allowlist !== undefined && record.proxyPort === null) {
    // The runner refuses it too (session-check.ts); said here before any logon.
    throw new CorralError('not_provisioned', `an allowlist session needs the proxy port rules in the firewall, and this machine was set up without them for ${realUser.name} (a setup from before allowlist sessions on Windows, or one with -ProxyPort 0): run \`corral setup\` again`);
  }
  return {
    realUserSid: record.sid,
    kind: request.network,
    identity: { name: identity.name, sid: identity.sid },
    domain: '.',
    credentialFile: installationPaths(installation).join(installation.stateDir, 'credentials', `${record.sid}.json`),
    application: runner.node,
    commandLine: msvcrtCommandLine([runner.node, runner.entry]),
    cwd: runner.dir,
    environment: runnerEnvironment(systemRoot),
    proxyPort: request.allowlist === undefined ? null : record.proxyPort,
  };
}

/**
 * Win32 errors of CreateProcessWithLogonW that mean the identity as provisioned is no longer
 * there: the account was deleted or its password changed (1326 ERROR_LOGON_FAILURE), it was
 * disabled (1331), locked out (1909) or its password expired (1330). That is drift, which
 * `corral status` names and `corral setup` repairs — not a runner failure.
 */
const IDENTITY_DRIFT_ERRORS: ReadonlySet<number> = new Set([1326, 1330, 1331, 1909]);

/** A failure of the runner's start as the error the user should see (pure, tested). */
export function explainLaunchFailure(err: unknown, launch: RunnerLaunch): unknown {
  const details = err instanceof CorralError ? err.details : undefined;
  if (details?.api === 'CreateProcessWithLogonW' && typeof details.win32Error === 'number' && IDENTITY_DRIFT_ERRORS.has(details.win32Error)) {
    return new CorralError(
      'drift_detected',
      `the ${launch.kind} sandbox identity ${launch.identity.name} cannot log on (${(err as Error).message}): it was removed, disabled or its password changed since setup; \`corral status\` names what drifted`,
      { cause: err, details: { identity: launch.identity.name, win32Error: details.win32Error } },
    );
  }
  return err;
}

/**
 * The Win32 half of a launch: decrypt the identity's password (DPAPI) from the credential file
 * (owned by Administrators or SYSTEM), create the runner's three pipes, and start it with
 * CreateProcessWithLogonW (LOGON_WITH_PROFILE, no window, the explicit environment block). One
 * logon per session, never per command.
 */
export function startRunnerWithLogon(launch: RunnerLaunch): RunnerProcess {
  const password = identityPassword(launch.credentialFile, launch.identity.name, launch.kind);
  let stdin: ChildPipe | undefined;
  let stdout: ChildPipe | undefined;
  let stderr: ChildPipe | undefined;
  let started: ReturnType<typeof createProcessWithLogon>;
  try {
    stdin = createChildPipe('to-child', 'runner stdin');
    stdout = createChildPipe('from-child', 'runner stdout');
    stderr = createChildPipe('from-child', 'runner stderr');
    started = createProcessWithLogon({
      user: launch.identity.name,
      domain: launch.domain,
      password,
      application: launch.application,
      commandLine: launch.commandLine,
      cwd: launch.cwd,
      environment: encodeEnvironmentBlock(launch.environment),
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
}

/**
 * What the launcher asks Windows for. Production uses the defaults; only
 * test/windows-sim/orchestrator-sim.test.ts replaces them, to drive `corral run` on the
 * simulated Windows up to the point where Windows would start the runner.
 */
export interface WindowsLauncherSeams {
  /** The machine state: its folder and file owned by Administrators or SYSTEM (GetFileSecurityW), then parsed. */
  readState(): WindowsMachineState;
  /** The Windows folder (SHGetKnownFolderPath FOLDERID_Windows), for the runner's environment. */
  systemRoot(): string;
  /** startRunnerWithLogon: DPAPI, pipes, CreateProcessWithLogonW. */
  start(launch: RunnerLaunch): RunnerProcess;
  /** Allowlist sessions: the proxy on the port (proxy-host.ts, with the machine's TCP listener table). */
  startProxy(port: number, rules: NetworkAllowlist): Promise<SessionProxyHost>;
}

/**
 * The runner with the session's proxy beside it: the proxy's decisions reach the client as
 * connection records (RunnerProcess.onConnection), and the proxy closes when the runner ends.
 */
export function withProxy(runner: RunnerProcess, proxy: SessionProxyHost): RunnerProcess {
  void runner.exited.then(() => proxy.close());
  return {
    ...runner,
    onConnection(listener) {
      proxy.onDecision(listener);
    },
  };
}

export function windowsLauncher(installation: Installation, seams: Partial<WindowsLauncherSeams> = {}): RunnerLauncher {
  const readState = seams.readState ?? (() => readTrustedWindowsState(installation));
  const systemRoot = seams.systemRoot ?? (() => knownFolder('Windows'));
  const start = seams.start ?? startRunnerWithLogon;
  const startProxy = seams.startProxy ?? ((port: number, rules: NetworkAllowlist) => startProxyHost(port, rules, { listeners: tcpListeners, pid: process.pid }));
  return {
    async launch(request: SessionRequest, realUser: RealUser): Promise<RunnerProcess> {
      const launch = planRunnerLaunch(installation, readState(), request, realUser, systemRoot());
      // The proxy holds its port before the runner starts (so no command can meet anything else
      // there), and is closed again if the runner cannot be started.
      const proxy = launch.proxyPort === null || request.allowlist === undefined ? null : await startProxy(launch.proxyPort, request.allowlist);
      let runner: RunnerProcess;
      try {
        runner = start(launch);
      } catch (err) {
        await proxy?.close();
        throw explainLaunchFailure(err, launch);
      }
      return proxy === null ? runner : withProxy(runner, proxy);
    },
  };
}
