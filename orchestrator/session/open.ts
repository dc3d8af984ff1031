/**
 * openSession: resolve the policy for the workspace, check provisioning, start the runner
 * through the platform's privilege bridge, wait for `hello`, and hand back a Session.
 *
 * Start-up cost: the runner is a second Node process. Where the bridge can start it before the
 * request is known (Linux: the runner reads the request from its stdin), it is started right
 * after the cheap provisioning checks, and the policy is resolved while the runner boots — on a
 * machine with two or more cores the two start-ups overlap instead of adding up. The schema
 * library is loaded only when there is a config layer to validate (policy/session-policy.ts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { nativePaths } from '../../core/paths.js';
import { CorralError } from '../../core/errors.js';
import { networkIdentity } from '../../core/vocabulary.js';
import { currentPlatform } from '../current-platform.js';
import type { RealUser, RunnerProcess } from '../platform.js';
import type { Layer } from '../policy/schema.js';
import type { Network, NetworkPolicy } from '../../core/vocabulary.js';
import { loadSessionPolicy } from '../policy/session-policy.js';
import { auditFilePath } from '../audit/path.js';
import { openAuditLog, type AuditLog } from '../audit/log.js';
import { RunnerClient } from './client.js';
import { sessionEnvironment } from './command-input.js';
import { checkProvisioned, defaultWorkspace, userRecordFor, type HintContext } from './provisioned.js';
import { buildSessionRequest, canonicalDirectory } from './request.js';
import { SessionImpl } from './session.js';
import { sessionShell } from './shell.js';
import { readGitIdentity } from './git-identity.js';
import type { Session, SessionOptions } from './types.js';

/**
 * Whether the setup default network replaces the resolved one: only when nothing but the
 * built-in defaults chose it (a machine, user or workspace layer, or --network, always wins).
 */
export function sessionNetworkFromSetup(sources: readonly string[], resolved: NetworkPolicy, recorded: Network): boolean {
  return sources.length === 1 && sources[0] === 'built-in defaults' && recorded !== resolved;
}

function flagsFrom(options: SessionOptions): Layer {
  const flags: Layer = {};
  if (options.network !== undefined) flags.network = options.network;
  if (options.allowHosts !== undefined || options.denyHosts !== undefined) {
    if (options.network !== undefined) throw new CorralError('usage', 'network and allowHosts/denyHosts are exclusive: allowHosts means the allowlist network');
    flags.network = { ...(options.allowHosts !== undefined ? { allow: options.allowHosts } : {}), ...(options.denyHosts !== undefined ? { deny: options.denyHosts } : {}) };
  }
  if (options.publish !== undefined) flags.publish = [...options.publish];
  if (options.timeoutSec !== undefined) flags.limits = { timeoutSec: options.timeoutSec };
  if (options.denyRead !== undefined && options.denyRead.length > 0) flags.denyRead = [...options.denyRead];
  return flags;
}

/** What a not-provisioned remedy may say about `workspace` (provisioned.ts: never suggest the home, /tmp or someone else's directory). */
function hintContext(user: RealUser, workspace: string): HintContext {
  const ownedByUser = (): boolean | undefined => {
    try {
      return user.uid === undefined ? undefined : statSync(workspace).uid === user.uid;
    } catch {
      return undefined;
    }
  };
  return { home: user.home, ownedByUser };
}

/** Open a sandboxed session for one workspace. Close it with `session.close()`. */
export async function openSession(options: SessionOptions = {}): Promise<Session> {
  const leaf = await currentPlatform();
  const user = await leaf.currentRealUser();
  const cwd = process.cwd();
  const launcher = await leaf.createLauncher();
  await launcher.checkPermitted?.(user);
  const provisioned = leaf.provisioned(user);
  let workspace = canonicalDirectory(path.resolve(cwd, options.workspace ?? cwd), 'workspace');
  if (options.workspace === undefined && provisioned !== null) {
    // No workspace named: the provisioned one the current directory is in (as policy show picks it).
    userRecordFor(provisioned, user.name, workspace, hintContext(user, workspace));
    workspace = defaultWorkspace(provisioned, workspace);
  }
  const record = provisioned === null ? null : checkProvisioned(provisioned, user.name, workspace, nativePaths, hintContext(user, workspace));
  const early = launcher.prelaunch?.(user);
  // The real user's user.name/user.email (git-identity.ts), read while the runner boots.
  const gitIdentity = readGitIdentity(user);
  // Handled here so that a failed early start never surfaces as an unhandled rejection while the
  // policy loads; awaiting `early` below still throws it.
  early?.catch(() => undefined);
  let proc: RunnerProcess | undefined;
  let audit: AuditLog | null = null;
  try {
    let resolved = await loadSessionPolicy({ installation: leaf.installation, home: user.home, cwd, workspace, flags: flagsFrom(options) });
    if (record !== null && sessionNetworkFromSetup(resolved.sources.network, resolved.policy.network, record.network)) {
      // No layer chose a network: the default recorded by `setup --network` replaces the built-in one.
      resolved = await loadSessionPolicy({ installation: leaf.installation, home: user.home, cwd, workspace, flags: { ...flagsFrom(options), network: record.network } });
    }
    if (resolved.policy.mode === 'full-access') {
      throw new CorralError(
        'config_invalid',
        `mode is full-access (from ${resolved.sources.mode.join(' + ')}): that means no sandbox, and corral run only runs sandboxed commands; run the command directly, or set mode to workspace-write`,
      );
    }
    // Checked before the runner is handed a request: a login shell that runs nothing is a config error.
    const shell = sessionShell(leaf.installation.platform, resolved.policy.shell, user.shell, resolved.sources.shell);
    const request = buildSessionRequest(user.name, workspace, resolved, leaf.installation.platform === 'linux' ? user.home : undefined, await gitIdentity);
    if (options.audit !== false) {
      audit = openAuditLog(options.audit ?? auditFilePath(leaf.installation, user), user);
    }
    proc = await (early ?? launcher.launch(request, user));
    const client = new RunnerClient(proc, { explainEarlyExit: proc.explainEarlyExit?.bind(proc) });
    const hello = await client.open(request);
    // The runner answers with the digest of what it enforces (core/policy/floor.ts), which the
    // audit records; it differs from the client's digest of what it resolved by design (the
    // runner adds the machine floor and canonical paths), so only its form is checked.
    if (!/^[0-9a-f]{16}$/.test(hello.policyDigest)) {
      await client.close();
      throw new CorralError('protocol_error', `runner answered policy digest ${JSON.stringify(hello.policyDigest)}, expected 16 hex digits`);
    }
    const policy = resolved.policy;
    const session = new SessionImpl(client, hello, {
      realUser: user.name,
      workspace,
      network: networkIdentity(policy.network),
      git: policy.git,
      policyDigest: hello.policyDigest,
      envPolicy: policy.env,
      baseEnv: sessionEnvironment(options.env ?? process.env, policy.env, { ignoreCase: leaf.environmentNamesIgnoreCase }),
      limits: Object.freeze({ ...policy.limits }),
      audit,
      shell,
      environmentNamesIgnoreCase: leaf.environmentNamesIgnoreCase,
      idleSec: policy.session.idleSec,
    });
    for (const warning of session.warnings) options.onWarning?.(warning);
    return session;
  } catch (err) {
    audit?.close();
    // A runner started early but never handed to a client: end its input (it exits on end of
    // input before reading a request, having done nothing) and stop it.
    if (proc === undefined && early !== undefined) {
      void early.then(
        (p) => {
          p.stdin.end();
          p.kill();
        },
        () => undefined,
      );
    }
    throw err;
  }
}
