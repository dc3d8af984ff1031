/** The guided setup's pure parts (issue 13.7): the default real user, the readable plan, the next steps. */
import assert from 'node:assert/strict';
import { chooseRealUserName } from '../../orchestrator/provision/linux/real-user.js';
import { nextStepsText, planText } from '../../orchestrator/cli/plan-output.js';
import { stepWhy } from '../../orchestrator/provision/linux/setup-steps.js';
import { linuxInstallation } from '../../core/installation.js';
import type { Plan } from '../../orchestrator/platform.js';

describe('default real user of setup', () => {
  const base = { explicit: undefined, sudoUser: undefined, callerUid: 0, callerName: 'root' };
  it('an explicit --user wins', () => {
    assert.equal(chooseRealUserName({ ...base, explicit: 'bob', sudoUser: 'alice', workspaceOwner: { uid: 1000, name: 'carol' } }), 'bob');
  });
  it('SUDO_USER when sudo started us as root', () => {
    assert.equal(chooseRealUserName({ ...base, sudoUser: 'alice', workspaceOwner: { uid: 1001, name: 'carol' } }), 'alice');
  });
  it('as root without SUDO_USER (sudo -i, a root shell): the owner of the workspace, never root when a user owns it', () => {
    assert.equal(chooseRealUserName({ ...base, workspaceOwner: { uid: 1000, name: 'alice' } }), 'alice');
    assert.equal(chooseRealUserName({ ...base, sudoUser: '', workspaceOwner: { uid: 1000, name: 'alice' } }), 'alice');
    assert.equal(chooseRealUserName({ ...base, sudoUser: 'root', workspaceOwner: { uid: 1000, name: 'alice' } }), 'alice');
  });
  it('root when root owns the workspace, or its owner has no passwd entry', () => {
    assert.equal(chooseRealUserName({ ...base, workspaceOwner: { uid: 0, name: 'root' } }), 'root');
    assert.equal(chooseRealUserName({ ...base, workspaceOwner: { uid: 4242, name: undefined } }), 'root');
  });
  it('a non-root caller is the user, whoever owns the directory (SUDO_USER is only trusted as root)', () => {
    assert.equal(chooseRealUserName({ ...base, callerUid: 1000, callerName: 'alice', sudoUser: 'mallory', workspaceOwner: { uid: 1001, name: 'bob' } }), 'alice');
  });
});

function plan(over: Partial<Plan> = {}): Plan {
  const step = (id: string, title: string, why?: string) => ({ id, title, ...(why !== undefined ? { why } : {}), preview: [`cmd-for ${id}`, 'line1\nline2'], undo: [], apply: async () => {} });
  return {
    action: 'setup',
    steps: [step('group:x', 'Create group x', 'because x'), step('state', 'Record')],
    unchanged: [],
    warnings: [],
    workspaceAccess: [{ path: '/home/a/ws', access: 'idmap', reason: 'idmapped mount works on ext4' }],
    ...over,
  };
}

describe('setup plan text', () => {
  it('readable list: for whom, what and why, the workspace access; no commands, with a pointer to --verbose', () => {
    const t = planText(plan(), { showUnchanged: true, commands: false, realUser: 'alice' });
    assert.match(t, /^Plan \(setup for alice: 2 changes\):/);
    assert.match(t, /1\. Create group x\n\s+why: because x\n\s+2\. Record/);
    assert.match(t, /Workspace access:\n {2}- \/home\/a\/ws: idmapped mount .* — idmapped mount works on ext4/);
    assert.doesNotMatch(t, /cmd-for/);
    assert.match(t, /--verbose/);
  });
  it('with commands: every line of every command, indented under its step', () => {
    const t = planText(plan(), { showUnchanged: true, commands: true, realUser: 'alice' });
    assert.match(t, /why: because x\n {7}cmd-for group:x\n {7}line1\n {7}line2/);
    assert.doesNotMatch(t, /--verbose/);
  });
  it('ACL access is named as such', () => {
    const t = planText(plan({ workspaceAccess: [{ path: '/w', access: 'acl', reason: 'NFS' }] }), { showUnchanged: false, commands: false });
    assert.match(t, /- \/w: ACL grants .* — NFS/);
  });
  it('a re-run with changes says how much is already in place and lists it', () => {
    const t = planText(plan({ unchanged: ['group x', 'runner copy'] }), { showUnchanged: true, commands: false, realUser: 'alice' });
    assert.match(t, /Plan \(setup for alice: 2 changes; 2 already in place\)/);
    assert.match(t, /Unchanged \(already in place\):\n {2}- group x\n {2}- runner copy/);
  });
  it('a re-run with nothing to change says so, for whom', () => {
    const t = planText(plan({ steps: [], unchanged: ['group x'] }), { showUnchanged: true, commands: false, realUser: 'alice' });
    assert.match(t, /^Nothing to do for alice: everything is as desired\./);
    assert.doesNotMatch(t, /--verbose/);
  });
  it('teardown keeps its old heading and commands by default', () => {
    const t = planText({ ...plan(), action: 'teardown', workspaceAccess: undefined }, { showUnchanged: false });
    assert.match(t, /^Plan \(teardown, 2 steps\):/);
    assert.match(t, /cmd-for state/);
  });
});

describe('setup next steps', () => {
  const info = { realUser: 'alice', userGroup: 'corral', workspaces: ['/home/alice/src/app'], protectedNames: ['.git', '.env', '.corral'] };
  it('log in again (or newgrp) when the user just joined, then try corral run -- id, then what is read-only', () => {
    const t = nextStepsText({ ...info, joined: true });
    assert.match(t, /1\. alice: log in again \(or run `newgrp corral`/);
    assert.match(t, /2\. Try it as alice, in \/home\/alice\/src\/app: corral run -- id/);
    assert.match(t, /3\. Read-only for the agent in every workspace: \.git, \.env, \.corral/);
  });
  it('no log-in step when the user was already a member', () => {
    const t = nextStepsText({ ...info, joined: false });
    assert.doesNotMatch(t, /newgrp/);
    assert.match(t, /1\. Try it/);
  });
});

describe('why each setup step is needed', () => {
  const inst = linuxInstallation('corral');
  it('tells the two groups apart and names the user', () => {
    assert.match(stepWhy(inst, `group:${inst.sandboxGroup}`, 'alice')!, /sandbox identities/);
    assert.match(stepWhy(inst, `group:${inst.userGroup}`, 'alice')!, /alice joins it/);
    assert.match(stepWhy(inst, 'member:alice', 'alice')!, /newgrp corral/);
  });
  it('every kind of step the Linux planner makes has a reason', () => {
    for (const id of ['user:corral-off-alice', 'user:corral-on-alice', 'firewall:corral', 'runner', 'sudoers', 'traverse:/w', 'grant:/w', 'state']) {
      assert.ok(stepWhy(inst, id, 'alice') !== undefined, id);
    }
  });
});
