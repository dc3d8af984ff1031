/**
 * Step 2 of Linux setup planning: a pure function from the machine's facts (setup-facts.ts)
 * and the request to step descriptors — plain data saying what to change, with the exact
 * commands and the undo records to journal. `setup-steps.ts` turns them into steps that
 * apply and read back. No file system, no processes, no clock: unit-tested on any machine.
 *
 * Each resource is created fully configured, or re-applied when it drifted. Undo records come
 * from the journal where the machine alone cannot say what was there before Corral (a pending
 * grant's `before`), so a re-run after a crash never mistakes Corral's own entries for the user's.
 */
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import { emptyState, type MachineState, type UserRecord } from '../../../core/state.js';
import type { IdentityKind, Loopback } from '../../../core/vocabulary.js';
import type { UndoRecord } from '../../journal.js';
import type { RealUser, SetupRequest } from '../../platform.js';
import {
  addMemberCommand,
  groupaddCommand,
  identityDrift,
  useraddCommand,
  usermodCommand,
  type Command,
  type IdentitySpec,
} from './accounts.js';
import { PROTECTED_PERMS, protectedGrantCommand, traverseGrantCommand, workspaceGrantCommand, type AclRevokeUndo } from './acl.js';
import { grantDrift, needsTraverseEntry, unescapePath, type FileAcl, type Grant } from './acl-model.js';
import { expectedSignature, renderTableScript, sameSignature, type OfflineRule } from './nft.js';
import type { InstallFile } from './runner-install.js';
import type { DirFacts, LinuxSetupFacts, WorkspaceFacts } from './setup-facts.js';
import { sudoersContent, sudoersDrift, sudoersLine } from './sudoers.js';

/** What one step will do, as data. */
export type SetupStepSpec =
  | { kind: 'commands'; id: string; title: string; commands: Command[]; undo: UndoRecord[] }
  | { kind: 'firewall'; id: string; title: string; table: string; script: string; rules: OfflineRule[]; undo: UndoRecord[] }
  | { kind: 'runner'; id: string; title: string; libDir: string; files: InstallFile[]; undo: UndoRecord[] }
  | { kind: 'sudoers'; id: string; title: string; file: string; content: string; undo: UndoRecord[] }
  | {
      kind: 'grant';
      id: string;
      title: string;
      workspace: string;
      commands: Command[];
      /** The revoke record without `before`; `before` is the pending journal's, or null: snapshot the tree when the step is built. */
      revoke: Omit<AclRevokeUndo, 'before'>;
      before: Record<string, FileAcl> | null;
    }
  | { kind: 'state'; id: string; title: string; file: string };

export interface LinuxSetupPlan {
  steps: SetupStepSpec[];
  unchanged: string[];
  warnings: string[];
  /** The workspace records the state step writes. */
  workspaces: UserRecord['workspaces'];
  sourceDigest: string;
  loopback: Loopback;
  identityNames: { offline: string; online: string };
}

/** The subset of facts the recorded state is built from (re-read after the steps ran). */
export interface RecordFacts {
  sandboxGroup: { name: string; gid: number } | null;
  userGroup: { name: string; gid: number } | null;
  identities: Record<IdentityKind, { name: string; uid: number; gid: number } | null>;
  installedDigest: string | null;
}

function pendingOf(facts: LinuxSetupFacts, kind: string): UndoRecord[] {
  return facts.pendingUndo.filter((u) => u.kind === kind);
}

function pendingRevoke(facts: LinuxSetupFacts, root: string): AclRevokeUndo | undefined {
  return pendingOf(facts, 'acl-revoke').find((u) => u.root === root) as AclRevokeUndo | undefined;
}

export function homeProblems(home: string, facts: DirFacts | null, uid: number): string[] {
  if (facts === null) return [`${home} is missing`];
  const out: string[] = [];
  if (!facts.isDir) out.push(`${home} is not a directory`);
  if (facts.uid !== uid) out.push(`${home} is owned by uid ${facts.uid}`);
  if ((facts.mode & 0o777) !== 0o700) out.push(`${home} has mode ${(facts.mode & 0o777).toString(8)}`);
  return out;
}

export function firewallRules(recorded: MachineState | null, offlineIdentity: string, loopback: Loopback): OfflineRule[] {
  const byIdentity = new Map<string, OfflineRule>();
  for (const u of Object.values(recorded?.users ?? {})) {
    byIdentity.set(u.identities.offline.name, { identity: u.identities.offline.name, loopback: u.loopback ?? 'deny' });
  }
  byIdentity.set(offlineIdentity, { identity: offlineIdentity, loopback });
  return [...byIdentity.values()];
}

/** Rules with the uids the facts know, or null when one identity does not exist (yet). */
export function withUids(rules: readonly OfflineRule[], uids: Record<string, number | null>): (OfflineRule & { uid: number })[] | null {
  const out: (OfflineRule & { uid: number })[] = [];
  for (const r of rules) {
    const uid = uids[r.identity];
    if (uid === undefined || uid === null) return null;
    out.push({ ...r, uid });
  }
  return out;
}

/** Expand `X` the way setfacl does for one file. */
function permsFor(p: { isDir: boolean; hasExec: boolean }, perms: string): string {
  return perms.replace('X', p.isDir || p.hasExec ? 'x' : '-');
}

export function planLinuxSetup(inst: Installation, req: SetupRequest, facts: LinuxSetupFacts): LinuxSetupPlan {
  const steps: SetupStepSpec[] = [];
  const unchanged: string[] = [];
  const warnings: string[] = [];
  const { names, recorded } = facts;
  const realUser = req.realUser;
  if (realUser.uid === undefined) throw new CorralError('internal', 'the real user has no uid');

  // Groups.
  for (const [name, entry] of [
    [inst.sandboxGroup, facts.groups.sandbox],
    [inst.userGroup, facts.groups.user],
  ] as const) {
    if (entry !== null) unchanged.push(`group ${name} (gid ${entry.gid})`);
    else steps.push({ kind: 'commands', id: `group:${name}`, title: `Create group ${name}`, commands: [groupaddCommand(name)], undo: [{ kind: 'delete-group', name }] });
  }

  // Identities.
  const ours = new Set([
    ...pendingOf(facts, 'delete-user').map((u) => String(u.name)),
    ...Object.values(recorded?.users ?? {}).flatMap((u) => [u.identities.offline.name, u.identities.online.name]),
  ]);
  for (const kind of ['offline', 'online'] as const) {
    const name = names[kind];
    const spec: IdentitySpec = {
      name,
      group: inst.sandboxGroup,
      home: path.join(inst.homeBase, name),
      shell: facts.nologinShell,
      comment: `Corral ${kind} sandbox of ${realUser.name}`,
    };
    const entry = facts.identities[kind];
    const homeCmds: Command[] = [
      { tool: 'install', args: ['-d', '-m', '0755', '-o', 'root', '-g', 'root', inst.stateDir, inst.homeBase] },
      { tool: 'install', args: ['-d', '-m', '0700', '-o', name, '-g', inst.sandboxGroup, spec.home] },
    ];
    if (entry === null) {
      steps.push({
        kind: 'commands',
        id: `user:${name}`,
        title: `Create ${kind} identity ${name}`,
        commands: [useraddCommand(spec), ...homeCmds],
        undo: [{ kind: 'delete-user', name, home: spec.home }],
      });
      continue;
    }
    if (!ours.has(name)) {
      throw new CorralError(
        'name_conflict',
        `an account named ${name} exists but Corral did not create it (not in the recorded state or the journal); Corral will not grant it anything`,
        { details: { account: name } },
      );
    }
    const drift = identityDrift(entry, spec, facts.groups.sandbox?.gid ?? null);
    if (facts.groups.sandbox === null) drift.push(`group ${inst.sandboxGroup} is being created`);
    const homeDrift = homeProblems(spec.home, facts.homes[kind], entry.uid);
    if (drift.length === 0 && homeDrift.length === 0) {
      unchanged.push(`${kind} identity ${name} (uid ${entry.uid})`);
      continue;
    }
    steps.push({
      kind: 'commands',
      id: `user:${name}`,
      title: `Repair ${kind} identity ${name} (${[...drift, ...homeDrift].join('; ')})`,
      commands: [usermodCommand(spec), ...homeCmds],
      undo: [],
    });
  }

  // The real user may start sessions: member of the user group.
  if (facts.groups.user !== null && facts.groups.user.members.includes(realUser.name)) {
    unchanged.push(`${realUser.name} is a member of ${inst.userGroup}`);
  } else {
    steps.push({
      kind: 'commands',
      id: `member:${realUser.name}`,
      title: `Add ${realUser.name} to group ${inst.userGroup}`,
      commands: [addMemberCommand(realUser.name, inst.userGroup)],
      undo: [{ kind: 'remove-member', user: realUser.name, group: inst.userGroup }],
    });
  }

  // Firewall: one table with the rules of every provisioned user's offline identity.
  const loopback = req.policy.policy.loopback;
  const rules = firewallRules(recorded, names.offline, loopback);
  planFirewall(steps, unchanged, inst, rules, facts);

  // The root-owned runner copy, then the sudoers rule naming it.
  planRunner(steps, unchanged, warnings, inst, facts);
  planSudoers(steps, unchanged, inst, facts);

  // Workspaces.
  const uids = { offline: facts.identities.offline?.uid ?? null, online: facts.identities.online?.uid ?? null };
  const workspaces: UserRecord['workspaces'] = { ...(recorded?.users[realUser.name]?.workspaces ?? {}) };
  for (const ws of facts.workspaces) {
    const traverse = planTraverse(steps, unchanged, facts, ws, uids);
    if (ws.access === 'acl') planGrant(steps, unchanged, facts, ws, uids, realUser);
    workspaces[ws.path] = { path: ws.path, access: ws.access, protectedPaths: ws.protected.map((p) => p.path), traverse };
  }

  const plan: LinuxSetupPlan = {
    steps,
    unchanged,
    warnings,
    workspaces,
    sourceDigest: facts.runner.sourceDigest,
    loopback,
    identityNames: { offline: names.offline, online: names.online },
  };
  // Last: record what is provisioned. With nothing else to do, the record is built from the
  // facts as they are; otherwise the step re-reads the machine after the others ran.
  const current = steps.length === 0 ? desiredState(inst, req, plan, recordFactsOf(facts)) : null;
  if (steps.length > 0 || current === null || JSON.stringify(current) !== JSON.stringify(recorded)) {
    steps.push({ kind: 'state', id: 'state', title: 'Record the provisioned state', file: path.join(inst.stateDir, 'state.json') });
  }
  return plan;
}

export function recordFactsOf(facts: LinuxSetupFacts): RecordFacts {
  const account = (e: { name: string; uid: number; gid: number } | null) => (e === null ? null : { name: e.name, uid: e.uid, gid: e.gid });
  return {
    sandboxGroup: facts.groups.sandbox === null ? null : { name: facts.groups.sandbox.name, gid: facts.groups.sandbox.gid },
    userGroup: facts.groups.user === null ? null : { name: facts.groups.user.name, gid: facts.groups.user.gid },
    identities: { offline: account(facts.identities.offline), online: account(facts.identities.online) },
    installedDigest: facts.runner.installedDigest,
  };
}

/** The machine state to record: the recorded one with this user's entry and the shared records set from `now`. */
export function desiredState(inst: Installation, req: SetupRequest, plan: LinuxSetupPlan, now: RecordFacts, base?: MachineState | null): MachineState {
  const { sandboxGroup, userGroup, installedDigest } = now;
  const off = now.identities.offline;
  const on = now.identities.online;
  if (sandboxGroup === null || userGroup === null || off === null || on === null || installedDigest === null) {
    throw new CorralError('step_failed', 'provisioned accounts or runner copy are missing after setup');
  }
  const state = structuredClone(base ?? null) ?? emptyState(inst.name);
  state.sandboxGroup = sandboxGroup;
  state.userGroup = userGroup;
  state.runner = { node: inst.runnerNode, entry: inst.runnerEntry, digest: installedDigest, sourceDigest: plan.sourceDigest };
  state.firewall = { family: 'inet', table: inst.firewallGroup };
  state.sudoers = { file: inst.sudoersFile, line: sudoersLine(inst) };
  const ru = req.realUser;
  state.users[ru.name] = {
    realUser: { name: ru.name, uid: ru.uid!, gid: ru.gid!, home: ru.home },
    identities: { offline: off, online: on },
    network: req.network,
    loopback: plan.loopback,
    workspaces: sortedRecord(plan.workspaces),
  };
  return state;
}

function planFirewall(steps: SetupStepSpec[], unchanged: string[], inst: Installation, rules: OfflineRule[], facts: LinuxSetupFacts): void {
  const table = inst.firewallGroup;
  const resolved = withUids(rules, facts.offlineUids);
  const live = facts.nftLive;
  if (resolved !== null && live !== null && sameSignature(live, expectedSignature(resolved))) {
    unchanged.push(`nft table inet ${table} (${rules.length} offline identit${rules.length === 1 ? 'y' : 'ies'})`);
    return;
  }
  steps.push({
    kind: 'firewall',
    id: `firewall:${table}`,
    title: live === null ? `Create nft table inet ${table}` : `Re-apply nft table inet ${table} (drifted)`,
    table,
    script: renderTableScript(table, rules),
    rules,
    undo: [{ kind: 'delete-table', table }],
  });
}

function planRunner(steps: SetupStepSpec[], unchanged: string[], warnings: string[], inst: Installation, facts: LinuxSetupFacts): void {
  const { sources, sourceDigest, installedDigest: installed, ownershipProblems: problems, libDirExists } = facts.runner;
  if (!sources.some((f) => path.join(inst.libDir, f.target) === inst.runnerEntry)) {
    warnings.push(`the build has no runner entry point yet (${inst.runnerEntry}); sessions cannot start until it is built and setup is run again`);
  }
  const rec = facts.recorded?.runner ?? null;
  const sourcesSame = rec !== null && rec.sourceDigest === sourceDigest;
  const copySame = rec !== null && installed !== null && installed === rec.digest;
  if (sourcesSame && copySame && problems.length === 0) {
    unchanged.push(`runner copy in ${inst.libDir} (digest ${sourceDigest.slice(0, 12)})`);
    return;
  }
  const pendingTree = pendingOf(facts, 'remove-tree').find((u) => u.path === inst.libDir);
  const undo: UndoRecord[] =
    pendingTree !== undefined || !libDirExists
      ? [{ kind: 'remove-tree', path: inst.libDir }]
      : [
          { kind: 'remove-tree', path: path.join(inst.libDir, 'app') },
          { kind: 'remove-tree', path: path.join(inst.libDir, 'bin') },
        ];
  const title =
    installed === null
      ? `Install the session runner in ${inst.libDir}`
      : !sourcesSame
        ? `Update the session runner in ${inst.libDir} (this build changed)`
        : !copySame
          ? `Repair the session runner in ${inst.libDir} (installed files changed)`
          : `Repair the session runner in ${inst.libDir} (${problems[0]})`;
  steps.push({ kind: 'runner', id: 'runner', title, libDir: inst.libDir, files: sources, undo });
}

function planSudoers(steps: SetupStepSpec[], unchanged: string[], inst: Installation, facts: LinuxSetupFacts): void {
  const content = sudoersContent(inst);
  const current = facts.sudoers;
  const drift = sudoersDrift(current, content);
  if (drift.length === 0) {
    unchanged.push(`${inst.sudoersFile}: ${sudoersLine(inst)}`);
    return;
  }
  const ours = pendingOf(facts, 'remove-file').some((u) => u.path === inst.sudoersFile);
  const undo: UndoRecord[] =
    current.content === null || ours
      ? [{ kind: 'remove-file', path: inst.sudoersFile }]
      : [{ kind: 'restore-file', path: inst.sudoersFile, content: Buffer.from(current.content).toString('base64'), mode: current.mode }];
  steps.push({
    kind: 'sudoers',
    id: 'sudoers',
    title: current.content === null ? `Install the sudo rule ${inst.sudoersFile}` : `Repair the sudo rule ${inst.sudoersFile} (${drift.join('; ')})`,
    file: inst.sudoersFile,
    content,
    undo,
  });
}

type KnownUids = Record<IdentityKind, number | null>;

function planTraverse(steps: SetupStepSpec[], unchanged: string[], facts: LinuxSetupFacts, ws: WorkspaceFacts, uids: KnownUids): string[] {
  const needed: FileAcl[] = [];
  const present: string[] = [];
  for (const acl of ws.ancestors) {
    const dir = unescapePath(acl.path);
    const byOff = needsTraverseEntry(acl, uids.offline === null ? null : String(uids.offline));
    const byOn = needsTraverseEntry(acl, uids.online === null ? null : String(uids.online));
    if (byOff || byOn) needed.push(acl);
    else if (acl.access.find((e) => e.tag === 'other')?.perms[2] !== 'x') present.push(dir);
  }
  if (needed.length === 0) {
    unchanged.push(`ancestors of ${ws.path} are traversable by the identities`);
    return present;
  }
  const identities = [facts.names.offline, facts.names.online];
  const undo: AclRevokeUndo[] = needed.map((acl) => {
    const dir = unescapePath(acl.path);
    const earlier = pendingRevoke(facts, dir);
    const extended = acl.access.length > 3 || acl.default.length > 0;
    return {
      kind: 'acl-revoke',
      root: dir,
      recursive: false,
      accounts: identities,
      uids: [uids.offline, uids.online].filter((u): u is number => u !== null),
      before: earlier?.before ?? (extended ? { [acl.path]: acl } : {}),
    };
  });
  steps.push({
    kind: 'commands',
    id: `traverse:${ws.path}`,
    title: `Let the identities traverse the ancestors of ${ws.path} (execute-only ACL entries)`,
    commands: needed.map((acl) => traverseGrantCommand(unescapePath(acl.path), identities)),
    undo: undo as unknown as UndoRecord[],
  });
  return [...present, ...needed.map((a) => unescapePath(a.path))].sort();
}

function planGrant(steps: SetupStepSpec[], unchanged: string[], facts: LinuxSetupFacts, ws: WorkspaceFacts, uids: KnownUids, realUser: RealUser): void {
  const drift: string[] = [];
  if (uids.offline === null || uids.online === null) drift.push('identities are being created');
  else {
    const label = (uid: string) => uid;
    const wsGrants: Grant[] = [uids.offline, uids.online, realUser.uid!].map((u) => ({ uid: String(u), access: 'rwx', default: 'rwx' }));
    if (ws.acl === null) drift.push(`${ws.path} is missing`);
    else drift.push(...grantDrift(ws.acl, wsGrants, label));
    for (const p of ws.protected) {
      if (p.acl === null) continue;
      const grants: Grant[] = [uids.offline, uids.online].map((u) => ({
        uid: String(u),
        access: permsFor(p, PROTECTED_PERMS.access),
        default: p.isDir ? PROTECTED_PERMS.default : null,
      }));
      drift.push(...grantDrift(p.acl, grants, label));
    }
  }
  const protectedPaths = ws.protected.map((p) => p.path);
  if (drift.length === 0) {
    unchanged.push(`ACL grants on ${ws.path}${protectedPaths.length > 0 ? ` (${protectedPaths.length} protected paths read-only)` : ''}`);
    return;
  }
  const accounts = [facts.names.offline, facts.names.online, realUser.name];
  const earlier = pendingRevoke(facts, ws.path);
  steps.push({
    kind: 'grant',
    id: `grant:${ws.path}`,
    title: `Grant the identities and ${realUser.name} access to ${ws.path} (ACLs; protected paths read-only)`,
    workspace: ws.path,
    commands: [workspaceGrantCommand(ws.path, accounts), ...protectedPaths.map((p) => protectedGrantCommand(p, [facts.names.offline, facts.names.online]))],
    revoke: {
      kind: 'acl-revoke',
      root: ws.path,
      recursive: true,
      accounts,
      uids: [uids.offline, uids.online, realUser.uid!].filter((u): u is number => u !== null),
    },
    before: earlier?.before ?? null,
  });
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
