/**
 * `corral status` on Linux: each recorded item checked against the machine — present and
 * as recorded, missing, or drifted (with what differs). Checks that need root (the nft
 * table, the sudoers file) are reported `unchecked` when run without it.
 */
import { existsSync } from 'node:fs';
import type { Installation } from '../../../core/installation.js';
import type { StatusItem, StatusReport } from '../../platform.js';
import type { StateStore } from '../../state-store.js';
import type { MachineState, UserRecord } from '../../../core/state.js';
import { forgetAccounts, getGroup, getUser, identityDrift, nologinShell, prefetch } from './accounts.js';
import { PROTECTED_PERMS, readAcls } from './acl.js';
import { grantDrift, hasEntry, unescapePath, type Grant } from './acl-model.js';
import { run } from './exec.js';
import { expectedSignature, readTable, sameSignature } from './nft.js';
import { installedDigest, ownershipProblems } from './runner-install.js';
import { readSudoers, sudoersContent, sudoersDrift } from './sudoers.js';
import path from 'node:path';
import { lstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import { checkStatusPermitted, homeImageItem, identityHomeItem, machineConfigItem, workspaceOwnerFinding } from './status-checks.js';

const isRoot = () => process.getuid?.() === 0;

function item(id: string, kind: string, description: string, problems: string[], missing = false): StatusItem {
  if (missing) return { id, kind, description, state: 'missing' };
  return problems.length === 0 ? { id, kind, description, state: 'ok' } : { id, kind, description, state: 'drifted', detail: problems.join('; ') };
}

export async function linuxStatus(inst: Installation, store: StateStore): Promise<StatusReport> {
  const state = store.read();
  const report: StatusReport = { installation: inst.name, platform: 'linux', provisioned: state !== null, items: [], warnings: [] };
  if (state === null) return report;
  const me = userInfo();
  checkStatusPermitted(inst, { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir });
  const items = report.items;
  forgetAccounts();
  await prefetch(
    Object.values(state.users).flatMap((u) => [u.identities.offline.name, u.identities.online.name]),
    [state.sandboxGroup?.name, state.userGroup?.name].filter((g): g is string => g !== undefined),
  );

  for (const g of [state.sandboxGroup, state.userGroup]) {
    if (g === null) continue;
    const live = await getGroup(g.name);
    items.push(item(`group:${g.name}`, 'group', `group ${g.name}`, live !== null && live.gid !== g.gid ? [`gid is ${live.gid}, recorded ${g.gid}`] : [], live === null));
  }

  for (const [name, u] of Object.entries(state.users)) await userItems(items, inst, state, name, u);
  items.push(await firewallItem(inst, state));
  if (state.runner !== null) items.push(runnerItem(inst, state.runner.digest));
  items.push(await sudoersItem(inst));
  items.push(await machineConfigItem(inst));
  for (const u of Object.values(state.users)) await workspaceItems(items, u);
  return report;
}

async function userItems(items: StatusItem[], inst: Installation, state: MachineState, name: string, u: UserRecord): Promise<void> {
  for (const kind of ['offline', 'online'] as const) {
    const rec = u.identities[kind];
    const live = await getUser(rec.name);
    const problems: string[] = [];
    if (live !== null) {
      if (live.uid !== rec.uid) problems.push(`uid is ${live.uid}, recorded ${rec.uid}`);
      problems.push(
        ...identityDrift(live, { name: rec.name, group: inst.sandboxGroup, home: path.join(inst.homeBase, rec.name), shell: nologinShell(), comment: '' }, state.sandboxGroup?.gid ?? null),
      );
    }
    items.push(item(`user:${rec.name}`, 'identity', `${kind} identity ${rec.name} of ${name}`, problems, live === null));
    items.push(identityHomeItem(inst, kind, rec, name));
    for (const ws of Object.keys(u.workspaces)) {
      const image = homeImageItem(inst, rec, ws, name);
      if (image !== null) items.push(image);
    }
  }
  const group = await getGroup(inst.userGroup);
  items.push(
    item(`member:${name}`, 'membership', `${name} in group ${inst.userGroup}`, group !== null && !group.members.includes(name) ? ['not a member'] : [], group === null),
  );
}

async function firewallItem(inst: Installation, state: MachineState): Promise<StatusItem> {
  const table = inst.firewallGroup;
  const description = `nft table inet ${table}`;
  if (!isRoot()) return { id: `firewall:${table}`, kind: 'firewall', description, state: 'unchecked', detail: 'reading nftables needs root' };
  const live = await readTable(table);
  if (live === null) return item(`firewall:${table}`, 'firewall', description, [], true);
  const rules = Object.values(state.users).map((u) => ({ identity: u.identities.offline.name, uid: u.identities.offline.uid, loopback: u.loopback ?? 'deny' }));
  const expected = expectedSignature(rules);
  const problems: string[] = [];
  if (!sameSignature(live, expected)) {
    const missing = expected.filter((r) => !live.includes(r));
    const extra = live.filter((r) => !expected.includes(r));
    if (missing.length > 0) problems.push(`missing: ${missing.join(' | ')}`);
    if (extra.length > 0) problems.push(`unexpected: ${extra.join(' | ')}`);
    if (missing.length === 0 && extra.length === 0) problems.push('rules are out of order');
  }
  return item(`firewall:${table}`, 'firewall', description, problems);
}

function runnerItem(inst: Installation, digest: string): StatusItem {
  const description = `runner copy in ${inst.libDir}`;
  if (!existsSync(inst.libDir)) return item('runner', 'runner', description, [], true);
  const problems = ownershipProblems(inst.libDir);
  try {
    const now = installedDigest(inst.libDir);
    if (now === null) problems.push('bin/ or app/ is missing');
    else if (now !== digest) problems.push(`files changed since setup (digest ${now.slice(0, 12)}, recorded ${digest.slice(0, 12)})`);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return item('runner', 'runner', description, problems);
}

async function sudoersItem(inst: Installation): Promise<StatusItem> {
  const description = `sudoers drop-in ${inst.sudoersFile}`;
  if (!isRoot()) return { id: 'sudoers', kind: 'sudoers', description, state: 'unchecked', detail: 'reading the sudoers drop-in needs root' };
  const facts = readSudoers(inst.sudoersFile);
  if (facts.content === null) return item('sudoers', 'sudoers', description, [], true);
  const problems = sudoersDrift(facts, sudoersContent(inst));
  const check = await run('visudo', ['-c', '-q', '-f', inst.sudoersFile], { okCodes: [0, 1] });
  if (check.code !== 0) problems.push(`visudo rejects it: ${check.stderr.trim() || check.stdout.trim()}`);
  return item('sudoers', 'sudoers', description, problems);
}

async function workspaceItems(items: StatusItem[], u: UserRecord): Promise<void> {
  const off = String(u.identities.offline.uid);
  const on = String(u.identities.online.uid);
  for (const ws of Object.values(u.workspaces)) {
    const id = `workspace:${ws.path}`;
    const description = `workspace ${ws.path} (${ws.access === 'acl' ? 'ACL grants' : ws.access})`;
    const traverse = ws.traverse ?? [];
    let acls;
    try {
      acls = await readAcls([...traverse, ws.path, ...(ws.protectedPaths ?? [])]);
    } catch (err) {
      // Another user's workspace in their 0750 home: a member who is not root cannot read it.
      if (isRoot()) throw err;
      items.push({ id, kind: 'workspace', description, state: 'unchecked', detail: `${(err as Error).message}; run \`sudo corral status\` to check it` });
      continue;
    }
    const byPath = new Map(acls.map((a) => [unescapePath(a.path), a]));
    for (const dir of traverse) {
      const acl = byPath.get(dir);
      const problems =
        acl === undefined
          ? []
          : [off, on].filter((uid) => !hasEntry(acl, 'access', uid, '--x')).map((uid) => `execute-only entry for uid ${uid} missing`);
      items.push(item(`traverse:${dir}`, 'traverse', `${dir} traversable by ${u.realUser.name}'s identities`, problems, acl === undefined));
    }
    const owner = workspaceOwnerFinding(ws.path, u);
    if (owner !== null) {
      items.push({ id, kind: 'workspace', description, state: 'drifted', detail: owner.detail, code: 'workspace_not_owned', remedy: owner.remedy });
      continue;
    }
    if (ws.access !== 'acl') {
      items.push(item(id, 'workspace', description, [], !existsSync(ws.path)));
      continue;
    }
    const acl = byPath.get(ws.path);
    if (acl === undefined) {
      items.push(item(id, 'workspace', description, [], true));
      continue;
    }
    const name = (uid: string) => (uid === off ? u.identities.offline.name : uid === on ? u.identities.online.name : u.realUser.name);
    const grants: Grant[] = [off, on, String(u.realUser.uid)].map((uid) => ({ uid, access: 'rwx', default: 'rwx' }));
    const problems = grantDrift(acl, grants, name);
    for (const p of ws.protectedPaths ?? []) {
      const pacl = byPath.get(p);
      if (pacl === undefined) continue; // removed by the user: nothing left to protect
      const dir = lstatSync(p).isDirectory();
      const x = dir || (lstatSync(p).mode & 0o111) !== 0 ? 'x' : '-';
      const pg: Grant[] = [off, on].map((uid) => ({ uid, access: PROTECTED_PERMS.access.replace('X', x), default: dir ? PROTECTED_PERMS.default : null }));
      problems.push(...grantDrift(pacl, pg, name));
    }
    items.push(item(id, 'workspace', description, problems));
  }
}
