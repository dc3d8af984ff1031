/**
 * Decide what a Windows session may do, from the request (hostile input: whoever can start the
 * runner as this identity wrote it), the machine state (written by elevated provisioning) and
 * the runner's own token SID (the one fact no caller controls). Pure; unit-tested on Linux.
 *
 * Threat model: the runner runs as the identity, unrestricted; what confines commands is the
 * restricted token, whose restricting capability SIDs decide which workspaces they may write.
 * So the capability SIDs are never taken from the request: they are looked up in the state for
 * the workspace and writable roots of the real user who owns this identity, and a request
 * naming any other SID is refused. An offline session must run as the offline identity (the
 * firewall rule is keyed on its SID); an online request on the offline identity is allowed
 * (it is only stricter). An allowlist session is an offline one plus the proxy's port
 * (from the state: the port the firewall admits), refused where setup recorded none.
 */
import { CorralError } from '../../core/errors.js';
import type { SessionRequest } from '../../core/protocol.js';
import { ownerOfIdentity, samePath, type WindowsMachineState } from '../../os/win32/machine-state.js';
import type { IdentityKind } from '../../core/vocabulary.js';
import { sameAccountName } from '../../core/accounts.js';

export interface WindowsSessionPlan {
  realUser: string;
  /** The real user's SID, as the machine state records it (placeholders grant it full control). */
  realUserSid: string;
  identity: { name: string; sid: string; kind: IdentityKind };
  workspace: string;
  /**
   * The workspace grant's capability SID, whatever the mode: the DACL of the workspace's own
   * profile folders names it (workspace-profile.ts). In `writable` too only when the session may write.
   */
  workspaceCapabilitySid: string;
  /** Roots commands may write (workspace first), each with its capability SID. */
  writable: Array<{ path: string; capabilitySid: string }>;
  /**
   * Allowlist sessions: the loopback port of the filtering proxy, as the machine state records
   * it for this user (the port the offline identity's firewall rules admit). Commands get the
   * proxy variables for it. Null: not an allowlist session.
   */
  proxyPort: number | null;
  warnings: string[];
}

/**
 * A refusal, with the code the Linux runner gives the same refusal (core/request-shape.ts and
 * runner/linux/request-validation.ts; test/unit/hostile-requests-both-runners.test.ts): never
 * a generic runner_failed for something the request asked.
 */
function refuse(code: 'request_invalid' | 'not_permitted' | 'not_provisioned', message: string): never {
  throw new CorralError(code, `session refused: ${message}`);
}

/** `request` was checked in shape for Windows paths by the shared validator (runner/start.ts readOpenRequest). */
export function planWindowsSession(request: SessionRequest, state: WindowsMachineState, ownSid: string): WindowsSessionPlan {
  // Published ports need a network namespace of the session's own (Linux): refused, never dropped silently.
  if (request.publish !== undefined && request.publish.length > 0) refuse('request_invalid', 'publish (dev server ports) is not implemented by the Windows runner; the session would start without them');
  const roots = request.writableRoots;

  const owner = ownerOfIdentity(state, ownSid) ?? refuse('not_provisioned', `this runner's account (${ownSid}) is no Corral identity in the machine state`);
  if (!sameAccountName('windows', request.realUser, owner.realUser)) {
    refuse('not_permitted', `the request is for ${JSON.stringify(request.realUser)}, but this identity belongs to ${owner.realUser}`);
  }
  if (request.network === 'offline' && owner.kind !== 'offline') {
    refuse('not_permitted', 'an offline session must run as the offline identity (its firewall rules are keyed on its SID)');
  }
  const identity = { ...owner.record.identities[owner.kind], kind: owner.kind };
  // Allowlist: an offline session (the shared shape check refuses one on the online network)
  // whose only way out is the proxy the launcher serves, as the real user, on the port the
  // firewall admits for this identity. That port comes from the machine state, never from the
  // request. A setup from before the port rules recorded none: without the port rules the
  // session could not reach the proxy, and without a port the commands would get no proxy at
  // all — a plain offline session that silently drops the list. Refused, naming the remedy.
  let proxyPort: number | null = null;
  if (request.allowlist !== undefined) {
    if (owner.kind !== 'offline') refuse('not_permitted', 'an allowlist session must run as the offline identity (its firewall rules admit only the proxy port)');
    if (owner.record.proxyPort === null) {
      refuse('not_provisioned', `this machine was set up without the allowlist proxy's firewall port for ${owner.realUser} (a setup from before allowlist sessions on Windows, or one with -ProxyPort 0): run \`corral setup\` again to add it`);
    }
    proxyPort = owner.record.proxyPort;
  }

  const warnings: string[] = [];
  const writable: WindowsSessionPlan['writable'] = [];
  const workspaceGrant = owner.record.workspaces.find((w) => samePath(w.path, request.workspace));
  if (workspaceGrant === undefined) {
    throw new CorralError('not_provisioned', `the workspace ${request.workspace} is not provisioned for ${owner.realUser}; run \`corral setup --workspace ${request.workspace}\``);
  }
  if (request.mode === 'workspace-write') {
    writable.push({ path: workspaceGrant.path, capabilitySid: workspaceGrant.capabilitySid });
    for (const root of roots) {
      if (samePath(root, request.workspace)) continue;
      const grant = owner.record.workspaces.find((w) => samePath(w.path, root));
      if (grant === undefined) {
        warnings.push(`writable root ${root} has no workspace grant on this machine: commands can't write it (run \`corral setup --workspace ${root}\`)`);
        continue;
      }
      writable.push({ path: grant.path, capabilitySid: grant.capabilitySid });
    }
  }
  const allowed = new Set(writable.map((w) => w.capabilitySid));
  // Read-only sessions use no capability SID whatever the request lists.
  for (const requested of request.mode === 'workspace-write' ? (request.capabilitySids ?? []) : []) {
    if (!allowed.has(requested)) refuse('not_permitted', `capability SID ${JSON.stringify(requested)} is not one of this session's workspace grants`);
  }
  return { realUser: owner.realUser, realUserSid: owner.record.sid, identity, workspace: workspaceGrant.path, workspaceCapabilitySid: workspaceGrant.capabilitySid, writable, proxyPort, warnings };
}
