/**
 * End to end, as root, with the real runner: what a sandboxed command may write and read.
 * Every refusal is checked twice — the command fails, and the file really is not there (or
 * unchanged) on the host — and each is paired with a control showing the path is otherwise
 * reachable, so a test cannot pass because of a typo or a missing tool.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createUser, hex, removeUser, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type TestUser } from './helpers/e2e.js';

describe('corral run end to end: filesystem (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let other: TestUser | undefined;
  const tag = hex(4);
  const hostPaths = {
    etc: `/etc/ctest-${tag}`,
    varTmp: `/var/tmp/ctest-${tag}`,
    devShm: `/dev/shm/ctest-${tag}`,
    worldWritable: `/var/lib/ctest-ww-${tag}`,
  };
  const secret = `SECRET-${hex(8)}`;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    const ws = inst.workspace;
    const u = inst.user;
    // A git repository, as the real user made it.
    const git = await runProgram('git', ['init', '-q', ws], { asUser: u });
    assert.equal(git.status, 0, show(git));
    userDir(u, path.join(ws, 'a'));
    userDir(u, path.join(ws, 'b'));
    userFile(u, path.join(ws, 'a', 'moved.txt'), 'move me\n');
    // A secret the policy hides (denyRead ~/.ssh) although plain permissions would let anyone read it.
    userDir(u, path.join(u.home, '.ssh'), 0o755);
    userFile(u, path.join(u.home, '.ssh', 'id_test'), secret, 0o644);
    userFile(u, path.join(u.home, 'public.txt'), 'public\n', 0o644);
    // Places a sandbox must not write although their modes would let it.
    other = createUser('ctw');
    userDir(other, path.join(other.home, 'open'), 0o777);
    execChmod(other.home, 0o755);
    mkdirSync(hostPaths.worldWritable, { mode: 0o777 });
    execChmod(hostPaths.worldWritable, 0o777);
    await inst.setup();
  });
  after(async () => {
    for (const p of Object.values(hostPaths)) rmSync(p, { recursive: true, force: true });
    removeUser(other);
    await inst?.teardown();
  });

  function execChmod(p: string, mode: number): void {
    // chmod after mkdir: the umask narrowed the mode given to mkdir.
    chmodSync(p, mode);
  }

  it('writes inside the workspace succeed, and the real user can read, edit and delete the results', async () => {
    const r = await inst!.run(['sh', '-c', 'mkdir -p out/deep && echo made > out/deep/f.txt && cat out/deep/f.txt']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'made\n');
    assert.equal(readFileSync(path.join(inst!.workspace, 'out/deep/f.txt'), 'utf8'), 'made\n');
    const edit = await runProgram('sh', ['-c', 'cat out/deep/f.txt && echo edited >> out/deep/f.txt && rm -r out && echo done'], {
      asUser: inst!.user,
      cwd: inst!.workspace,
    });
    assert.equal(edit.status, 0, show(edit));
    assert.equal(edit.stdout.toString(), 'made\ndone\n');
    assert.equal(existsSync(path.join(inst!.workspace, 'out')), false);
  });

  for (const [label, key] of [
    ['/var/tmp', 'varTmp'],
    ['/dev/shm', 'devShm'],
  ] as const) {
    it(`writes to ${label} stay in the session's private tmpfs: the host's ${label} never gets them`, async () => {
      const target = hostPaths[key];
      const r = await inst!.run(['sh', '-c', 'echo pwned > "$1" && cat "$1"', 'sh', target]);
      assert.equal(r.status, 0, show(r));
      assert.equal(existsSync(target), false, `${target} exists on the host`);
    });
  }

  for (const [label, key] of [
    ['/etc', 'etc'],
    ['a world-writable directory outside the policy', 'worldWritable'],
  ] as const) {
    it(`writes to ${label} fail`, async () => {
      const target = key === 'worldWritable' ? path.join(hostPaths.worldWritable, 'f') : hostPaths[key];
      if (key === 'worldWritable') assert.equal(statSync(hostPaths.worldWritable).mode & 0o777, 0o777, 'control: the directory is world-writable');
      const r = await inst!.run(['sh', '-c', 'echo pwned > "$1"', 'sh', target]);
      assert.notEqual(r.status, 0, show(r));
      assert.equal(existsSync(target), false, `${target} exists on the host`);
    });
  }

  it("writes to another user's world-writable directory fail", async () => {
    const target = path.join(other!.home, 'open', 'f');
    const r = await inst!.run(['sh', '-c', 'echo pwned > "$1"', 'sh', target]);
    assert.notEqual(r.status, 0, show(r));
    assert.equal(existsSync(target), false);
  });

  it('.git can be read but not written, deleted, renamed or replaced, and no hook can be created', async () => {
    const gitDir = path.join(inst!.workspace, '.git');
    const before = readdirSync(gitDir).sort();
    const headBefore = readFileSync(path.join(gitDir, 'HEAD'), 'utf8');
    const control = await inst!.run(['cat', '.git/HEAD']);
    assert.equal(control.status, 0, show(control));
    assert.equal(control.stdout.toString(), headBefore);
    const attempts: [string, string][] = [
      ['write a file in .git', 'echo "ref: refs/heads/evil" > .git/HEAD'],
      ['create a hook', 'echo "#!/bin/sh" > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit'],
      ['delete .git', 'rm -rf .git'],
      ['rename .git', 'mv .git .git-moved'],
      ['replace .git', 'mkdir -p fake/.git-new && mv -T fake/.git-new .git'],
      ['replace .git after moving it', 'mv .git old-git; mkdir .git && echo evil > .git/HEAD'],
    ];
    for (const [what, script] of attempts) {
      const r = await inst!.run(['sh', '-c', script]);
      assert.notEqual(r.status, 0, `${what}: ${show(r)}`);
    }
    assert.deepEqual(readdirSync(gitDir).sort(), before);
    assert.equal(readFileSync(path.join(gitDir, 'HEAD'), 'utf8'), headBefore);
    assert.equal(existsSync(path.join(gitDir, 'hooks', 'pre-commit')), false);
    assert.equal(existsSync(path.join(inst!.workspace, '.git-moved')), false);
    assert.equal(existsSync(path.join(inst!.workspace, 'old-git')), false);
  });

  it('the real user\'s home is hidden: a 0644 file in it cannot be read unless readRoots names it', async () => {
    const hidden = await inst!.run(['cat', path.join(inst!.user.home, 'public.txt')]);
    assert.notEqual(hidden.status, 0, `the home is readable by default: ${show(hidden)}`);
    assert.ok(!hidden.stdout.toString().includes('public'));
  });

  it('a read-deny path cannot be read even inside readRoots, while a neighbour with the same permissions can', async () => {
    const configDir = path.join(inst!.user.home, '.config', inst!.instance);
    userDir(inst!.user, path.join(inst!.user.home, '.config'));
    userDir(inst!.user, configDir);
    userFile(inst!.user, path.join(configDir, 'config.json'), JSON.stringify({ readRoots: ['~/public.txt', '~/.ssh'] }));
    const control = await inst!.run(['cat', path.join(inst!.user.home, 'public.txt')]);
    assert.equal(control.status, 0, `control: readRoots brings the file back: ${show(control)}`);
    const r = await inst!.run(['cat', path.join(inst!.user.home, '.ssh', 'id_test')]);
    assert.notEqual(r.status, 0, show(r));
    assert.ok(!r.stdout.toString().includes(secret), 'the secret was printed');
    const listing = await inst!.run(['sh', '-c', 'grep -r SECRET "$1" 2>/dev/null; true', 'sh', path.join(inst!.user.home, '.ssh')]);
    assert.ok(!listing.stdout.toString().includes(secret), 'the secret was found by grep');
  });

  it('moving a file between two workspace folders works', async () => {
    const r = await inst!.run(['mv', 'a/moved.txt', 'b/moved.txt']);
    assert.equal(r.status, 0, show(r));
    assert.equal(readFileSync(path.join(inst!.workspace, 'b', 'moved.txt'), 'utf8'), 'move me\n');
    assert.equal(existsSync(path.join(inst!.workspace, 'a', 'moved.txt')), false);
  });
});
