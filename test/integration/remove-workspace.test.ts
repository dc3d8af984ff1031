/**
 * `corral setup --remove-workspace DIR` (issue 13.8) on a real installation (root, real users,
 * real ACLs, real sessions through the real CLI): two workspaces in the user's 0750 home, both
 * needing the execute-only entries on the home (set up in two runs, so the journal holds the
 * home's entries under the first one only); the first is removed. Its ACL entries for the
 * identities and the user are gone (getfacl), its identity homes are gone, state.json no longer
 * lists it and keeps everything else, `corral run` in it is refused with not_provisioned, the
 * other workspace still runs a command, the home keeps the traverse entries the other one
 * needs, and `corral status` is clean. Removing the second one then takes the home's entries
 * too, leaving the home's ACL exactly as before setup. Refusals: a directory that is not
 * provisioned (exit 3), a session of the user running (workspace_in_use, nothing changed).
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';
import { ENTER, Terminal } from './helpers/terminal.js';
import { eventually, NODE, CLI, requireRoot, show, TestInstallation, userDir, type Result } from './helpers/e2e.js';

interface StateDoc {
  users: Record<string, { workspaces: Record<string, { traverse?: string[] }>; identities: Record<string, { name: string; uid: number }> } & Record<string, unknown>>;
}

function getfacl(args: string[]): string {
  return execFileSync('getfacl', ['-p', '-n', ...args], { encoding: 'utf8' });
}

/** Named user entries (access and default) of the given uids in getfacl output. */
function entriesOf(text: string, uids: number[]): string[] {
  return text.split('\n').filter((l) => uids.some((u) => new RegExp(`^(default:)?user:${u}:`).test(l)));
}

function json(r: Result): { ok: boolean; error?: { code: string; remedy: string }; changes?: { id: string }[] } {
  return JSON.parse(r.stdout.toString('utf8')) as { ok: boolean; error?: { code: string; remedy: string }; changes?: { id: string }[] };
}

describe('corral setup --remove-workspace (root, real users, ACLs and sessions)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let other = '';
  let stateFile = '';
  let homeAclBefore = '';
  let live: ChildProcess | undefined;
  const state = () => JSON.parse(readFileSync(stateFile, 'utf8')) as StateDoc;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    other = userDir(inst.user, path.join(inst.user.home, 'other'));
    stateFile = `/var/lib/${inst.instance}/state.json`;
    homeAclBefore = getfacl([inst.user.home]);
    // ACL grants (not the idmapped mount the probe may choose here): the case with entries to take back.
    process.env.CORRAL_TEST_WORKSPACE_ACCESS = 'acl';
    await inst.setup();
    // The other workspace in a second run: the home is already traversable then, so the journal
    // holds the home's entries only under the first workspace's step — removing the first must
    // keep them (journaled again) for the second.
    const second = await inst.corral(['setup', '--yes', '--user', inst.user.name, '--workspace', other]);
    if (second.status !== 0) throw new Error(`second setup: ${show(second)}`);
  });
  after(async () => {
    live?.kill('SIGKILL');
    try {
      await inst?.teardown();
    } finally {
      delete process.env.CORRAL_TEST_WORKSPACE_ACCESS;
    }
  });

  it('setup gave both workspaces their grants and the home its execute-only entries (the starting point)', async () => {
    const s = state().users[inst!.user.name]!;
    assert.deepEqual(Object.keys(s.workspaces).sort(), [other, inst!.workspace].sort());
    const ids = [inst!.identity('offline').uid, inst!.identity('online').uid];
    assert.equal(entriesOf(getfacl([inst!.user.home]), ids).length, 2, getfacl([inst!.user.home]));
    assert.ok(entriesOf(getfacl(['-R', inst!.workspace]), ids).length > 0);
    for (const ws of [inst!.workspace, other]) {
      const r = await inst!.run(['true'], ['--workspace', ws]);
      assert.equal(r.status, 0, show(r));
    }
    // Offline sessions made the offline identity's homes; make the online one's too.
    const online = await inst!.run(['true'], ['--workspace', inst!.workspace, '--network', 'online']);
    assert.equal(online.status, 0, show(online));
    for (const kind of ['offline', 'online'] as const) {
      assert.ok(existsSync(`${inst!.identity(kind).home}/${workspaceHomeName(inst!.workspace)}`), `no ${kind} workspace home`);
    }
  });

  it('a directory that is not provisioned for the user: not_provisioned, exit 3, naming the provisioned ones', async () => {
    const stray = userDir(inst!.user, path.join(inst!.user.home, 'stray'));
    const r = await inst!.corral(['setup', '--remove-workspace', stray, '--yes', '--json']);
    assert.equal(r.status, 3, show(r));
    const d = json(r);
    assert.equal(d.error?.code, 'not_provisioned');
    assert.match(d.error?.remedy ?? '', new RegExp(inst!.workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const text = await inst!.corral(['setup', '--remove-workspace', path.join(inst!.user.home, 'missing'), '--yes']);
    assert.equal(text.status, 3, show(text));
    assert.match(text.stderr, /is not a provisioned workspace of .*\[not_provisioned\]/s);
    assert.doesNotMatch(text.stderr, /\n\s+at /, 'a stack trace');
    const mixed = await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--workspace', other, '--yes', '--json']);
    assert.equal(mixed.status, 2, show(mixed));
    assert.equal(json(mixed).error?.code, 'usage');
  });

  it('refuses while a session of the user runs (workspace_in_use, exit 1) and changes nothing', async () => {
    const before = readFileSync(stateFile, 'utf8');
    const aclBefore = getfacl(['-R', inst!.workspace]);
    // --fresh: a session of its own, which ends with this client (a kept one's runner would stay).
    live = spawn(NODE, [CLI, 'run', '--fresh', '--workspace', other, '--', 'sleep', '120'], { env: { ...process.env, ...inst!.rootEnv() }, cwd: other, stdio: 'ignore' });
    const off = inst!.identity('offline').uid;
    const started = await eventually(() => {
      try {
        return execFileSync('pgrep', ['-u', String(off), '-x', 'sleep'], { encoding: 'utf8' }).trim() !== '';
      } catch {
        return false;
      }
    }, 300);
    assert.ok(started, 'the session command never started');
    const r = await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--yes', '--json']);
    assert.equal(r.status, 1, show(r));
    assert.equal(json(r).error?.code, 'workspace_in_use');
    assert.equal(readFileSync(stateFile, 'utf8'), before);
    assert.equal(getfacl(['-R', inst!.workspace]), aclBefore);
    live.kill('SIGTERM');
    await new Promise((resolve) => live!.once('exit', resolve));
    live = undefined;
    const gone = await eventually(() => {
      try {
        execFileSync('pgrep', ['-u', String(off)], { encoding: 'utf8' });
        return false;
      } catch {
        return true;
      }
    }, 300);
    assert.ok(gone, 'the session\'s processes did not end');
  });

  it('refuses while a runner started for the user is still in its root phase (before its request), not for another user\'s', async () => {
    const runnerAs = async (sudoUid: number) => {
      // The real runner copy, as sudo starts it, waiting for its request on stdin (root, not yet the identity).
      const runner = spawn(`/usr/local/lib/${inst!.instance}/bin/node`, [`/usr/local/lib/${inst!.instance}/app/dist/runner/main.js`], {
        env: { PATH: '/usr/bin:/bin', CORRAL_INSTANCE: inst!.instance, SUDO_UID: String(sudoUid), SUDO_USER: 'x' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      try {
        assert.ok(await eventually(() => existsSync(`/proc/${runner.pid}/cmdline`) && readFileSync(`/proc/${runner.pid}/cmdline`, 'utf8').includes('runner/main.js')));
        return await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--dry-run', '--json']);
      } finally {
        runner.stdin.end();
        if (!(await eventually(() => runner.exitCode !== null || runner.signalCode !== null))) runner.kill('SIGKILL');
      }
    };
    const mine = await runnerAs(inst!.user.uid);
    assert.equal(mine.status, 1, show(mine));
    assert.equal(json(mine).error?.code, 'workspace_in_use');
    const theirs = await runnerAs(inst!.user.uid + 54321);
    assert.equal(theirs.status, 0, `another user's runner must not block: ${show(theirs)}`);
  });

  it('--dry-run shows the plan (revoke, keep the shared home entries, homes, state) and changes nothing', async () => {
    const before = readFileSync(stateFile, 'utf8');
    const r = await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--dry-run', '--json']);
    assert.equal(r.status, 0, show(r));
    const ids = (json(r).changes ?? []).map((c) => c.id.replace(/:.*/, ''));
    assert.deepEqual(ids, ['forget', 'keep', 'revoke-1', 'homes']);
    const text = await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--dry-run']);
    assert.match(text.stdout.toString(), /stays traversable by the identities \(workspace .*other needs it\)/);
    assert.equal(readFileSync(stateFile, 'utf8'), before);
  });

  it('on a terminal without --yes: shows the plan and asks; declining changes nothing (cancelled)', async function () {
    if (!existsSync('/usr/bin/script')) this.skip(); // needs util-linux script for a pseudo-terminal
    const before = readFileSync(stateFile, 'utf8');
    const aclBefore = getfacl(['-R', inst!.workspace]);
    const term = new Terminal(`${NODE} ${CLI} setup --remove-workspace ${inst!.workspace}`, inst!.rootEnv(), inst!.workspace);
    try {
      await term.waitFor(`Remove workspace ${inst!.workspace}?`);
      assert.match(term.text(), /Plan \(remove-workspace, 4 steps\)/);
      assert.match(term.text(), /stays traversable by the identities/);
      term.type(`n${ENTER}`);
      assert.equal(await term.exited, 1, term.text());
      assert.match(term.text(), /\[cancelled\]/);
    } finally {
      term.kill();
    }
    assert.equal(readFileSync(stateFile, 'utf8'), before);
    assert.equal(getfacl(['-R', inst!.workspace]), aclBefore);
  });

  it('removes one workspace given in a non-canonical form: its ACL entries and homes go, the other workspace and the shared home entries stay', async () => {
    const link = path.join(inst!.user.home, 'ws-link');
    symlinkSync(inst!.workspace, link);
    const s0 = state().users[inst!.user.name]!;
    const off = inst!.identity('offline');
    const on = inst!.identity('online');
    const r = await inst!.corral(['setup', '--remove-workspace', `${link}/`, '--yes']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.toString(), /Workspace removal done/);

    // No entry of the identities or the user is left anywhere in the workspace.
    const acl = getfacl(['-R', inst!.workspace]);
    assert.deepEqual(entriesOf(acl, [off.uid, on.uid, inst!.user.uid]), [], acl);
    // The home's execute-only entries stay: the other workspace needs them.
    assert.equal(entriesOf(getfacl([inst!.user.home]), [off.uid, on.uid]).length, 2);
    for (const id of [off, on]) assert.equal(existsSync(`${id.home}/${workspaceHomeName(inst!.workspace)}`), false, `${id.name}'s home for the workspace is left`);
    assert.equal(existsSync(`${off.home}/${workspaceHomeName(other)}`), true, 'the other workspace\'s home was deleted');

    const s1 = state().users[inst!.user.name]!;
    assert.deepEqual(Object.keys(s1.workspaces), [other]);
    const { workspaces: w0, ...rest0 } = s0;
    const { workspaces: w1, ...rest1 } = s1;
    assert.deepEqual(rest1, rest0);
    assert.deepEqual(w1[other], w0[other]);

    const refused = await inst!.run(['true'], ['--workspace', inst!.workspace, '--json']);
    assert.equal(refused.status, 3, show(refused));
    assert.equal(json(refused).error?.code, 'not_provisioned');
    const ok = await inst!.run(['sh', '-c', 'echo ok > out.txt && cat out.txt'], ['--workspace', other], { cwd: other });
    assert.equal(ok.status, 0, show(ok));
    assert.equal(ok.stdout.toString(), 'ok\n');
    const st = await inst!.corral(['status', '--json']);
    assert.equal(st.status, 0, show(st));

    const again = await inst!.corral(['setup', '--remove-workspace', inst!.workspace, '--yes', '--json']);
    assert.equal(again.status, 3, `a second removal: ${show(again)}`);
  });

  it('a workspace given away: status\'s remedy names --remove-workspace, and that command works; the last workspace takes the home\'s entries too (the home\'s ACL exactly as before setup), status clean', async () => {
    chownSync(other, 0, 0);
    const finding = await inst!.corral(['status', '--json']);
    assert.equal(finding.status, 1, show(finding));
    const item = (JSON.parse(finding.stdout.toString()) as { items: { id: string; remedy?: string; code?: string }[] }).items.find((i) => i.id === `workspace:${other}`);
    assert.equal(item?.code, 'workspace_not_owned');
    const suggested = `setup --remove-workspace ${other} --user ${inst!.user.name}`;
    assert.ok(item?.remedy?.includes(suggested), item?.remedy);
    const r = await inst!.corral([...suggested.split(' '), '--yes', '--json']);
    assert.equal(r.status, 0, show(r));
    assert.equal(getfacl([inst!.user.home]), homeAclBefore);
    const acl = getfacl(['-R', other]);
    assert.deepEqual(entriesOf(acl, [inst!.identity('offline').uid, inst!.identity('online').uid, inst!.user.uid]), [], acl);
    assert.deepEqual(state().users[inst!.user.name]!.workspaces, {});
    const st = await inst!.corral(['status', '--json']);
    assert.equal(st.status, 0, show(st));
  });

  it('a workspace moved away and replaced by a link: removed by the path it was provisioned under, with a warning whose command clears the moved tree', async () => {
    const gone = userDir(inst!.user, path.join(inst!.user.home, 'gone'));
    userDir(inst!.user, path.join(gone, 'sub'));
    const setup = await inst!.corral(['setup', '--yes', '--user', inst!.user.name, '--workspace', gone]);
    assert.equal(setup.status, 0, show(setup));
    const moved = `${gone}-moved`;
    renameSync(gone, moved);
    symlinkSync(moved, gone);
    const r = await inst!.corral(['setup', '--remove-workspace', gone, '--yes']);
    assert.equal(r.status, 0, show(r));
    const warning = /warning: .* is now a symbolic link: .*\(remove them with `(setfacl [^`]+)`\)/.exec(r.stdout.toString());
    assert.ok(warning !== null, r.stdout.toString());
    assert.deepEqual(state().users[inst!.user.name]!.workspaces, {});
    const ids = [inst!.identity('offline').uid, inst!.identity('online').uid];
    assert.ok(entriesOf(getfacl(['-R', moved]), ids).length > 0, 'the moved tree had no entries: the warning is about nothing');
    execFileSync('sh', ['-c', warning[1]!.replace(/DIR$/, moved)]);
    assert.deepEqual(entriesOf(getfacl(['-R', moved]), ids), [], 'the suggested command left entries');
    assert.equal(getfacl([inst!.user.home]), homeAclBefore);
  });
});
