/**
 * Issue 7 end to end (root): the real `corral setup` chooses idmap for an ext4 workspace and
 * the ACL fallback for one on overlayfs (which cannot be idmapped on this kernel but keeps
 * POSIX ACLs); real sessions through `corral run` write, and the real user's git works on
 * the result. Everything is removed in `after` (teardown, overlay unmount, users).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser, hex, NODE, removeUser, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type TestUser } from '../helpers/e2e.js';

const HELLO_CHILD = fileURLToPath(new URL('./hello-child.js', import.meta.url));

function extendedAcls(dir: string): string {
  return execFileSync('getfacl', ['-R', '-s', '-p', dir], { encoding: 'utf8' });
}

/** Every path under `dir` whose owner is not `uid` (find -not -uid). */
function notOwnedBy(dir: string, uid: number, except: string[] = []): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (except.includes(p)) return;
    if (statSync(p).uid !== uid) out.push(p);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

describe('idmapped workspaces end to end: setup, sessions, git, fallback (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let third: TestUser | undefined;
  let overlayRoot: string | undefined;
  let overlayMounted = false;
  let ws = '';
  let ovWs = '';
  let user: TestUser;
  let group: string | undefined;
  const git = (args: string[]) => runProgram('git', ['-c', 'user.name=Real User', '-c', 'user.email=real@example.invalid', ...args], { asUser: user, cwd: ws });

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctiu');
    user = inst.user;
    ws = inst.workspace;
    third = createUser('ctit');
    // A repository the real user made, with one commit.
    assert.equal((await git(['init', '-q', ws])).status, 0);
    userFile(user, path.join(ws, 'tracked.txt'), 'v1\n', 0o644);
    assert.equal((await git(['add', 'tracked.txt'])).status, 0);
    const c = await git(['commit', '-q', '-m', 'first']);
    assert.equal(c.status, 0, show(c));
    userFile(user, path.join(ws, 'plain-0644.txt'), 'plain\n', 0o644);
    const cp = await runProgram('cp', ['-p', 'plain-0644.txt', 'copied-p.txt'], { asUser: user, cwd: ws });
    assert.equal(cp.status, 0, show(cp));
    userFile(third, path.join(ws, 'third.txt'), 'third\n', 0o666);
    // A file of the real user whose group is one of their supplementary groups.
    group = `ctig${hex(3)}`;
    execFileSync('groupadd', [group]);
    execFileSync('usermod', ['-a', '-G', group, user.name]);
    userFile(user, path.join(ws, 'team.txt'), 'team\n', 0o664);
    execFileSync('chgrp', [group, path.join(ws, 'team.txt')]);

    // A workspace on overlayfs: POSIX ACLs work there, idmapped mounts do not (EINVAL).
    overlayRoot = mkdtempSync('/tmp/ctest-ovl-');
    execFileSync('chmod', ['0755', overlayRoot]);
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(overlayRoot, d));
    execFileSync('mount', ['-t', 'overlay', 'ctest-overlay', '-o',
      `lowerdir=${overlayRoot}/lower,upperdir=${overlayRoot}/upper,workdir=${overlayRoot}/work`, `${overlayRoot}/merged`]);
    overlayMounted = true;
    ovWs = userDir(user, path.join(overlayRoot, 'merged', 'ws'));

    await inst.setup(['--workspace', ovWs]);
  });

  after(async () => {
    try {
      await inst?.teardown();
    } finally {
      if (overlayMounted) execFileSync('umount', [`${overlayRoot}/merged`]);
      if (overlayRoot !== undefined) rmSync(overlayRoot, { recursive: true, force: true });
      removeUser(third);
      if (group !== undefined) execFileSync('groupdel', [group]);
    }
  });

  async function hello(workspace: string): Promise<{ workspaceAccess: string; warnings: string[] }> {
    const r = await runProgram(NODE, [HELLO_CHILD, workspace], { env: inst!.rootEnv(), cwd: workspace });
    assert.equal(r.status, 0, show(r));
    return JSON.parse(r.stdout.toString('utf8')) as { workspaceAccess: string; warnings: string[] };
  }

  it('setup records idmap for the ext4 workspace and acl for the overlayfs one, and status says which', async () => {
    const state = JSON.parse(readFileSync(`/var/lib/${inst!.instance}/state.json`, 'utf8')) as {
      users: Record<string, { workspaces: Record<string, { access: string }> }>;
    };
    const recorded = state.users[user.name]!.workspaces;
    assert.equal(recorded[ws]?.access, 'idmap');
    assert.equal(recorded[ovWs]?.access, 'acl');
    const status = await inst!.corral(['status']);
    const text = status.stdout.toString('utf8');
    assert.ok(text.includes(`workspace ${ws} (idmap)`), text);
    assert.ok(text.includes(`workspace ${ovWs} (ACL grants)`), text);
  });

  it('setup adds no ACL entry inside the idmapped workspace (and does on the fallback one)', () => {
    assert.equal(extendedAcls(ws), '');
    assert.notEqual(extendedAcls(ovWs), '', 'the fallback workspace must carry the ACL grants');
  });

  it('hello reports idmap without a warning, and acl with a warning for the fallback', async () => {
    const idm = await hello(ws);
    assert.equal(idm.workspaceAccess, 'idmap');
    assert.deepEqual(idm.warnings.filter((w) => /ACL|idmap/i.test(w)), []);
    const acl = await hello(ovWs);
    assert.equal(acl.workspaceAccess, 'acl');
    assert.ok(acl.warnings.some((w) => w.includes(ovWs) && w.includes('ACL')), JSON.stringify(acl.warnings));
  });

  it('a session writes the real user\'s 0644, cp -p and supplementary-group files, its new files belong to the real user, third-user files stay read-only', async () => {
    const r = await inst!.run(['sh', '-c', 'echo s >> plain-0644.txt && echo s >> copied-p.txt && echo s >> team.txt && mkdir -p made/deep && echo n > made/deep/new.txt']);
    assert.equal(r.status, 0, show(r));
    assert.equal(readFileSync(path.join(ws, 'team.txt'), 'utf8'), 'team\ns\n', 'a file of a supplementary group of the real user stays writable');
    assert.equal(readFileSync(path.join(ws, 'plain-0644.txt'), 'utf8'), 'plain\ns\n');
    assert.equal(readFileSync(path.join(ws, 'copied-p.txt'), 'utf8'), 'plain\ns\n');
    for (const p of ['made', 'made/deep', 'made/deep/new.txt']) {
      const st = statSync(path.join(ws, p));
      assert.deepEqual([st.uid, st.gid], [user.uid, user.gid], `${p} must belong to the real user on disk`);
    }
    const denied = await inst!.run(['sh', '-c', 'echo s >> third.txt']);
    assert.notEqual(denied.status, 0, show(denied));
    assert.equal(readFileSync(path.join(ws, 'third.txt'), 'utf8'), 'third\n');
    const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(ws) === true);
    assert.deepEqual(left, [], 'no mount of the session may be left on the host');
  });

  it('protected paths stay read-only on top of the idmapped mount', async () => {
    const configBefore = readFileSync(path.join(ws, '.git', 'config'), 'utf8');
    const control = await inst!.run(['sh', '-c', 'cat .git/config >/dev/null && echo ok > not-protected.txt']);
    assert.equal(control.status, 0, show(control));
    for (const cmd of ['echo x >> .git/config', 'echo x > .git/hooks/pre-commit', 'mv .git .git-moved', 'mkdir .corral/x']) {
      const r = await inst!.run(['sh', '-c', cmd]);
      assert.notEqual(r.status, 0, `${cmd} must fail: ${show(r)}`);
    }
    assert.equal(readFileSync(path.join(ws, '.git', 'config'), 'utf8'), configBefore);
    assert.throws(() => statSync(path.join(ws, '.git', 'hooks', 'pre-commit')));
  });

  it('after a session wrote, the real user runs git status and git commit with no ownership warning', async () => {
    const w = await inst!.run(['sh', '-c', 'echo v2 >> tracked.txt && echo fresh > fresh.txt']);
    assert.equal(w.status, 0, show(w));
    assert.deepEqual(notOwnedBy(ws, user.uid, [path.join(ws, 'third.txt')]), [], 'every file but the third user\'s belongs to the real user');
    const st = await git(['status', '--porcelain']);
    assert.equal(st.status, 0, show(st));
    assert.equal(st.stderr, '', 'git status must print no warning');
    assert.match(st.stdout.toString(), / M tracked\.txt/);
    assert.match(st.stdout.toString(), /\?\? fresh\.txt/);
    const add = await git(['add', '-A']);
    assert.equal(add.status, 0, show(add));
    const commit = await git(['commit', '-q', '-m', 'after the session']);
    assert.equal(commit.status, 0, show(commit));
    assert.doesNotMatch(commit.stderr, /dubious|unsafe/i);
    const log = await git(['log', '--format=%s']);
    assert.equal(log.stdout.toString(), 'after the session\nfirst\n');
    // The real user may also chmod what the session made (impossible when the identity owns it).
    const chmod = await runProgram('chmod', ['0600', 'fresh.txt'], { asUser: user, cwd: ws });
    assert.equal(chmod.status, 0, show(chmod));
  });

  it('the ACL fallback works and is visible: corral run warns, the session writes through the grants', async () => {
    const r = await inst!.run(['sh', '-c', 'echo via-acl > f.txt && cat f.txt'], ['--workspace', ovWs], { cwd: ovWs });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'via-acl\n');
    assert.match(r.stderr, /corral: warning: .*ACL/);
    // With ACL grants the file belongs to the identity: the difference idmapping removes.
    const offline = inst!.identity('offline');
    assert.equal(statSync(path.join(ovWs, 'f.txt')).uid, offline.uid);
  });
});
