/**
 * git inside the sandbox, as agents use it (root sets up; a real test user with a global git
 * identity, a real repository with a submodule, sessions through the real sudo rule as the
 * member, the machine's git):
 * - default `git: "read"`: `git commit` and `git stash` fail, and `corral run` says why on one
 *   `corral:` line naming the setting;
 * - `git: "commit"` in the user's config: add, commit, branch and stash work, and the real user
 *   sees the commit afterwards with their own name and email;
 * - under `commit`, every write that would make git run code fails: .git/config (by hand and
 *   with git config), hooks (existing and missing hooks directory), info/attributes, the
 *   submodule's modules/x/config and hooks, commondir, config.worktree, alternates, renaming
 *   .git or objects; a plain file in .git is the control that .git is writable;
 * - a gitlink the session adds to the index for a nested repository it made (its config setting
 *   core.fsmonitor) has that repository's .git moved aside when the session closes;
 * - afterwards the real user's plain `git status` and `git commit` run nothing the session
 *   planted (a marker the hooks and fsmonitor would create); the controls plant the same hook
 *   from the host in another repository, and put the moved-aside .git back, and show that each
 *   does create the marker;
 * - a workspace config cannot widen `git` to `commit`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result, type TestUser } from './helpers/e2e.js';

describe('git: "commit" (root, real user through the sudo rule, real git)', function () {
  this.timeout(180_000);
  let inst: TestInstallation | undefined;
  let user: TestUser;
  let ws = '';
  let marker = '';
  let userConfig = '';
  let quarantined = '';
  const NAME = 'Real Person';
  const EMAIL = 'real.person@example.org';
  const git = (args: string[], cwd = ws) => runProgram('git', ['-c', 'protocol.file.allow=always', ...args], { asUser: user, cwd });
  const ok = async (args: string[], cwd = ws): Promise<Result> => {
    const r = await git(args, cwd);
    assert.equal(r.status, 0, `git ${args.join(' ')}: ${show(r)}`);
    return r;
  };
  const run = (argv: string[]) => inst!.corralAs(user, ['run', '--workspace', ws, '--', ...argv], { killAfterMs: 60_000 });
  const corralLines = (r: Result) => r.stderr.split('\n').filter((l) => l.startsWith('corral:'));

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctgc');
    user = inst.user;
    ws = inst.workspace;
    marker = path.join(user.home, 'PLANTED-CODE-RAN');
    userFile(user, path.join(user.home, '.gitconfig'), `[user]\n\tname = ${NAME}\n\temail = ${EMAIL}\n`);
    const lib = userDir(user, path.join(user.home, 'lib'));
    await ok(['init', '-q', lib]);
    await ok(['commit', '-q', '--allow-empty', '-m', 'lib'], lib);
    await ok(['init', '-q', ws]);
    userFile(user, path.join(ws, 'README'), 'top\n');
    await ok(['add', 'README']);
    await ok(['submodule', 'add', '-q', '--name', 'x', '../lib', 'ext/x']);
    await ok(['commit', '-q', '-m', 'initial']);
    assert.ok(existsSync(path.join(ws, '.git/modules/x/config')));
    userDir(user, path.join(user.home, '.config'));
    userDir(user, path.join(user.home, '.config', inst.instance));
    userConfig = path.join(user.home, '.config', inst.instance, 'config.json');
    await inst.setup();
  });

  after(async function () {
    try {
      await inst?.teardown();
    } finally {
      if (marker !== '') rmSync(marker, { force: true });
    }
  });

  it('under the default, git commit and git stash fail, and corral says it was Corral and names the setting', async function () {
    const commit = await run(['git', 'commit', '-q', '--allow-empty', '-m', 'refused']);
    assert.notEqual(commit.status, 0, show(commit));
    assert.match(commit.stderr, /Read-only file system/, 'git\'s own message');
    const lines = corralLines(commit);
    assert.equal(lines.length, 1, show(commit));
    assert.match(lines[0]!, /Corral keeps \.git read-only .*\(git: "read"\).*"git": "commit"/);

    const change = await run(['sh', '-c', 'echo changed >> README']);
    assert.equal(change.status, 0, show(change));
    const stash = await run(['git', 'stash']);
    assert.notEqual(stash.status, 0, show(stash));
    assert.equal(corralLines(stash).length, 1, show(stash));
    assert.match(corralLines(stash)[0]!, /git: "read"/);
    const log = await ok(['log', '--format=%s']);
    assert.equal(log.stdout.toString().trim().split('\n')[0], 'initial', 'no commit landed');
    assert.equal((await ok(['stash', 'list'])).stdout.toString(), '', 'no stash landed');
    await ok(['checkout', '-q', 'README']);

    const okRun = await run(['git', 'status', '--short']);
    assert.equal(okRun.status, 0, show(okRun));
    assert.deepEqual(corralLines(okRun), [], 'no notice for a git command that worked');
  });

  it('policy show shows the setting, and a workspace config cannot widen it', async function () {
    const shown = await inst!.corralAs(user, ['policy', 'show', '--workspace', ws]);
    assert.equal(shown.status, 0, show(shown));
    assert.match(shown.stdout.toString(), /^ {2}git: "read"$/m);
    const wsConfigDir = path.join(ws, `.${inst!.instance}`);
    userDir(user, wsConfigDir);
    userFile(user, path.join(wsConfigDir, 'config.json'), '{ "git": "commit" }\n');
    try {
      const widened = await run(['true']);
      assert.equal(widened.status, 2, show(widened));
      assert.match(widened.stderr, /git: a workspace config may only tighten/);
    } finally {
      rmSync(wsConfigDir, { recursive: true, force: true });
    }
  });

  it('under git: "commit", add, commit, branch, tag, switch, cherry-pick, merge, reset, amend and stash work, with the real user\'s identity', async function () {
    userFile(user, userConfig, '{ "git": "commit" }\n');
    const missingBefore = ['commondir', 'branches', 'remotes', 'worktrees', 'config.worktree', 'objects/info/alternates'].filter((n) => !existsSync(path.join(ws, '.git', n)));
    assert.ok(missingBefore.includes('commondir') && missingBefore.includes('worktrees'), `missing before: ${missingBefore.join(', ')}`);
    const shown = await inst!.corralAs(user, ['policy', 'show', '--workspace', ws]);
    assert.match(shown.stdout.toString(), /^ {2}git: "commit"$/m, show(shown));
    const r = await run([
      'sh',
      '-c',
      [
        'set -e',
        'echo agent >> README',
        'git add README',
        'git commit -q -m "agent commit"',
        'git branch agent-branch',
        'git tag v-agent',
        'git switch -q -c side && echo s > side.txt && git add side.txt && git commit -q -m side && git switch -q -',
        'git cherry-pick side >/dev/null && git reset -q --hard HEAD~1',
        'git merge -q --ff-only side && git reset -q --hard HEAD~1',
        'git commit -q --amend -m "agent commit"',
        'echo stash-me >> README',
        'git stash -q',
        'git stash list',
        'git log -1 --format="%an|%ae|%cn|%ce"',
      ].join('\n'),
    ]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.toString(), new RegExp(`${NAME}\\|${EMAIL}\\|${NAME}\\|${EMAIL}`));
    assert.deepEqual(corralLines(r), []);

    const log = await ok(['log', '-1', '--format=%s|%an|%ae|%cn|%ce']);
    assert.equal(log.stdout.toString().trim(), `agent commit|${NAME}|${EMAIL}|${NAME}|${EMAIL}`);
    assert.match((await ok(['branch', '--list', 'agent-branch', 'side'])).stdout.toString(), /agent-branch[\s\S]*side/);
    assert.equal((await ok(['tag', '--list', 'v-agent'])).stdout.toString().trim(), 'v-agent');
    assert.match((await ok(['stash', 'list'])).stdout.toString(), /^stash@\{0\}/);
    await ok(['stash', 'pop', '-q']);
    assert.match((await ok(['diff'])).stdout.toString(), /\+stash-me/);
    await ok(['checkout', '-q', 'README']);
    // The placeholders of missing entries are gone once the session is.
    for (const name of missingBefore) {
      assert.ok(!existsSync(path.join(ws, '.git', name)), `.git/${name} placeholder removed`);
    }
  });

  it('under git: "commit", writes that would make git run code all fail; a plain file in .git is written', async function () {
    const hook = `#!/bin/sh\necho ran > ${marker}\n`;
    const attempts: Record<string, string> = {
      'config by hand': `printf '[core]\\n\\tfsmonitor = %s\\n' "$PWD/evil" >> .git/config`,
      'git config core.fsmonitor': 'git config core.fsmonitor "$PWD/evil"',
      'git config core.hooksPath': 'git config core.hooksPath "$PWD/evil-hooks"',
      'replace config': 'cp .git/config cfg && mv -f cfg .git/config',
      'hooks/pre-commit': `printf '${hook}' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit`,
      'rename hooks': 'mv .git/hooks .git/hooks-old',
      'info/attributes': `printf '* filter=evil\\n' > .git/info/attributes`,
      'info/exclude': `printf 'README\\n' >> .git/info/exclude`,
      'modules/x/config': `printf '[core]\\n\\tfsmonitor = %s\\n' "$PWD/evil" >> .git/modules/x/config`,
      'modules/x/hooks': `printf '${hook}' > .git/modules/x/hooks/post-checkout`,
      'new module gitdir': 'mkdir .git/modules/y',
      commondir: 'echo "$PWD/evil-common" > .git/commondir',
      'config.worktree': `printf '[core]\\n\\tfsmonitor = x\\n' > .git/config.worktree`,
      alternates: 'echo /tmp > .git/objects/info/alternates',
      'rename .git': 'mv .git .git-old',
      'rename objects': 'mv .git/objects .git/objects-old',
      'remotes/': 'mkdir -p .git/remotes && echo "URL: /tmp/x" > .git/remotes/origin',
    };
    const script = [
      `printf '${hook}' > evil && chmod +x evil`,
      ...Object.entries(attempts).map(([name, cmd]) => `if ( ${cmd} ) 2>/dev/null; then echo "WROTE ${name}"; else echo "REFUSED ${name}"; fi`),
      'if echo data > .git/CONTROL-WRITE; then echo "CONTROL written"; fi',
    ].join('\n');
    const r = await run(['sh', '-c', script]);
    const out = r.stdout.toString();
    for (const name of Object.keys(attempts)) assert.match(out, new RegExp(`^REFUSED ${name.replace(/[.*/]/g, '\\$&')}$`, 'm'), `${name}: ${show(r)}`);
    assert.match(out, /^CONTROL written$/m, show(r));
    assert.ok(existsSync(path.join(ws, '.git/CONTROL-WRITE')));
    rmSync(path.join(ws, '.git/CONTROL-WRITE'));
  });

  it('under git: "commit" with no hooks directory, the session cannot create one', async function () {
    rmSync(path.join(ws, '.git/hooks'), { recursive: true, force: true });
    const r = await run(['sh', '-c', `mkdir -p .git/hooks 2>/dev/null; printf '#!/bin/sh\\necho ran > ${marker}\\n' > .git/hooks/pre-commit || echo REFUSED; ls -A .git/hooks | wc -l`]);
    assert.match(r.stdout.toString(), /^REFUSED\n0$/m, show(r));
    assert.ok(!existsSync(path.join(ws, '.git/hooks')), 'the placeholder is removed after the session');
  });

  it('under git: "commit", a submodule entry the session adds for a nested repository it made is moved aside at close', async function () {
    const r = await run([
      'sh',
      '-c',
      [
        'set -e',
        `printf '#!/bin/sh\\necho ran > ${marker}\\n' > fsm && chmod +x fsm`,
        'git init -q planted',
        'git -C planted commit -q --allow-empty -m planted',
        'git -C planted config core.fsmonitor "$PWD/fsm"',
        'git update-index --add --cacheinfo "160000,$(git -C planted rev-parse HEAD),planted"',
        'git ls-files -s planted',
      ].join('\n'),
    ]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.toString(), /^160000 /m, 'the gitlink is in the index');
    assert.ok(!existsSync(path.join(ws, 'planted/.git')), 'the planted .git is no longer where git looks');
    const aside = readdirSync(path.join(ws, 'planted')).filter((n) => n.startsWith('.git-corral-quarantine-'));
    assert.equal(aside.length, 1, `moved aside: ${JSON.stringify(readdirSync(path.join(ws, 'planted')))}`);
    quarantined = path.join(ws, 'planted', aside[0]!);
  });

  it('afterwards the real user\'s plain git status and git commit run nothing the session planted (control: the same hook planted on the host runs)', async function () {
    rmSync(marker, { force: true });
    await ok(['status']);
    await ok(['commit', '-q', '--allow-empty', '-m', 'by the real user']);
    assert.ok(!existsSync(marker), 'no planted hook or fsmonitor ran');

    const control = userDir(user, path.join(user.home, 'control'));
    await ok(['init', '-q', control]);
    const hookFile = path.join(control, '.git/hooks/pre-commit');
    mkdirSync(path.dirname(hookFile), { recursive: true });
    writeFileSync(hookFile, `#!/bin/sh\necho ran > ${marker}\n`, { mode: 0o755 });
    await ok(['commit', '-q', '--allow-empty', '-m', 'control'], control);
    assert.ok(existsSync(marker), 'control: the same hook, planted from the host, runs');

    // Control of the gitlink attack: the planted .git put back from the host, the same plain
    // git status runs the session's fsmonitor.
    rmSync(marker, { force: true });
    assert.notEqual(quarantined, '', 'the quarantine test ran');
    renameSync(quarantined, path.join(ws, 'planted/.git'));
    await git(['status']);
    assert.ok(existsSync(marker), 'control: with the planted .git in place, git status runs its fsmonitor');
    rmSync(path.join(ws, 'planted'), { recursive: true, force: true });
    await ok(['update-index', '--force-remove', 'planted']);
  });
});
