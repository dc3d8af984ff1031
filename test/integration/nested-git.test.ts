/**
 * Nested git, attacked for real (root sets up; a real test user, an idmapped workspace, real
 * `corral run` sessions): the real user's repository has a populated submodule (`ext/sub`,
 * whose `.git` is a `gitdir:` file), an uninitialized one whose directory is empty
 * (`empty-slot`), one whose directory is gone (`gone/slot`), and an untracked nested
 * repository (`vendor/lib`). A session builds a git directory with `core.fsmonitor` set to a
 * script of its own, and tries every way to make the real user's git use it: rewrite,
 * replace or move the submodule's `.git` file, plant one in the empty or missing slot, rename
 * the directories above them, edit the nested repository's config. Then the real user runs a
 * plain `git status`, and the script must not have run. The control repoints the `.git` file
 * from the host, as the session would have, and shows that the same `git status` does run it.
 *
 * Under idmapping what the session makes belongs to the real user on disk, so their git
 * trusts it: no `safe.directory` is needed for the attack, as the control shows.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, userDir, userFile, type TestUser } from './helpers/e2e.js';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';

describe('nested git: a session cannot make the real user\'s git run its code (root, real user, idmap)', function () {
  this.timeout(300_000);
  let inst: TestInstallation | undefined;
  let user: TestUser;
  let ws = '';
  let marker = '';
  const subGitText = 'gitdir: ../../.git/modules/ext/sub\n';
  const git = (args: string[], cwd = ws) =>
    runProgram('git', ['-c', 'user.name=Real User', '-c', 'user.email=real@example.invalid', '-c', 'protocol.file.allow=always', ...args], { asUser: user, cwd });
  const ok = async (args: string[], cwd = ws) => {
    const r = await git(args, cwd);
    assert.equal(r.status, 0, `git ${args.join(' ')}: ${show(r)}`);
    return r;
  };

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctng');
    user = inst.user;
    ws = inst.workspace;
    marker = path.join(user.home, 'FSMONITOR-RAN');
    const lib = userDir(user, path.join(user.home, 'lib'));
    await ok(['init', '-q', lib]);
    await ok(['commit', '-q', '--allow-empty', '-m', 'lib'], lib);
    await ok(['init', '-q', ws]);
    userFile(user, path.join(ws, 'README'), 'top\n');
    await ok(['add', 'README']);
    await ok(['submodule', 'add', '-q', '../lib', 'ext/sub']);
    await ok(['submodule', 'add', '-q', '../lib', 'empty-slot']);
    await ok(['submodule', 'add', '-q', '../lib', 'gone/slot']);
    await ok(['submodule', 'deinit', '-q', '-f', 'empty-slot', 'gone/slot']);
    rmSync(path.join(ws, 'gone'), { recursive: true });
    await ok(['commit', '-q', '-m', 'three submodules']);
    const nested = userDir(user, path.join(ws, 'vendor'));
    await ok(['init', '-q', path.join(nested, 'lib')]);
    await ok(['commit', '-q', '--allow-empty', '-m', 'nested'], path.join(nested, 'lib'));
    assert.equal(readFileSync(path.join(ws, 'ext/sub/.git'), 'utf8'), subGitText);
    await inst.setup();
    const state = JSON.parse(readFileSync(`/var/lib/${inst.instance}/state.json`, 'utf8')) as { users: Record<string, { workspaces: Record<string, { access: string }> }> };
    assert.equal(state.users[user.name]!.workspaces[ws]?.access, 'idmap', 'this test is about the idmapped workspace');

    // The session's preparation, all of it allowed: a git directory of its own, copied from the
    // submodule's (readable), with no core.worktree and core.fsmonitor set to its script.
    const prep = await inst.run(['sh', '-c', [
      'cp -r .git/modules/ext/sub evil-gitdir',
      'git config -f evil-gitdir/config --unset core.worktree',
      `printf '#!/bin/sh\\necho ran > %s\\n' '${marker}' > evil-hook && chmod +x evil-hook`,
      'git config -f evil-gitdir/config core.fsmonitor "$PWD/evil-hook"',
    ].join(' && ')]);
    assert.equal(prep.status, 0, show(prep));
    assert.equal(statSync(path.join(ws, 'evil-gitdir/config')).uid, user.uid, 'under idmapping the session\'s files belong to the real user');
  });

  after(async function () {
    try {
      await inst?.teardown();
    } finally {
      if (marker !== '') rmSync(marker, { force: true });
    }
  });

  const POINT = (slot: string) => `printf 'gitdir: %s/evil-gitdir\\n' "$PWD" > ${slot}/.git`;
  const attacks: [string, string][] = [
    ['rewrite the submodule\'s .git file', POINT('ext/sub')],
    ['remove it and write a new one', `rm -f ext/sub/.git; ${POINT('ext/sub')}`],
    ['move it aside and write a new one', `mv ext/sub/.git ext/sub/old-git && ${POINT('ext/sub')}`],
    ['rename the submodule directory and make a new one', `mv ext/sub ext/sub-old && mkdir ext/sub && ${POINT('ext/sub')}`],
    ['rename the directory above it and rebuild the path', `mv ext ext-old && mkdir -p ext/sub && ${POINT('ext/sub')}`],
    ['remove the whole tree and rebuild the path', `rm -rf ext; mkdir -p ext/sub && ${POINT('ext/sub')}`],
    ['plant a .git file in the empty submodule directory', POINT('empty-slot')],
    ['remove the reserved .git there first', `rmdir empty-slot/.git; rm -rf empty-slot/.git; ${POINT('empty-slot')}`],
    ['rename the empty submodule directory and make a new one', `mv empty-slot es-old && mkdir empty-slot && ${POINT('empty-slot')}`],
    ['create the missing submodule directory with a .git file', `mkdir -p gone/slot && ${POINT('gone/slot')}`],
    ['set core.fsmonitor in the nested repository', 'git -C vendor/lib config core.fsmonitor "$PWD/evil-hook"'],
    ['replace the nested repository\'s .git', 'mv vendor/lib/.git vendor/lib/old-git && cp -r evil-gitdir vendor/lib/.git'],
    ['rename the directory above the nested repository', 'mv vendor vendor-old && mkdir -p vendor/lib && cp -r evil-gitdir vendor/lib/.git'],
  ];
  for (const [what, script] of attacks) {
    it(`refuses: ${what}`, async function () {
      const r = await inst!.run(['sh', '-c', script]);
      assert.notEqual(r.status, 0, `the session could ${what}: ${show(r)}`);
    });
  }

  it('leaves every entry as it was on disk (placeholders gone after the sessions)', function () {
    assert.equal(readFileSync(path.join(ws, 'ext/sub/.git'), 'utf8'), subGitText);
    assert.equal(existsSync(path.join(ws, 'empty-slot/.git')), false);
    assert.equal(existsSync(path.join(ws, 'gone')), false);
    for (const moved of ['ext-old', 'ext/sub-old', 'ext/sub/old-git', 'es-old', 'vendor-old', 'vendor/lib/old-git']) {
      assert.equal(existsSync(path.join(ws, moved)), false, `${moved} exists`);
    }
    assert.doesNotMatch(readFileSync(path.join(ws, 'vendor/lib/.git/config'), 'utf8'), /fsmonitor/);
  });

  it('the real user\'s plain git status (superproject, submodule, nested repository) runs nothing of the session\'s', async function () {
    for (const dir of [ws, path.join(ws, 'ext/sub'), path.join(ws, 'vendor/lib')]) {
      const r = await git(['status'], dir);
      assert.equal(r.status, 0, show(r));
    }
    assert.equal(existsSync(marker), false, 'the session\'s fsmonitor script ran as the real user');
  });

  it('lets normal work go on in the pinned directories (write, delete, git in the submodule)', async function () {
    const r = await inst!.run(['sh', '-c', 'echo a > ext/new.txt && echo b > ext/sub/new.txt && rm ext/new.txt ext/sub/new.txt && mkdir vendor/tmp && rmdir vendor/tmp && git -C ext/sub rev-parse --is-inside-work-tree']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'true\n');
  });

  it('control: had the write gone through, the real user\'s git status would have run the script', async function () {
    writeFileSync(path.join(ws, 'ext/sub/.git'), `gitdir: ${ws}/evil-gitdir\n`);
    try {
      const r = await git(['status']);
      assert.equal(r.status, 0, show(r));
      assert.equal(existsSync(marker), true, 'the attack itself does not work: this test proves nothing');
    } finally {
      writeFileSync(path.join(ws, 'ext/sub/.git'), subGitText);
      rmSync(marker, { force: true });
    }
  });

  it('teardown removes the identity homes, the workspace\'s own home in them included', async function () {
    const homes = [inst!.identity('offline').home, inst!.identity('online').home];
    const wsHome = path.join(homes[0]!, workspaceHomeName(ws));
    assert.equal(existsSync(wsHome), true, 'the sessions above had a home for this workspace');
    const r = await inst!.corral(['teardown', '--yes']);
    assert.equal(r.status, 0, show(r));
    for (const home of homes) assert.equal(existsSync(home), false, `${home} is left`);
  });
});
