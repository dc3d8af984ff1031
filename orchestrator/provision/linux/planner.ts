/**
 * The Linux setup planner: the desired machine (groups, identities, the real user's
 * membership, the nft table, the runner copy, the sudoers drop-in, workspace grants and
 * ancestor traversal entries) compared with what is on the machine, into a Plan of steps
 * in dependency order. Planning only reads; `--dry-run` prints the steps' commands.
 *
 * Each step creates its resource fully configured, or re-applies it when it drifted, and
 * reads it back before it counts as done. Undo records come from the journal where the
 * machine alone cannot say what was there before Corral (a pending grant's `before`), so
 * a re-run after a crash never mistakes Corral's own entries for the user's.
 */
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import { identityNames, type IdentityNames } from '../../identities.js';
import type { Installation } from '../../../core/installation.js';
import type { Journal, UndoRecord } from '../../journal.js';
import type { Plan, PlanStep, RealUser, SetupRequest } from '../../platform.js';
import type { Loopback } from '../../policy/schema.js';
import type { StateStore } from '../../state-store.js';
import type { MachineState, UserRecord, WorkspaceAccess } from '../../../core/state.js';
import {
  addMemberCommand,
  display,
  forgetAccounts,
  prefetch,
  getGroup,
  getUser,
  groupaddCommand,
  identityDrift,
  nologinShell,
  runCommand,
  useraddCommand,
  usermodCommand,
  type Command,
  type IdentitySpec,
} from './accounts.js';
import {
  PROTECTED_PERMS,
  protectedGrantCommand,
  readAcls,
  snapshotExtended,
  traverseGrantCommand,
  workspaceGrantCommand,
  type AclRevokeUndo,
} from './acl.js';
import { grantDrift, needsTraverseEntry, unescapePath, type FileAcl, type Grant } from './acl-model.js';
import { applyTable, expectedSignature, readTable, renderTableScript, sameSignature, type OfflineRule } from './nft.js';
import { digestFiles, installedDigest, installedFiles, installRunner, installSources, ownershipProblems } from './runner-install.js';
import { installSudoers, readSudoers, sudoersContent, sudoersDrift, sudoersLine } from './sudoers.js';
import { chooseWorkspaceAccess } from './workspace-access.js';
import type { PasswdEntry } from './real-user.js';
import type { IdentityKind } from '../../../core/vocabulary.js';
import { posixPaths } from '../../../core/paths.js';

export interface PlannerContext {
  inst: Installation;
  store: StateStore;
  journal: Journal;
}

interface Accum {
  steps: PlanStep[];
  unchanged: string[];
  warnings: string[];
}

function commandStep(id: string, title: string, commands: Command[], undo: UndoRecord[], after?: () => Promise<void>): PlanStep {
  return {
    id,
    title,
    preview: commands.map(display),
    undo,
    apply: async () => {
      for (const c of commands) await runCommand(c);
      if (after !== undefined) await after();
    },
  };
}

/** Undo records of pending journal steps, of one kind, for matching. */
function pendingUndo(journal: Journal, kind: string): UndoRecord[] {
  return journal.pending().flatMap((p) => p.undo.filter((u) => u.kind === kind));
}

/** The ancestors of `dir`, from `/` down, excluding `dir` itself. */
export function ancestorsOf(dir: string): string[] {
  const out: string[] = [];
  let cur = path.dirname(dir);
  for (;;) {
    out.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return out;
}

/** Protected paths inside `workspace`: names at its root, and absolute paths below it, that exist (not symlinks). */
export function protectedPathsIn(workspace: string, entries: readonly string[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    const p = e.includes('/') ? e : path.join(workspace, e);
    if (!posixPaths.within(p, workspace) || p === workspace) continue;
    try {
      if (!lstatSync(p).isSymbolicLink()) out.add(p);
    } catch {
      // absent: nothing to protect
    }
  }
  return [...out].sort();
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function hasExec(p: string): boolean {
  try {
    return (lstatSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Expand `X` the way setfacl does for one file. */
function permsFor(p: string, perms: string): string {
  return perms.replace('X', isDir(p) || hasExec(p) ? 'x' : '-');
}

export async function planLinuxSetup(ctx: PlannerContext, req: SetupRequest): Promise<Plan> {
  const { inst, journal, store } = ctx;
  const acc: Accum = { steps: [], unchanged: [], warnings: [] };
  const recorded = store.read();
  const names = identityNames(inst, req.realUser.name);
  const shell = nologinShell();
  const realUid = req.realUser.uid;
  if (realUid === undefined) throw new CorralError('internal', 'the real user has no uid');

  // Groups.
  forgetAccounts();
  const otherOffline = Object.values(recorded?.users ?? {}).map((u) => u.identities.offline.name);
  await prefetch([names.offline, names.online, ...otherOffline], [inst.sandboxGroup, inst.userGroup]);
  const sandboxGroup = await getGroup(inst.sandboxGroup);
  const userGroup = await getGroup(inst.userGroup);
  for (const [name, entry] of [
    [inst.sandboxGroup, sandboxGroup],
    [inst.userGroup, userGroup],
  ] as const) {
    if (entry !== null) acc.unchanged.push(`group ${name} (gid ${entry.gid})`);
    else acc.steps.push(commandStep(`group:${name}`, `Create group ${name}`, [groupaddCommand(name)], [{ kind: 'delete-group', name }]));
  }

  // Identities.
  const ours = new Set([
    ...pendingUndo(journal, 'delete-user').map((u) => String(u.name)),
    ...Object.values(recorded?.users ?? {}).flatMap((u) => [u.identities.offline.name, u.identities.online.name]),
  ]);
  const identities: Record<IdentityKind, PasswdEntry | null> = { offline: null, online: null };
  for (const kind of ['offline', 'online'] as const) {
    const name = names[kind];
    const spec: IdentitySpec = {
      name,
      group: inst.sandboxGroup,
      home: path.join(inst.homeBase, name),
      shell,
      comment: `Corral ${kind} sandbox of ${req.realUser.name}`,
    };
    const entry = await getUser(name);
    identities[kind] = entry;
    const homeCmds: Command[] = [
      { tool: 'install', args: ['-d', '-m', '0755', '-o', 'root', '-g', 'root', inst.stateDir, inst.homeBase] },
      { tool: 'install', args: ['-d', '-m', '0700', '-o', name, '-g', inst.sandboxGroup, spec.home] },
    ];
    if (entry === null) {
      acc.steps.push(
        commandStep(`user:${name}`, `Create ${kind} identity ${name}`, [useraddCommand(spec), ...homeCmds], [{ kind: 'delete-user', name, home: spec.home }]),
      );
      continue;
    }
    if (!ours.has(name)) {
      throw new CorralError(
        'name_conflict',
        `an account named ${name} exists but Corral did not create it (not in ${store.file} or the journal); Corral will not grant it anything`,
        { details: { account: name } },
      );
    }
    const drift = identityDrift(entry, spec, sandboxGroup?.gid ?? null);
    if (sandboxGroup === null) drift.push(`group ${inst.sandboxGroup} is being created`);
    const homeDrift = homeProblems(spec.home, entry.uid);
    if (drift.length === 0 && homeDrift.length === 0) {
      acc.unchanged.push(`${kind} identity ${name} (uid ${entry.uid})`);
      continue;
    }
    acc.steps.push(
      commandStep(`user:${name}`, `Repair ${kind} identity ${name} (${[...drift, ...homeDrift].join('; ')})`, [usermodCommand(spec), ...homeCmds], []),
    );
  }

  // The real user may start sessions: member of the user group.
  if (userGroup !== null && userGroup.members.includes(req.realUser.name)) {
    acc.unchanged.push(`${req.realUser.name} is a member of ${inst.userGroup}`);
  } else {
    acc.steps.push(
      commandStep(`member:${req.realUser.name}`, `Add ${req.realUser.name} to group ${inst.userGroup}`, [addMemberCommand(req.realUser.name, inst.userGroup)], [
        { kind: 'remove-member', user: req.realUser.name, group: inst.userGroup },
      ]),
    );
  }

  // Firewall: one table with the rules of every provisioned user's offline identity.
  const loopback = req.policy.policy.loopback;
  const rules = firewallRules(recorded, names, loopback);
  await planFirewall(acc, inst, rules);

  // The root-owned runner copy, then the sudoers rule naming it.
  const sourceDigest = planRunner(acc, inst, journal, recorded);
  planSudoers(acc, inst, journal);

  // Workspaces.
  const knownUids = { offline: identities.offline?.uid ?? null, online: identities.online?.uid ?? null };
  const workspaceRecords: UserRecord['workspaces'] = { ...(recorded?.users[req.realUser.name]?.workspaces ?? {}) };
  for (const ws of req.workspaces) {
    const access = testAccessOverride(inst) ?? (await chooseWorkspaceAccess(ws, req.realUser));
    const traverse = await planTraverse(acc, journal, ws, names, knownUids);
    const protectedPaths = access === 'acl' ? protectedPathsIn(ws, req.policy.policy.protected) : [];
    if (access === 'acl') await planGrant(acc, journal, ws, protectedPaths, names, knownUids, req.realUser);
    workspaceRecords[ws] = { path: ws, access, protectedPaths, traverse };
  }

  // Last: record what is provisioned (from the machine, once everything above ran).
  const record = async (): Promise<MachineState> => desiredState(ctx, req, names, loopback, workspaceRecords, sourceDigest);
  const current = acc.steps.length === 0 ? await record() : null;
  if (acc.steps.length > 0 || current === null || JSON.stringify(current) !== JSON.stringify(recorded)) {
    acc.steps.push({
      id: 'state',
      title: `Record the provisioned state in ${store.file}`,
      preview: [`write ${store.file} (atomically, mode 0644)`],
      undo: [],
      apply: async () => {
        const next = await record();
        store.update((s) => Object.assign(s, next));
      },
    });
  }
  return { action: 'setup', ...acc };
}

/**
 * Test-only: CORRAL_TEST_WORKSPACE_ACCESS=acl|idmap forces the workspace access mechanism,
 * so that the integration suite exercises the ACL grants on a machine where the idmap
 * probe would choose 'idmap'. Honoured only for test installations (`ctest…`), never for
 * a real one.
 */
function testAccessOverride(inst: Installation, env: NodeJS.ProcessEnv = process.env): WorkspaceAccess | null {
  const forced = env.CORRAL_TEST_WORKSPACE_ACCESS;
  if (!inst.name.startsWith('ctest') || (forced !== 'acl' && forced !== 'idmap')) return null;
  return forced;
}

function homeProblems(home: string, uid: number): string[] {
  try {
    const st = lstatSync(home);
    const out: string[] = [];
    if (!st.isDirectory()) out.push(`${home} is not a directory`);
    if (st.uid !== uid) out.push(`${home} is owned by uid ${st.uid}`);
    if ((st.mode & 0o777) !== 0o700) out.push(`${home} has mode ${(st.mode & 0o777).toString(8)}`);
    return out;
  } catch {
    return [`${home} is missing`];
  }
}

function firewallRules(recorded: MachineState | null, names: IdentityNames, loopback: Loopback): OfflineRule[] {
  const byIdentity = new Map<string, OfflineRule>();
  for (const u of Object.values(recorded?.users ?? {})) {
    byIdentity.set(u.identities.offline.name, { identity: u.identities.offline.name, loopback: u.loopback ?? 'deny' });
  }
  byIdentity.set(names.offline, { identity: names.offline, loopback });
  return [...byIdentity.values()];
}

async function uidsOf(rules: readonly OfflineRule[]): Promise<(OfflineRule & { uid: number })[] | null> {
  const out: (OfflineRule & { uid: number })[] = [];
  for (const r of rules) {
    const u = await getUser(r.identity);
    if (u === null) return null;
    out.push({ ...r, uid: u.uid });
  }
  return out;
}

async function planFirewall(acc: Accum, inst: Installation, rules: OfflineRule[]): Promise<void> {
  const table = inst.firewallGroup;
  const withUids = await uidsOf(rules);
  const live = await readTable(table);
  if (withUids !== null && live !== null && sameSignature(live, expectedSignature(withUids))) {
    acc.unchanged.push(`nft table inet ${table} (${rules.length} offline identit${rules.length === 1 ? 'y' : 'ies'})`);
    return;
  }
  const script = renderTableScript(table, rules);
  acc.steps.push({
    id: `firewall:${table}`,
    title: live === null ? `Create nft table inet ${table}` : `Re-apply nft table inet ${table} (drifted)`,
    preview: [`nft -f - <<'EOF'\n${script}EOF`],
    undo: [{ kind: 'delete-table', table }],
    apply: async () => {
      await applyTable(script);
      const resolved = await uidsOf(rules);
      const back = await readTable(table);
      if (resolved === null || back === null || !sameSignature(back, expectedSignature(resolved))) {
        throw new CorralError('step_failed', `nft table inet ${table} does not read back as written`, { details: { read: back } });
      }
    },
  });
}

/** Plans the runner copy; returns the source digest to record. */
function planRunner(acc: Accum, inst: Installation, journal: Journal, recorded: MachineState | null): string {
  const files = installSources();
  const digest = digestFiles(files);
  const installed = installedDigest(inst.libDir);
  const problems = installed === null ? [] : ownershipProblems(inst.libDir);
  if (!files.some((f) => path.join(inst.libDir, f.target) === inst.runnerEntry)) {
    acc.warnings.push(`the build has no runner entry point yet (${inst.runnerEntry}); sessions cannot start until it is built and setup is run again`);
  }
  const rec = recorded?.runner ?? null;
  const sourcesSame = rec !== null && rec.sourceDigest === digest;
  const copySame = rec !== null && installed !== null && installed === rec.digest;
  if (sourcesSame && copySame && problems.length === 0) {
    acc.unchanged.push(`runner copy in ${inst.libDir} (digest ${digest.slice(0, 12)})`);
    return digest;
  }
  const pendingTree = pendingUndo(journal, 'remove-tree').find((u) => u.path === inst.libDir);
  const undo: UndoRecord[] =
    pendingTree !== undefined || !existsSync(inst.libDir)
      ? [{ kind: 'remove-tree', path: inst.libDir }]
      : [
          { kind: 'remove-tree', path: path.join(inst.libDir, 'app') },
          { kind: 'remove-tree', path: path.join(inst.libDir, 'bin') },
        ];
  const why =
    installed === null ? 'install' : !sourcesSame ? 'update (sources changed)' : !copySame ? 'repair (installed files changed)' : `repair (${problems[0]})`;
  const targets = files.map((f) => f.target).sort();
  acc.steps.push({
    id: 'runner',
    title: `Runner copy in ${inst.libDir}: ${why}`,
    preview: [
      `copy ${files.length} files to ${inst.libDir} (bin/node from ${files.find((f) => f.target === 'bin/node')?.source ?? process.execPath}; app/package.json, app/dist, app/node_modules), owner root:root, modes 0755/0644`,
    ],
    undo,
    apply: async () => {
      installRunner(inst.libDir, files);
      const problemsAfter = ownershipProblems(inst.libDir);
      if (problemsAfter.length > 0) throw new CorralError('step_failed', `runner copy is not safe: ${problemsAfter.join('; ')}`);
      const back = (installedFiles(inst.libDir) ?? []).map((f) => f.target).sort();
      if (JSON.stringify(back) !== JSON.stringify(targets)) {
        throw new CorralError('step_failed', `runner copy in ${inst.libDir} does not read back as copied (${back.length} of ${targets.length} files)`);
      }
    },
  });
  return digest;
}

function planSudoers(acc: Accum, inst: Installation, journal: Journal): void {
  const content = sudoersContent(inst);
  const facts = readSudoers(inst.sudoersFile);
  const drift = sudoersDrift(facts, content);
  if (drift.length === 0) {
    acc.unchanged.push(`${inst.sudoersFile}: ${sudoersLine(inst)}`);
    return;
  }
  const ours = pendingUndo(journal, 'remove-file').some((u) => u.path === inst.sudoersFile);
  const undo: UndoRecord[] =
    facts.content === null || ours
      ? [{ kind: 'remove-file', path: inst.sudoersFile }]
      : [{ kind: 'restore-file', path: inst.sudoersFile, content: Buffer.from(facts.content).toString('base64'), mode: facts.mode }];
  acc.steps.push({
    id: 'sudoers',
    title: `${facts.content === null ? 'Install' : 'Repair'} ${inst.sudoersFile} (${drift.join('; ')})`,
    preview: [`write ${inst.sudoersFile} (0440 root:root, checked with visudo -cf before it is moved into place):\n${content}`],
    undo,
    apply: async () => {
      await installSudoers(inst.sudoersFile, content);
      const back = sudoersDrift(readSudoers(inst.sudoersFile), content);
      if (back.length > 0) throw new CorralError('step_failed', `${inst.sudoersFile} does not read back as written: ${back.join('; ')}`);
    },
  });
}

type KnownUids = Record<IdentityKind, number | null>;

function pendingRevoke(journal: Journal, root: string): AclRevokeUndo | undefined {
  return pendingUndo(journal, 'acl-revoke').find((u) => u.root === root) as AclRevokeUndo | undefined;
}

async function planTraverse(acc: Accum, journal: Journal, ws: string, names: IdentityNames, uids: KnownUids): Promise<string[]> {
  const dirs = ancestorsOf(ws);
  const acls = await readAcls(dirs);
  const needed: FileAcl[] = [];
  const present: string[] = [];
  for (const acl of acls) {
    const dir = unescapePath(acl.path);
    const byOff = needsTraverseEntry(acl, uids.offline === null ? null : String(uids.offline));
    const byOn = needsTraverseEntry(acl, uids.online === null ? null : String(uids.online));
    if (byOff || byOn) needed.push(acl);
    else if (acl.access.find((e) => e.tag === 'other')?.perms[2] !== 'x') present.push(dir);
  }
  const recordedDirs = [...present];
  if (needed.length === 0) {
    acc.unchanged.push(`ancestors of ${ws} are traversable by the identities`);
    return recordedDirs;
  }
  const identities = [names.offline, names.online];
  const commands = needed.map((acl) => traverseGrantCommand(unescapePath(acl.path), identities));
  const undo: AclRevokeUndo[] = needed.map((acl) => {
    const dir = unescapePath(acl.path);
    const earlier = pendingRevoke(journal, dir);
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
  acc.steps.push(
    commandStep(`traverse:${ws}`, `Let the identities traverse the ancestors of ${ws} (execute-only ACL entries)`, commands, undo as unknown as UndoRecord[]),
  );
  return [...recordedDirs, ...needed.map((a) => unescapePath(a.path))].sort();
}

async function planGrant(
  acc: Accum,
  journal: Journal,
  ws: string,
  protectedPaths: readonly string[],
  names: IdentityNames,
  uids: KnownUids,
  realUser: RealUser,
): Promise<void> {
  const drift: string[] = [];
  if (uids.offline === null || uids.online === null) drift.push('identities are being created');
  else {
    const acls = await readAcls([ws, ...protectedPaths]);
    const label = (uid: string) => uid;
    const wsAcl = acls.find((a) => unescapePath(a.path) === ws);
    const wsGrants: Grant[] = [uids.offline, uids.online, realUser.uid!].map((u) => ({ uid: String(u), access: 'rwx', default: 'rwx' }));
    if (wsAcl === undefined) drift.push(`${ws} is missing`);
    else drift.push(...grantDrift(wsAcl, wsGrants, label));
    for (const p of protectedPaths) {
      const acl = acls.find((a) => unescapePath(a.path) === p);
      if (acl === undefined) continue;
      const dir = isDir(p);
      const grants: Grant[] = [uids.offline, uids.online].map((u) => ({
        uid: String(u),
        access: permsFor(p, PROTECTED_PERMS.access),
        default: dir ? PROTECTED_PERMS.default : null,
      }));
      drift.push(...grantDrift(acl, grants, label));
    }
  }
  if (drift.length === 0) {
    acc.unchanged.push(`ACL grants on ${ws}${protectedPaths.length > 0 ? ` (${protectedPaths.length} protected paths read-only)` : ''}`);
    return;
  }
  const accounts = [names.offline, names.online, realUser.name];
  const earlier = pendingRevoke(journal, ws);
  const before = earlier?.before ?? (await snapshotExtended(ws, true));
  const undo: AclRevokeUndo = {
    kind: 'acl-revoke',
    root: ws,
    recursive: true,
    accounts,
    uids: [uids.offline, uids.online, realUser.uid!].filter((u): u is number => u !== null),
    before,
  };
  const commands = [workspaceGrantCommand(ws, accounts), ...protectedPaths.map((p) => protectedGrantCommand(p, [names.offline, names.online]))];
  acc.steps.push(
    commandStep(`grant:${ws}`, `Grant the identities and ${realUser.name} access to ${ws} (ACLs; protected paths read-only)`, commands, [
      undo as unknown as UndoRecord,
    ]),
  );
}

async function desiredState(
  ctx: PlannerContext,
  req: SetupRequest,
  names: IdentityNames,
  loopback: Loopback,
  workspaces: UserRecord['workspaces'],
  sourceDigest: string,
): Promise<MachineState> {
  const { inst, store } = ctx;
  const state = store.current();
  const g1 = await getGroup(inst.sandboxGroup);
  const g2 = await getGroup(inst.userGroup);
  const off = await getUser(names.offline);
  const on = await getUser(names.online);
  const digest = installedDigest(inst.libDir);
  if (g1 === null || g2 === null || off === null || on === null || digest === null) {
    throw new CorralError('step_failed', 'provisioned accounts or runner copy are missing after setup');
  }
  state.sandboxGroup = { name: g1.name, gid: g1.gid };
  state.userGroup = { name: g2.name, gid: g2.gid };
  state.runner = { node: inst.runnerNode, entry: inst.runnerEntry, digest, sourceDigest };
  state.firewall = { family: 'inet', table: inst.firewallGroup };
  state.sudoers = { file: inst.sudoersFile, line: sudoersLine(inst) };
  const ru = req.realUser;
  state.users[ru.name] = {
    realUser: { name: ru.name, uid: ru.uid!, gid: ru.gid!, home: ru.home },
    identities: {
      offline: { name: off.name, uid: off.uid, gid: off.gid },
      online: { name: on.name, uid: on.uid, gid: on.gid },
    },
    network: req.network,
    loopback,
    workspaces: sortedRecord(workspaces),
  };
  return state;
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export type { WorkspaceAccess };
