/**
 * The pure Linux setup planner (orchestrator/provision/linux/setup-plan.ts): facts in, step
 * descriptors out. No root, no file system: every diff case from hand-made facts.
 */
import assert from 'node:assert/strict';
import { linuxInstallation } from '../../core/installation.js';
import { identityNames } from '../../orchestrator/identities.js';
import type { SetupRequest } from '../../orchestrator/platform.js';
import { defaultPolicy } from '../../orchestrator/policy/defaults.js';
import type { ResolvedPolicy } from '../../orchestrator/policy/resolve.js';
import type { FileAcl } from '../../orchestrator/provision/linux/acl-model.js';
import { expectedSignature } from '../../orchestrator/provision/linux/nft.js';
import type { LinuxSetupFacts, WorkspaceFacts } from '../../orchestrator/provision/linux/setup-facts.js';
import { desiredState, planLinuxSetup, recordFactsOf, type SetupStepSpec } from '../../orchestrator/provision/linux/setup-plan.js';
import { sudoersContent } from '../../orchestrator/provision/linux/sudoers.js';

const inst = linuxInstallation('ctestplan');
const names = identityNames(inst, 'alice');
const WS = '/home/alice/src/p';

function request(overrides: Partial<SetupRequest> = {}): SetupRequest {
  const policy = defaultPolicy('linux', WS, inst.name);
  const resolved: ResolvedPolicy = { policy, sources: {} as ResolvedPolicy['sources'], locked: [], digest: 'd', hostSources: [] };
  return { realUser: { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' }, workspaces: [WS], network: 'offline', policy: resolved, ...overrides };
}

function acl(path: string, extra: FileAcl['access'] = [], other = 'r-x'): FileAcl {
  return {
    path,
    owner: 'root',
    group: 'root',
    access: [{ tag: 'user', qualifier: '', perms: 'rwx' }, ...extra, { tag: 'group', qualifier: '', perms: 'r-x' }, { tag: 'other', qualifier: '', perms: other }],
    default: [],
  } as FileAcl;
}

function idmapWorkspace(path = WS): WorkspaceFacts {
  return { path, access: 'idmap', ancestors: [acl('/'), acl('/home'), acl('/home/alice'), acl('/home/alice/src')], acl: null, protected: [] };
}

/** A machine where everything is already as desired (then each test breaks one thing). */
function provisionedFacts(): LinuxSetupFacts {
  const offline = { name: names.offline, uid: 990, gid: 980, home: `${inst.homeBase}/${names.offline}`, shell: '/usr/sbin/nologin' };
  const online = { name: names.online, uid: 991, gid: 980, home: `${inst.homeBase}/${names.online}`, shell: '/usr/sbin/nologin' };
  const facts: LinuxSetupFacts = {
    recorded: null,
    pendingUndo: [],
    names,
    nologinShell: '/usr/sbin/nologin',
    groups: { sandbox: { name: inst.sandboxGroup, gid: 980, members: [] }, user: { name: inst.userGroup, gid: 981, members: ['alice'] } },
    identities: { offline, online },
    homes: { offline: { isDir: true, uid: 990, mode: 0o700 }, online: { isDir: true, uid: 991, mode: 0o700 } },
    offlineUids: { [names.offline]: 990 },
    nftLive: null,
    runner: {
      sources: [{ source: '/x/dist/runner/main.js', target: 'app/dist/runner/main.js', statOnly: false }],
      sourceDigest: 'src1',
      installedDigest: 'inst1',
      ownershipProblems: [],
      libDirExists: true,
    },
    sudoers: { content: sudoersContent(inst), mode: 0o440, uid: 0, gid: 0 },
    workspaces: [idmapWorkspace()],
  };
  facts.nftLive = expectedSignature([{ identity: names.offline, loopback: 'private', uid: 990 }]);
  const req = request();
  const plan = planLinuxSetup(inst, req, { ...facts, pendingUndo: [{ kind: 'delete-user', name: names.offline }, { kind: 'delete-user', name: names.online }] });
  facts.recorded = desiredState(inst, req, plan, recordFactsOf(facts), null);
  return facts;
}

const kinds = (steps: SetupStepSpec[]) => steps.map((s) => s.id);

describe('Linux setup planner (pure: facts → step descriptors)', () => {
  it('a machine already as desired: no steps, every resource listed as unchanged', () => {
    const plan = planLinuxSetup(inst, request(), provisionedFacts());
    assert.deepEqual(kinds(plan.steps), []);
    assert.ok(plan.unchanged.some((u) => u.startsWith(`group ${inst.sandboxGroup}`)));
    assert.ok(plan.unchanged.some((u) => u.startsWith('offline identity')));
    assert.ok(plan.unchanged.some((u) => u.startsWith('nft table')));
    assert.ok(plan.unchanged.some((u) => u.startsWith('runner copy')));
    assert.ok(plan.unchanged.some((u) => u.startsWith(inst.sudoersFile)));
  });

  it('a fresh machine: every resource created, in dependency order, with its undo', () => {
    const facts = provisionedFacts();
    facts.recorded = null;
    facts.groups = { sandbox: null, user: null };
    facts.identities = { offline: null, online: null };
    facts.homes = { offline: null, online: null };
    facts.offlineUids = { [names.offline]: null };
    facts.nftLive = null;
    facts.runner = { ...facts.runner, installedDigest: null, libDirExists: false };
    facts.sudoers = { content: null, mode: 0, uid: -1, gid: -1 };
    const plan = planLinuxSetup(inst, request(), facts);
    assert.deepEqual(kinds(plan.steps), [
      `group:${inst.sandboxGroup}`,
      `group:${inst.userGroup}`,
      `user:${names.offline}`,
      `user:${names.online}`,
      'member:alice',
      `firewall:${inst.firewallGroup}`,
      'runner',
      'sudoers',
      'state',
    ]);
    const runner = plan.steps.find((s) => s.id === 'runner')!;
    assert.deepEqual(runner.kind === 'runner' && runner.undo, [{ kind: 'remove-tree', path: inst.libDir }]);
    const sudoers = plan.steps.find((s) => s.id === 'sudoers')!;
    assert.deepEqual(sudoers.kind === 'sudoers' && sudoers.undo, [{ kind: 'remove-file', path: inst.sudoersFile }]);
  });

  it('an account with an identity name that Corral did not create is a name_conflict', () => {
    const facts = provisionedFacts();
    facts.recorded = null;
    assert.throws(() => planLinuxSetup(inst, request(), facts), (e: { code?: string }) => e.code === 'name_conflict');
  });

  it('...unless a pending journal step created it (a crashed run)', () => {
    const facts = provisionedFacts();
    facts.recorded = null;
    facts.pendingUndo = [
      { kind: 'delete-user', name: names.offline },
      { kind: 'delete-user', name: names.online },
    ];
    const plan = planLinuxSetup(inst, request(), facts);
    assert.ok(kinds(plan.steps).includes('state'));
  });

  it('identity drift (wrong shell) and home drift (mode, owner, missing) are repaired', () => {
    const facts = provisionedFacts();
    facts.identities.offline = { ...facts.identities.offline!, shell: '/bin/bash' };
    facts.homes.online = { isDir: true, uid: 0, mode: 0o755 };
    const plan = planLinuxSetup(inst, request(), facts);
    const off = plan.steps.find((s) => s.id === `user:${names.offline}`)!;
    const on = plan.steps.find((s) => s.id === `user:${names.online}`)!;
    assert.match(off.title, /Repair offline identity .*shell/);
    assert.match(on.title, /owned by uid 0.*mode 755/);
    assert.equal(off.kind === 'commands' && off.commands[0]!.tool, 'usermod');
    facts.homes.online = null;
    assert.match(planLinuxSetup(inst, request(), facts).steps.find((s) => s.id === `user:${names.online}`)!.title, /is missing/);
  });

  it('the real user not in the user group: a membership step with its undo', () => {
    const facts = provisionedFacts();
    facts.groups.user = { ...facts.groups.user!, members: [] };
    const step = planLinuxSetup(inst, request(), facts).steps.find((s) => s.id === 'member:alice')!;
    assert.deepEqual(step.kind === 'commands' && step.undo, [{ kind: 'remove-member', user: 'alice', group: inst.userGroup }]);
  });

  it('nft table flushed or drifted: re-applied; another user\'s offline identity stays in the table', () => {
    const facts = provisionedFacts();
    facts.nftLive = ['something else'];
    facts.recorded!.users.bob = { ...facts.recorded!.users.alice!, identities: { offline: { name: 'ctestplan-bob-off', uid: 995, gid: 980 }, online: { name: 'x', uid: 996, gid: 980 } } };
    facts.offlineUids['ctestplan-bob-off'] = 995;
    const step = planLinuxSetup(inst, request(), facts).steps.find((s) => s.kind === 'firewall')!;
    assert.match(step.title, /drifted/);
    assert.ok(step.kind === 'firewall' && step.rules.some((r) => r.identity === 'ctestplan-bob-off'));
  });

  it('runner copy: sources changed → update; installed files changed → repair; unsafe owner → repair naming it', () => {
    const facts = provisionedFacts();
    facts.runner.sourceDigest = 'src2';
    assert.match(planLinuxSetup(inst, request(), facts).steps.find((s) => s.id === 'runner')!.title, /^Update the session runner in .* \(this build changed\)$/);
    const f2 = provisionedFacts();
    f2.runner.installedDigest = 'changed';
    assert.match(planLinuxSetup(inst, request(), f2).steps.find((s) => s.id === 'runner')!.title, /^Repair the session runner in .* \(installed files changed\)$/);
    const f3 = provisionedFacts();
    f3.runner.ownershipProblems = ['app/dist is owned by uid 1000'];
    assert.match(planLinuxSetup(inst, request(), f3).steps.find((s) => s.id === 'runner')!.title, /owned by uid 1000/);
  });

  it('runner copy with an existing libDir: undo removes only what Corral copies', () => {
    const facts = provisionedFacts();
    facts.runner.installedDigest = null;
    const step = planLinuxSetup(inst, request(), facts).steps.find((s) => s.id === 'runner')!;
    assert.deepEqual(step.kind === 'runner' && step.undo.map((u) => u.path), [`${inst.libDir}/app`, `${inst.libDir}/bin`]);
  });

  it('sudoers edited by someone: repaired, and the undo restores their content', () => {
    const facts = provisionedFacts();
    facts.sudoers = { content: 'edited\n', mode: 0o644, uid: 0, gid: 0 };
    const step = planLinuxSetup(inst, request(), facts).steps.find((s) => s.id === 'sudoers')!;
    assert.match(step.title, /Repair .*content differs; mode 644/);
    assert.deepEqual(step.kind === 'sudoers' && step.undo, [{ kind: 'restore-file', path: inst.sudoersFile, content: Buffer.from('edited\n').toString('base64'), mode: 0o644 }]);
  });

  it('an ancestor the identities cannot traverse (a 0750 home): execute-only entries, recorded for teardown', () => {
    const facts = provisionedFacts();
    facts.workspaces = [{ ...idmapWorkspace(), ancestors: [acl('/'), acl('/home'), acl('/home/alice', [], '---'), acl('/home/alice/src')] }];
    const plan = planLinuxSetup(inst, request(), facts);
    const step = plan.steps.find((s) => s.id === `traverse:${WS}`)!;
    assert.equal(step.kind === 'commands' && step.commands.length, 1);
    assert.deepEqual(plan.workspaces[WS]!.traverse, ['/home/alice']);
  });

  it('ACL workspace without grants: one grant step; a pending grant keeps the journal\'s `before`', () => {
    const facts = provisionedFacts();
    facts.workspaces = [{ ...idmapWorkspace(), access: 'acl', acl: acl(WS), protected: [{ path: `${WS}/.git`, isDir: true, hasExec: true, acl: acl(`${WS}/.git`) }] }];
    const plan = planLinuxSetup(inst, request(), facts);
    const step = plan.steps.find((s) => s.kind === 'grant')!;
    assert.ok(step.kind === 'grant' && step.before === null, 'no pending record: the step snapshots the tree when built');
    assert.equal(step.kind === 'grant' && step.commands.length, 2, 'workspace grant + protected path read-only');
    assert.deepEqual(plan.workspaces[WS]!.protectedPaths, [`${WS}/.git`]);
    facts.pendingUndo = [{ kind: 'acl-revoke', root: WS, before: { [WS]: acl(WS) } }];
    const again = planLinuxSetup(inst, request(), facts).steps.find((s) => s.kind === 'grant')!;
    assert.deepEqual(again.kind === 'grant' && again.before, { [WS]: acl(WS) });
  });

  it('ACL workspace whose grants are all present: unchanged', () => {
    const facts = provisionedFacts();
    const u = (uid: number, perms: string) => ({ tag: 'user' as const, qualifier: String(uid), perms });
    const full: FileAcl = { ...acl(WS, [u(990, 'rwx'), u(991, 'rwx'), u(1000, 'rwx'), { tag: 'mask', qualifier: '', perms: 'rwx' }]) };
    full.default = [...full.access];
    facts.workspaces = [{ ...idmapWorkspace(), access: 'acl', acl: full, protected: [] }];
    const req = request();
    const recordedPlan = planLinuxSetup(inst, req, { ...facts });
    facts.recorded = desiredState(inst, req, recordedPlan, recordFactsOf(facts), facts.recorded);
    const plan = planLinuxSetup(inst, req, facts);
    assert.deepEqual(kinds(plan.steps), []);
    assert.ok(plan.unchanged.some((x) => x.startsWith(`ACL grants on ${WS}`)));
  });

  it('a new workspace changes only the record (idmap: no grants)', () => {
    const facts = provisionedFacts();
    facts.workspaces = [idmapWorkspace('/home/alice/src/q')];
    const plan = planLinuxSetup(inst, request({ workspaces: ['/home/alice/src/q'] }), facts);
    assert.deepEqual(kinds(plan.steps), ['state']);
    assert.deepEqual(Object.keys(plan.workspaces).sort(), [WS, '/home/alice/src/q']);
  });

  it('a build without the runner entry point warns', () => {
    const facts = provisionedFacts();
    facts.runner.sources = [];
    assert.ok(planLinuxSetup(inst, request(), facts).warnings.some((w) => /no runner entry point/.test(w)));
  });
});
