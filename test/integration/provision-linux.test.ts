/**
 * Linux provisioning on the real machine (root): `corral setup`, `status` and `teardown`
 * run as child processes against dist/, as a user would, with a private installation
 * name (CORRAL_INSTANCE=ctest…) and a throwaway real user and workspace. The tests run in
 * order and share one installation; `after` removes everything even when they fail.
 */
import { networkIdentity } from '../../core/vocabulary.js';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { applyPlan } from '../../orchestrator/apply-plan.js';
import { Journal } from '../../orchestrator/journal.js';
import type { SetupRequest } from '../../orchestrator/platform.js';
import { loadPolicy } from '../../orchestrator/policy/load.js';
import { createLinuxProvisioner } from '../../orchestrator/provision/linux/provisioner.js';
import { resolveLinuxRealUser } from '../../orchestrator/provision/linux/real-user.js';
import { assertSameLines, assertSameRuleset, describeResult, killedAtWrite, ProvisionFixture, runCli, sh, snapshot, type Snapshot } from './helpers/provision.js';

interface Passwd {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

function getent(db: 'passwd' | 'group', key: string): string[] | null {
  const r = spawnSync('getent', [db, key], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(':') : null;
}

function passwd(name: string): Passwd {
  const f = getent('passwd', name);
  assert.ok(f !== null, `account ${name} missing`);
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! };
}

function aclOf(p: string): string[] {
  return sh('getfacl', ['-p', '-E', '--omit-header', p]).split('\n').filter((l) => l !== '');
}

function json(r: { stdout: string }): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Run `argv` as `account` (uid, primary gid, no supplementary groups). */
function asIdentity(account: Passwd, argv: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid', String(account.uid), '--regid', String(account.gid), '--clear-groups', '--', ...argv], {
    encoding: 'utf8',
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', HOME: account.home },
  });
  return { status: r.status, stderr: r.stderr };
}

describe('Linux provisioning (root): setup, status, teardown on the real machine', function () {
  const fx = new ProvisionFixture();
  let baseline: Snapshot;
  let ws: string;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: needs root — the suite creates users, groups, nft tables and a sudoers drop-in)');
      this.skip();
    }
    fx.createUser();
    ws = fx.workspace;
    const own = (p: string) => chownSync(p, fx.uid, fx.gid);
    for (const d of [ws, path.join(ws, '.git'), path.join(ws, 'src'), path.join(ws, 'shared')]) {
      mkdirSync(d, { recursive: true });
      own(d);
    }
    for (const [f, text] of [
      ['.git/HEAD', 'ref: refs/heads/main\n'],
      ['src/a.txt', 'a\n'],
      ['notes.txt', 'user entry before setup\n'],
      ['run.sh', '#!/bin/sh\n'],
    ] as const) {
      writeFileSync(path.join(ws, f), text);
      own(path.join(ws, f));
    }
    sh('chmod', ['0755', path.join(ws, 'run.sh')]);
    // ACL entries the user had before setup: they must survive teardown exactly.
    sh('setfacl', ['-m', 'u:nobody:r--', path.join(ws, 'notes.txt')]);
    sh('setfacl', ['-m', `u:${fx.userName}:r--`, path.join(ws, 'src', 'a.txt')]);
    sh('setfacl', ['-m', 'd:u:nobody:r-x', path.join(ws, 'shared')]);
    baseline = snapshot(fx);
  });

  after(async function () {
    this.timeout(300_000);
    if (fx.uid !== -1) await fx.cleanup();
  });

  it('refuses bad input with exit 2 and changes nothing', async () => {
    const cases: [string, string[]][] = [
      ['unknown flag', ['setup', '--yes', '--bogus']],
      ['nonexistent workspace', ['setup', '--yes', '--workspace', path.join(ws, 'nope')]],
      ['a file as workspace', ['setup', '--yes', '--workspace', path.join(ws, 'notes.txt')]],
      ['a workspace not owned by the user', ['setup', '--yes', '--workspace', '/usr/share']],
      ['bad --network', ['setup', '--yes', '--network', 'sideways']],
    ];
    for (const [what, args] of cases) {
      const r = await fx.corral(args);
      assert.equal(r.status, 2, `${what}: ${describeResult(r)}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    }
    // A malformed user config: exit 2, naming the file.
    const cfgDir = path.join(fx.home, '.config', fx.instance);
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(path.join(cfgDir, 'config.json'), '{"network": "sideways"}');
    try {
      const r = await fx.corral(['setup', '--yes', '--json']);
      assert.equal(r.status, 2, describeResult(r));
      const doc = json(r) as { error: { code: string; message: string } };
      assert.equal(doc.error.code, 'config_invalid');
      assert.ok(doc.error.message.includes(path.join(cfgDir, 'config.json')), doc.error.message);
    } finally {
      rmSync(path.join(fx.home, '.config'), { recursive: true, force: true });
    }
    const now = snapshot(fx);
    assertSameLines('/etc/passwd', fx, baseline.passwd, now.passwd);
    assertSameLines('/etc/group', fx, baseline.group, now.group);
    assertSameRuleset(fx, baseline.nft, now.nft);
    assert.equal(now.acl, baseline.acl);
    assert.ok(!existsSync(fx.inst.stateDir) && !existsSync(fx.inst.libDir) && !existsSync(fx.inst.sudoersFile));
  });

  it('without root: exit 4 with the exact sudo command to run', async () => {
    const r = await runCli(['setup', '--workspace', ws, '--yes'], { asUser: fx.userName, cwd: ws, env: { CORRAL_INSTANCE: fx.instance } });
    assert.equal(r.status, 4, describeResult(r));
    assert.match(r.stderr, /sudo .*setup --workspace \S+ --yes/);
    assert.match(r.stderr, /\[not_elevated\]/);
  });

  it('--dry-run prints the exact commands and changes nothing', async () => {
    const r = await fx.corral(['setup', '--dry-run', '--workspace', ws]);
    assert.equal(r.status, 0, describeResult(r));
    assert.match(r.stdout, new RegExp(`groupadd --system ${fx.inst.sandboxGroup}`));
    assert.match(r.stdout, new RegExp(`useradd --system .*${fx.names.offline}`));
    assert.match(r.stdout, /setfacl -R -P -m /);
    assert.match(r.stdout, /nft -f -/);
    const now = snapshot(fx);
    assertSameLines('/etc/passwd', fx, baseline.passwd, now.passwd);
    assert.ok(!existsSync(fx.inst.stateDir));
  });

  it('a crash in the middle (killed after the firewall step) leaves a journal from which a re-run converges', async () => {
    // Journal writes: begin/done of two groups, two identities, the membership, then the
    // firewall's begin (11) and done (12): killed on entry to write 12, after the table is written.
    await killedAtWrite(fx, ['setup', '--yes', '--workspace', ws], 12);
    const pending = Journal.inDir(fx.inst.stateDir).pending();
    assert.equal(pending.at(-1)?.step, `firewall:${fx.instance}`);
    assert.equal(pending.at(-1)?.status, 'begun');
    assert.ok(!existsSync(path.join(fx.inst.stateDir, 'state.json')), 'state is recorded only once setup completes');

    const r = await fx.corral(['setup', '--yes', '--workspace', ws, '--json']);
    assert.equal(r.status, 0, describeResult(r));
    const ids = (json(r).steps as { id: string }[]).map((s) => s.id);
    assert.ok(!ids.some((id) => id.startsWith('user:') || id.startsWith('group:')), `accounts were not created twice: ${ids.join(', ')}`);
  });

  it('setup created exactly the expected users, groups, nft rules, sudoers file, runner copy and ACL entries', () => {
    const off = passwd(fx.names.offline);
    const on = passwd(fx.names.online);
    const sandbox = getent('group', fx.inst.sandboxGroup)!;
    const users = getent('group', fx.inst.userGroup)!;
    for (const id of [off, on]) {
      assert.equal(id.shell, '/usr/sbin/nologin');
      assert.equal(id.home, path.join(fx.inst.homeBase, id.name));
      assert.equal(id.gid, Number(sandbox[2]));
      const st = statSync(id.home);
      assert.equal(st.uid, id.uid);
      assert.equal(st.mode & 0o777, 0o700);
    }
    assert.deepEqual(users[3]!.split(','), [fx.userName]);
    // Exactly two new passwd lines and two new group lines, all ours.
    const added = (a: string, b: string) => a.split('\n').filter((l) => !b.split('\n').includes(l) && fx.isOurs(l));
    assert.deepEqual(added(readFileSync('/etc/passwd', 'utf8'), baseline.passwd).map((l) => l.split(':')[0]).sort(), [on.name, off.name].sort());
    assert.deepEqual(
      added(readFileSync('/etc/group', 'utf8'), baseline.group).map((l) => l.split(':')[0]).sort(),
      [fx.inst.userGroup, fx.inst.sandboxGroup].sort(),
    );

    const table = JSON.parse(sh('nft', ['-j', 'list', 'table', 'inet', fx.instance])) as { nftables: Record<string, Record<string, unknown>>[] };
    const chains = table.nftables.filter((x) => x.chain !== undefined).map((x) => x.chain!);
    assert.deepEqual(chains.map((c) => [c.name, c.hook, c.policy]), [['output', 'output', 'accept']]);
    const rules = table.nftables.filter((x) => x.rule !== undefined).map((x) => JSON.stringify((x.rule as { expr: unknown }).expr));
    assert.deepEqual(rules, [
      JSON.stringify([{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: off.uid } }, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }]),
    ]);

    const sudoers = readFileSync(fx.inst.sudoersFile, 'utf8');
    const ruleLines = sudoers.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(ruleLines, [`%${fx.instance} ALL=(root) NOPASSWD: ${fx.inst.runnerNode} ${fx.inst.runnerEntry}`]);
    const sst = statSync(fx.inst.sudoersFile);
    assert.equal(sst.mode & 0o7777, 0o440);
    assert.equal(sst.uid, 0);
    execFileSync('visudo', ['-c', '-q']);

    for (const p of [fx.inst.runnerNode, path.join(fx.inst.libDir, 'app', 'package.json')]) {
      const st = statSync(p);
      assert.equal(st.uid, 0, p);
      assert.equal(st.mode & 0o022, 0, p);
    }
    // The installed copy loads koffi from its own node_modules (what the runner imports).
    const koffi = spawnSync(fx.inst.runnerNode, ['--input-type=module', '-e', "const k = await import('koffi'); console.log(typeof k.default.load)"], {
      cwd: path.join(fx.inst.libDir, 'app'),
      encoding: 'utf8',
    });
    assert.equal(koffi.stdout.trim(), 'function', koffi.stderr);

    const wsAcl = aclOf(ws);
    for (const n of [off.name, on.name, fx.userName]) {
      assert.ok(wsAcl.includes(`user:${n}:rwx`), `${n} on ${ws}: ${wsAcl.join(' ')}`);
      assert.ok(wsAcl.includes(`default:user:${n}:rwx`), `default ${n} on ${ws}`);
    }
    const fileAcl = aclOf(path.join(ws, 'src', 'a.txt'));
    assert.ok(fileAcl.includes(`user:${off.name}:rw-`), fileAcl.join(' '));
    assert.ok(aclOf(path.join(ws, 'run.sh')).includes(`user:${off.name}:rwx`));
    const gitAcl = aclOf(path.join(ws, '.git'));
    assert.ok(gitAcl.includes(`user:${off.name}:r-x`) && gitAcl.includes(`default:user:${on.name}:r-x`), gitAcl.join(' '));
    assert.ok(aclOf(path.join(ws, '.git', 'HEAD')).includes(`user:${off.name}:r--`));
    const homeAcl = aclOf(fx.home);
    assert.ok(homeAcl.includes(`user:${off.name}:--x`) && homeAcl.includes(`user:${on.name}:--x`), homeAcl.join(' '));
    assert.ok(!homeAcl.some((l) => l.startsWith('default:')), 'no default entries on ancestors');
  });

  it('enforcement: identities write the workspace but not .git; the offline identity cannot connect, the online one can', async () => {
    const off = passwd(fx.names.offline);
    const on = passwd(fx.names.online);
    const target = path.join(ws, 'src', 'by-identity.txt');
    assert.equal(asIdentity(off, ['touch', target]).status, 0, 'offline identity writes in the workspace');
    assert.ok(existsSync(target));
    const git = asIdentity(off, ['touch', path.join(ws, '.git', 'evil')]);
    assert.notEqual(git.status, 0);
    assert.match(git.stderr, /Permission denied/);
    assert.ok(!existsSync(path.join(ws, '.git', 'evil')));
    rmSync(target);

    const server = net.createServer((s) => s.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const client = `const s = require('net').connect(${port}, '127.0.0.1'); s.on('data', () => { console.log('connected'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(3); });`;
      const runAs = (acct: Passwd) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn('setpriv', ['--reuid', String(acct.uid), '--regid', String(acct.gid), '--clear-groups', '--', fx.inst.runnerNode, '-e', client], { cwd: '/' });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('close', (code: number | null) => resolve({ code, out: out.trim() }));
        });
      const blocked = await runAs(off);
      assert.equal(blocked.code, 3, `offline identity reached 127.0.0.1:${port}: ${blocked.out}`);
      const allowed = await runAs(on);
      assert.equal(allowed.out, 'connected');
    } finally {
      server.close();
    }
  });

  it('a second setup reports no changes', async () => {
    const r = await fx.corral(['setup', '--yes', '--workspace', ws, '--json']);
    assert.equal(r.status, 0, describeResult(r));
    const doc = json(r);
    assert.equal(doc.changed, false);
    assert.deepEqual(doc.changes, []);
    const text = await fx.corral(['setup', '--yes', '--workspace', ws]);
    assert.match(text.stdout, /Nothing to do/);
  });

  it('status reports each kind of drift with exit 1, and setup repairs it', async () => {
    const clean = await fx.corral(['status', '--json']);
    assert.equal(clean.status, 0, describeResult(clean));

    sh('userdel', [fx.names.online]);
    sh('nft', ['flush', 'table', 'inet', fx.instance]);
    sh('setfacl', ['-x', `u:${fx.names.offline}`, ws]);
    appendFileSync(fx.inst.sudoersFile, `${fx.userName} ALL=(ALL) NOPASSWD: ALL\n`);
    chownSync(path.join(fx.inst.libDir, 'app', 'package.json'), fx.uid, fx.gid);

    const r = await fx.corral(['status', '--json']);
    assert.equal(r.status, 1, describeResult(r));
    const doc = json(r) as { items: { id: string; state: string }[]; error: { code: string } };
    assert.equal(doc.error.code, 'drift_detected');
    const state = (id: string) => doc.items.find((i) => i.id === id)?.state;
    assert.equal(state(`user:${fx.names.online}`), 'missing');
    assert.equal(state(`firewall:${fx.instance}`), 'drifted');
    assert.equal(state(`workspace:${ws}`), 'drifted');
    assert.equal(state('sudoers'), 'drifted');
    assert.equal(state('runner'), 'drifted');
    assert.equal(state(`user:${fx.names.offline}`), 'ok');

    const repair = await fx.corral(['setup', '--yes', '--workspace', ws]);
    assert.equal(repair.status, 0, describeResult(repair));
    const after = await fx.corral(['status']);
    assert.equal(after.status, 0, describeResult(after));
  });

  it('a step that throws stops the run (direct call); planning again converges', async () => {
    sh('nft', ['flush', 'table', 'inet', fx.instance]);
    sh('setfacl', ['-x', `u:${fx.names.online}`, ws]);
    const prov = createLinuxProvisioner(fx.inst);
    const realUser = resolveLinuxRealUser(fx.userName);
    const policy = loadPolicy({ installation: fx.inst, home: realUser.home, cwd: ws, workspace: ws });
    const request = { realUser, workspaces: [ws], network: networkIdentity(policy.policy.network), policy };
    process.env.CORRAL_TEST_WORKSPACE_ACCESS = 'acl';
    try {
      await throwThenConverge(prov, request);
    } finally {
      delete process.env.CORRAL_TEST_WORKSPACE_ACCESS;
    }
  });

  async function throwThenConverge(prov: ReturnType<typeof createLinuxProvisioner>, request: SetupRequest): Promise<void> {
    const plan = await prov.planSetup(request);
    const fw = plan.steps.find((s) => s.id === `firewall:${fx.instance}`)!;
    const realApply = fw.apply;
    fw.apply = async () => {
      await realApply();
      throw new Error('simulated failure after the table was written');
    };
    await assert.rejects(applyPlan(plan, prov.journal, 'json'), /simulated failure/);
    assert.equal(prov.journal.pending().at(-1)?.step, `firewall:${fx.instance}`);
    const again = await createLinuxProvisioner(fx.inst).planSetup(request);
    assert.deepEqual(
      again.steps.map((s) => s.id),
      [`grant:${ws}`, 'state'],
    );
    await applyPlan(again, prov.journal, 'json');
    const status = await createLinuxProvisioner(fx.inst).status();
    assert.deepEqual(status.items.filter((i) => i.state !== 'ok'), []);
  }

  it('teardown restores /etc/passwd, /etc/group, the nft ruleset and the workspace ACLs exactly', async () => {
    const dry = await fx.corral(['teardown', '--dry-run']);
    assert.equal(dry.status, 0, describeResult(dry));
    assert.match(dry.stdout, /userdel/);
    assert.ok(existsSync(fx.inst.sudoersFile), 'dry run changed nothing');

    const r = await fx.corral(['teardown', '--yes', '--json']);
    assert.equal(r.status, 0, describeResult(r));
    const now = snapshot(fx);
    assertSameLines('/etc/passwd', fx, baseline.passwd, now.passwd);
    assertSameLines('/etc/group', fx, baseline.group, now.group);
    assertSameRuleset(fx, baseline.nft, now.nft);
    assert.equal(now.acl, baseline.acl, 'workspace and ancestor ACLs (getfacl -R) are as before setup');
    for (const p of [fx.inst.stateDir, fx.inst.libDir, fx.inst.sudoersFile]) assert.ok(!existsSync(p), `${p} removed`);

    const again = await fx.corral(['teardown', '--yes', '--json']);
    assert.equal(again.status, 0, describeResult(again));
    assert.equal(json(again).changed, false);
    const status = await fx.corral(['status']);
    assert.equal(status.status, 3, describeResult(status));
  });
});
