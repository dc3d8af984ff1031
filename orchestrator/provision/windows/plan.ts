/**
 * Setup and teardown as lists of module calls: the desired state of one real user
 * (identities, group, credentials, firewall rules, runner, traverse ACEs, workspace grants)
 * diffed against what Get-CorralState reports. Pure: facts in, calls out — unit-tested on
 * any OS. Only what is missing or drifted becomes a call, so a second run plans nothing.
 *
 * Every module function is idempotent and journals its own changes (elevated, in
 * %ProgramData%\Corral\journal.jsonl), so a re-run after a crash converges from the machine.
 */
import type { Installation } from '../../../core/installation.js';
import { identityName, type NetworkKind } from '../../identities.js';
import type { Loopback } from '../../policy/schema.js';
import type { ModuleCall } from './command.js';
import { samePath, staleAces, userGroupProblems, userGroupSid, type CorralState, type FirewallFacts, type FirewallRecordFacts, type IdentityFacts } from './state-report.js';
import { userGroupName } from './user-group.js';

export interface PlannedCall {
  id: string;
  title: string;
  call: ModuleCall;
}

export interface CallPlan {
  calls: PlannedCall[];
  unchanged: string[];
  warnings: string[];
}

export interface SetupInputs {
  installation: Installation;
  /** The real user's account name (the module's -User and state key). */
  user: string;
  /** Canonical workspace paths requested now. */
  workspaces: string[];
  network: NetworkKind;
  protected: string[];
  denyRead: string[];
  loopback: Loopback;
  /** The built package folder Install-CorralRunner copies (has package.json, dist, node_modules). */
  runnerSource: string;
  /** node.exe to install with the runner. */
  nodePath: string;
  state: CorralState;
  /** Test-CorralFirewallEffective -User for this user; null when it could not be asked (no offline identity yet). */
  firewall: FirewallFacts | null;
  /**
   * The allowlist proxy's loopback port the offline identity's rules must admit (core/proxy/port.ts):
   * `corral setup --proxy-port`, else the one recorded, else the default (provisioner.ts).
   */
  proxyPort: number;
}

const KINDS: readonly NetworkKind[] = ['offline', 'online'];

function identityProblems(found: IdentityFacts): string[] {
  return (['enabled', 'hidden', 'inGroup', 'profile'] as const).filter((k) => !found[k]);
}

export function loopbackPorts(loopback: Loopback): number[] {
  return Array.isArray(loopback) ? [...loopback].sort((a, b) => a - b) : [];
}

/**
 * Why the recorded rule set (users.<user>.firewall) is not the one wanted, or null when it is:
 * nothing recorded (a setup from before the proxy port), another proxy port, other loopback ports.
 */
export function firewallRecordDiffers(recorded: FirewallRecordFacts | null, proxyPort: number, ports: readonly number[]): string | null {
  if (recorded === null) return 'no rule set recorded: set up before allowlist sessions on Windows';
  if (recorded.proxyPort !== proxyPort) return `written for proxy port ${recorded.proxyPort}, now ${proxyPort}`;
  const had = [...recorded.loopbackPorts].sort((a, b) => a - b).join(',');
  if (had !== ports.join(',')) return `written for loopback ports [${had}], now [${ports.join(',')}]`;
  return null;
}

export function planSetupCalls(inputs: SetupInputs): CallPlan {
  const { state, user } = inputs;
  const calls: PlannedCall[] = [];
  const unchanged: string[] = [];
  const warnings: string[] = [];
  const recordedUser = state.Recorded.users[user];
  const foundUser = state.Found.users[user];
  const group = state.Found.group;

  if (!group.exists) {
    calls.push({ id: 'group', title: `Create group ${group.name}`, call: { operation: 'Install-CorralGroup', args: {} } });
  } else unchanged.push(`group ${group.name}`);

  let offlineIsNew = false;
  let identityIsNew = false;
  for (const kind of KINDS) {
    const name = identityName(inputs.installation, user, kind);
    const recorded = recordedUser?.identities[kind] ?? null;
    const found = foundUser?.identities[kind] ?? null;
    if (recorded === null || found === null || !found.exists || !found.sidMatches) {
      // A same-named account this installation did not create makes the module refuse
      // (CorralUserExists → identity_conflict): never adopted.
      if (kind === 'offline') offlineIsNew = true;
      identityIsNew = true;
      calls.push({
        id: `identity:${kind}`,
        title: `Create ${kind} identity ${name} for ${user}`,
        call: { operation: 'New-CorralIdentity', args: { User: user, Network: kind, Name: name } },
      });
      continue;
    }
    const problems = identityProblems(found);
    if (problems.length > 0) {
      calls.push({
        id: `identity:${kind}`,
        title: `Repair ${kind} identity ${found.name} (${problems.map((p) => `${p} is false`).join(', ')})`,
        call: { operation: 'Set-CorralIdentity', args: { User: user, Network: kind } },
      });
    } else unchanged.push(`${kind} identity ${found.name}`);
    if (!found.credential) {
      calls.push({
        id: `credential:${kind}`,
        title: `Store a new password for ${found.name} (credential file missing)`,
        call: { operation: 'Update-CorralCredential', args: { User: user, Network: kind } },
      });
    } else unchanged.push(`credential of ${found.name}`);
  }

  // The user's own group (members exactly the two identities), which the workspace and traverse
  // ACEs name. New-CorralIdentity configures it after creating an identity; otherwise it is
  // (re)applied here when it is missing, unrecorded, has another SID or other members.
  const groupProblems = userGroupProblems(foundUser?.group);
  const groupName = foundUser?.group?.name ?? userGroupName(inputs.installation, user);
  if (identityIsNew) {
    // configured by New-CorralIdentity (Install-CorralUserGroup)
  } else if (groupProblems.length > 0) {
    calls.push({
      id: 'usergroup',
      title: `Group ${groupName} of ${user}'s identities (${groupProblems.join(', ')})`,
      call: { operation: 'Install-CorralUserGroup', args: { User: user } },
    });
  } else unchanged.push(`group ${groupName} of ${user}`);
  // Null while the group is to be made: every grant then names a SID about to change. A
  // recreated identity keeps the existing group (and its SID); only its membership changes.
  const groupSid = userGroupSid(state, user);

  // Firewall rules of the offline identity: created with it, re-applied when any rule is not
  // in force. New-CorralFirewallRule verifies effectiveness (CorralFirewallIneffective).
  const ports = loopbackPorts(inputs.loopback);
  const firewallCall: PlannedCall = {
    id: 'firewall',
    title: `Firewall rules blocking the network for ${identityName(inputs.installation, user, 'offline')} but the allowlist proxy's loopback port ${inputs.proxyPort}`,
    // An empty port list is left out (the module's default) rather than bound as an empty int[].
    call: { operation: 'New-CorralFirewallRule', args: { User: user, ...(ports.length > 0 ? { LoopbackPort: ports } : {}), ProxyPort: inputs.proxyPort } },
  };
  const recordedFirewall = recordedUser?.firewall ?? null;
  const ruleSetDiffers = firewallRecordDiffers(recordedFirewall, inputs.proxyPort, ports);
  if (offlineIsNew || inputs.firewall === null || inputs.firewall.Rules.length === 0) calls.push(firewallCall);
  else if (!inputs.firewall.Effective) {
    firewallCall.title += ` (${inputs.firewall.Reasons.join('; ')})`;
    calls.push(firewallCall);
  } else if (ruleSetDiffers !== null) {
    firewallCall.title += ` (${ruleSetDiffers})`;
    calls.push(firewallCall);
  } else unchanged.push(`firewall rules of ${identityName(inputs.installation, user, 'offline')} (proxy port ${inputs.proxyPort})`);

  if (state.Recorded.runner === null || state.Recorded.runner === undefined || !state.Found.runner.installed) {
    calls.push({
      id: 'runner',
      title: `Install the session runner in ${inputs.installation.libDir}`,
      call: { operation: 'Install-CorralRunner', args: { Source: inputs.runnerSource, NodePath: inputs.nodePath } },
    });
  } else unchanged.push(`runner in ${state.Recorded.runner.dir}`);

  const recordedWorkspaces = recordedUser?.workspaces ?? [];
  const allWorkspaces = [...recordedWorkspaces.map((w) => w.path)];
  for (const w of inputs.workspaces) if (!allWorkspaces.some((p) => samePath(p, w))) allWorkspaces.push(w);
  const acesOf = (scope: string) => state.Found.aces.filter((a) => a.scope.toLowerCase() === scope.toLowerCase());

  const traverseAces = acesOf(`traverse:${user}`);
  const newWorkspace = inputs.workspaces.some((w) => !recordedWorkspaces.some((r) => samePath(r.path, w)));
  const traverseMissing = traverseAces.filter((a) => !a.present).length;
  const traverseStale = staleAces(state, `traverse:${user}`, [groupSid]);
  if (recordedUser === undefined || newWorkspace || traverseMissing > 0 || traverseAces.length === 0 || traverseStale > 0) {
    calls.push({
      id: 'traverse',
      title:
        traverseStale > 0
          ? `Re-grant traverse/toolchain ACEs of ${user} to group ${groupName} (${traverseStale} name another SID)`
          : traverseMissing > 0
            ? `Restore ${traverseMissing} traverse/toolchain ACEs for ${user}`
            : `Let the identities reach ${user}'s workspaces and toolchains`,
      call: { operation: 'Grant-CorralTraverse', args: { User: user, Workspace: allWorkspaces, DenyRead: inputs.denyRead } },
    });
  } else unchanged.push(`traverse and toolchain ACEs of ${user}`);

  for (const w of inputs.workspaces) {
    const recorded = recordedWorkspaces.find((r) => samePath(r.path, w));
    const aces = acesOf(`workspace:${w}`);
    const missing = aces.filter((a) => !a.present).length;
    // ACEs naming any SID but the user's group and this workspace's capability SID (an older
    // grant's identity SIDs or the machine-wide group) break per-workspace separation.
    const stale = recorded === undefined ? 0 : staleAces(state, `workspace:${w}`, [groupSid, recorded.capabilitySid]);
    if (recorded === undefined || aces.length === 0 || missing > 0 || stale > 0) {
      calls.push({
        id: `workspace:${w}`,
        title:
          recorded === undefined
            ? `Grant workspace ${w}`
            : stale > 0
              ? `Re-grant workspace ${w} to group ${groupName} and its capability SID (${stale} ACEs name another SID)`
              : `Restore ${missing || 'the'} missing ACEs of workspace ${w}`,
        call: { operation: 'Grant-CorralWorkspace', args: { User: user, Path: w, Protected: inputs.protected, DenyRead: inputs.denyRead } },
      });
    } else unchanged.push(`workspace ${w}`);
  }

  // The user's default network lives in state.json; New-CorralIdentity records `offline` for a
  // new user, and only Install-Corral changes it. Install-Corral re-runs the steps above, each a
  // no-op by then, and records the network.
  const recordedNetwork = recordedUser?.network ?? 'offline';
  if (recordedNetwork !== inputs.network) {
    calls.push({
      id: 'network',
      title: `Record ${inputs.network} as ${user}'s default network`,
      call: {
        operation: 'Install-Corral',
        args: {
          User: user,
          Workspace: allWorkspaces,
          Network: inputs.network,
          Protected: inputs.protected,
          DenyRead: inputs.denyRead,
          ...(ports.length > 0 ? { LoopbackPort: ports } : {}),
          ProxyPort: inputs.proxyPort,
        },
      },
    });
  } else unchanged.push(`default network ${recordedNetwork}`);

  if (state.Found.journalOpen > 0) {
    warnings.push(`${state.Found.journalOpen} journaled change(s) of an interrupted run are open; this setup converges them`);
  }
  return { calls, unchanged, warnings };
}

/**
 * Teardown: per user, each resource's own Revoke/Remove function (each removes exactly the
 * items its journal scope recorded), then Uninstall-Corral, which undoes whatever the journal
 * still holds (the runner, the group, leftovers of interrupted runs) and removes the state.
 * One call per resource rather than one opaque call: --dry-run shows what goes, and progress
 * moves per resource; the final call still guarantees nothing journaled is left.
 */
export function planTeardownCalls(state: CorralState): CallPlan {
  const calls: PlannedCall[] = [];
  const users = Object.keys(state.Recorded.users).sort();
  for (const user of users) {
    const record = state.Recorded.users[user]!;
    for (const w of record.workspaces) {
      calls.push({
        id: `revoke-workspace:${w.path}`,
        title: `Revoke workspace ${w.path}`,
        call: { operation: 'Revoke-CorralWorkspace', args: { User: user, Path: w.path } },
      });
    }
    if (state.Found.aces.some((a) => a.scope.toLowerCase() === `traverse:${user}`.toLowerCase())) {
      calls.push({ id: `revoke-traverse:${user}`, title: `Remove traverse/toolchain ACEs of ${user}`, call: { operation: 'Revoke-CorralTraverse', args: { User: user } } });
    }
    if (record.identities.offline) {
      calls.push({ id: `firewall:${user}`, title: `Remove firewall rules of ${record.identities.offline.name}`, call: { operation: 'Remove-CorralFirewallRule', args: { User: user } } });
    }
    for (const kind of ['online', 'offline'] as const) {
      const identity = record.identities[kind];
      if (identity) {
        calls.push({ id: `identity:${user}:${kind}`, title: `Remove identity ${identity.name}`, call: { operation: 'Remove-CorralIdentity', args: { User: user, Network: kind } } });
      }
    }
  }
  const anything =
    users.length > 0 || state.Provisioned || state.Found.journalOpen > 0 || (state.Recorded.runner !== null && state.Recorded.runner !== undefined);
  if (anything) {
    calls.push({ id: 'uninstall', title: 'Undo everything else journaled (runner, group) and remove the state', call: { operation: 'Uninstall-Corral', args: { Force: true } } });
  }
  return { calls, unchanged: anything ? [] : ['nothing is provisioned'], warnings: [] };
}
