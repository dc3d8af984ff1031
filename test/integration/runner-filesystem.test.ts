/**
 * Filesystem confinement of a real session (root only): Landlock keeps writes inside the
 * workspace (even where file permissions would allow them), protected paths stay read-only,
 * missing protected names cannot be created, read-deny paths cannot be read, and moves
 * between folders of the workspace work.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';

describe('runner filesystem confinement (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;
  let outsideGranted = '';
  let secretDir = '';
  let secretFile = '';
  let gitdirs = '';
  let worktree = '';

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
    execFileSync('git', ['init', '-q', f.workspace]);
    writeFileSync(`${f.workspace}/.git/config.orig`, readFileSync(`${f.workspace}/.git/config`));
    // A directory outside the workspace that DAC lets the identity write: only Landlock stops it.
    outsideGranted = `${f.base}/outside`;
    mkdirSync(outsideGranted);
    execFileSync('setfacl', ['-m', `u:${f.offline.name}:rwx`, outsideGranted]);
    secretDir = `${f.base}/secrets`;
    mkdirSync(secretDir, { mode: 0o755 });
    writeFileSync(`${secretDir}/key`, 'SECRET-IN-DIR', { mode: 0o644 });
    secretFile = `${f.base}/token.txt`;
    writeFileSync(secretFile, 'SECRET-FILE', { mode: 0o644 });
    // A worktree-style `.git` file naming a git directory inside another writable root.
    gitdirs = f.addWorkspace('gitdirs');
    mkdirSync(`${gitdirs}/wt`);
    worktree = f.addWorkspace('wt');
    writeFileSync(`${worktree}/.git`, `gitdir: ${gitdirs}/wt\n`);
    // A protected path two levels deep (policy `protected` takes absolute paths too).
    mkdirSync(`${f.workspace}/conf/deep`, { recursive: true });
    writeFileSync(`${f.workspace}/conf/deep/app.env`, 'REAL=1\n');
    c = RunnerClient.start(
      f.request({ writableRoots: [gitdirs, worktree], denyRead: [secretDir, secretFile], protected: ['.git', '.corral', '.mcp.json', `${f.workspace}/conf/deep/app.env`] }),
      f.env,
    );
    await c.hello();
  });
  after(async function () {
    if (c !== undefined) await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
    c?.killNow();
    f?.cleanup();
  });

  const sh = (script: string, cwd?: string) => c!.sh(script, { cwd: cwd ?? f!.workspace });

  it('writes inside the workspace, and the real user can read, edit and delete the result', async function () {
    const r = await sh('mkdir -p sub && echo made-inside > sub/file && cat sub/file');
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(`${f!.workspace}/sub/file`, 'utf8'), 'made-inside\n');
    writeFileSync(`${f!.workspace}/sub/file`, 'edited by the real user');
    rmSync(`${f!.workspace}/sub`, { recursive: true });
  });

  it('cannot write outside the workspace, even where file permissions allow it', async function () {
    for (const target of [`${outsideGranted}/x`, '/etc/corral-escape-test']) {
      const r = await sh(`echo nope > '${target}'`);
      assert.notEqual(r.code, 0, `write to ${target} succeeded`);
      assert.equal(existsSync(target), false, `${target} exists`);
    }
  });

  it('writes to /tmp, /var/tmp and /dev/shm land in the session\'s private tmpfs, never in the host\'s', async function () {
    for (const dir of ['/tmp', '/var/tmp', '/dev/shm']) {
      const target = `${dir}/corral-escape-test-${process.pid}`;
      const r = await sh(`echo private > '${target}' && cat '${target}'`);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'private\n');
      assert.equal(existsSync(target), false, `${target} reached the host`);
    }
  });

  it('writes its own home (tool caches), and nothing of the other identity', async function () {
    const r = await sh('mkdir -p "$HOME/.cache/tool" && echo c > "$HOME/.cache/tool/x" && cat "$HOME/.cache/tool/x"');
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(`${f!.offline.home}/${workspaceHomeName(f!.workspace)}/.cache/tool/x`, 'utf8'), 'c\n');
    const other = await sh(`echo nope > '${f!.online.home}/x'`);
    assert.notEqual(other.code, 0, 'the offline session wrote the online identity\'s home');
    assert.equal(existsSync(`${f!.online.home}/x`), false);
  });

  it('writes the session temp dir (TMPDIR)', async function () {
    const r = await sh('echo t > "$TMPDIR/t" && cat "$TMPDIR/t"');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 't\n');
  });

  it('keeps .git read-only: no write, delete, rename, replace or new hook', async function () {
    const attempts = [
      'echo "[core]" >> .git/config',
      'touch .git/hooks/pre-commit',
      'rm -rf .git',
      'mv .git moved-git',
      'mkdir fake && mv -T fake .git',
      'rm .git/HEAD',
    ];
    for (const script of attempts) {
      const r = await sh(script);
      assert.notEqual(r.code, 0, `"${script}" succeeded`);
    }
    assert.equal(readFileSync(`${f!.workspace}/.git/config`, 'utf8'), readFileSync(`${f!.workspace}/.git/config.orig`, 'utf8'));
    assert.equal(existsSync(`${f!.workspace}/.git/hooks/pre-commit`), false);
    assert.equal(existsSync(`${f!.workspace}/moved-git`), false);
  });

  it('keeps a deep protected path: it cannot be written, and no directory above it can be renamed to swap it', async function () {
    const attempts = [
      'echo EVIL=1 > conf/deep/app.env',
      'mv conf/deep/app.env conf/deep/old.env',
      'mv conf/deep conf/deep-old && mkdir conf/deep && echo EVIL=1 > conf/deep/app.env',
      'mv conf conf-old && mkdir -p conf/deep && echo EVIL=1 > conf/deep/app.env',
      'rm -rf conf',
    ];
    for (const script of attempts) {
      const r = await sh(script);
      assert.notEqual(r.code, 0, `"${script}" succeeded`);
    }
    assert.equal(readFileSync(`${f!.workspace}/conf/deep/app.env`, 'utf8'), 'REAL=1\n');
    for (const moved of ['conf-old', 'conf/deep-old', 'conf/deep/old.env']) assert.equal(existsSync(`${f!.workspace}/${moved}`), false, moved);
    // The pinned directories themselves stay writable.
    const r = await sh('echo ok > conf/deep/other && rm conf/deep/other && echo ok > conf/x && rm conf/x');
    assert.equal(r.code, 0, r.err);
  });

  it('lets git read the real user\'s repository (no "dubious ownership")', async function () {
    const r = await sh('git status --porcelain >/dev/null && git rev-parse --show-toplevel');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), f!.workspace);
  });

  it('reserves a missing protected name: .corral and .mcp.json cannot be created', async function () {
    for (const script of ['mkdir -p .corral/x', 'echo {} > .corral/config.json', 'echo {} > .mcp.json', 'rm -rf .corral']) {
      const r = await sh(script);
      assert.notEqual(r.code, 0, `"${script}" succeeded`);
    }
  });

  it('reserves each name with a placeholder of its kind: the real user\'s tools read an empty file, or list an empty directory', async function () {
    // .corral is a directory name, .mcp.json a file name (core/protected-names.ts).
    const dirPlaceholder = statSync(`${f!.workspace}/.corral`);
    assert.equal(dirPlaceholder.isDirectory(), true);
    assert.deepEqual(readdirSync(`${f!.workspace}/.corral`), []);
    const filePlaceholder = statSync(`${f!.workspace}/.mcp.json`);
    assert.equal(filePlaceholder.isFile(), true, 'a file name is reserved with a file, not a directory (EISDIR for host tools)');
    assert.equal(filePlaceholder.size, 0);
    assert.equal(filePlaceholder.uid, 0);
    assert.equal(filePlaceholder.mode & 0o777, 0o444);
    // A host-side tool (the real user's node) reads it as an empty file.
    const read = execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require('fs').readFileSync(${JSON.stringify(`${f!.workspace}/.mcp.json`)}, 'utf8')))`], { encoding: 'utf8' });
    assert.equal(read, '""');
    const inside = await sh('wc -c < .mcp.json');
    assert.equal(inside.out.trim(), '0');
  });

  it('keeps directory placeholders out of the real user\'s git; file placeholders show as untracked there and are ignored by the session\'s git', async function () {
    const status = execFileSync('git', ['-C', f!.workspace, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' });
    assert.doesNotMatch(status, /\.corral/, status);
    assert.match(status, /^\?\? \.mcp\.json$/m, 'documented: the real user sees the empty file placeholder as untracked');
    const sessionStatus = await sh('git status --porcelain --untracked-files=all');
    assert.equal(sessionStatus.code, 0, sessionStatus.err);
    assert.doesNotMatch(sessionStatus.out, /\.mcp\.json|\.corral/, sessionStatus.out);
  });

  it('keeps a gitdir: file and the git directory it names read-only', async function () {
    const file = await sh('echo "gitdir: /tmp" > .git', worktree);
    assert.notEqual(file.code, 0);
    const target = await sh(`touch "${gitdirs}/wt/HEAD"`, worktree);
    assert.notEqual(target.code, 0);
    assert.equal(existsSync(`${gitdirs}/wt/HEAD`), false);
    const beside = await sh(`touch "${gitdirs}/other"`, worktree);
    assert.equal(beside.code, 0, 'the rest of that writable root stays writable');
  });

  it('cannot read read-deny paths', async function () {
    const dir = await sh(`cat "${secretDir}/key"`);
    assert.notEqual(dir.code, 0);
    assert.doesNotMatch(dir.out, /SECRET/);
    const list = await sh(`ls "${secretDir}"`);
    assert.notEqual(list.code, 0);
    const file = await sh(`cat "${secretFile}"`);
    assert.doesNotMatch(file.out, /SECRET/);
  });

  it('moves a file between two folders of the workspace', async function () {
    const r = await sh('mkdir -p a b && echo moved > a/f && mv a/f b/f && cat b/f && mv b a/b');
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(`${f!.workspace}/a/b/f`, 'utf8'), 'moved\n');
  });

  it('cannot raise privileges with sudo (no_new_privs)', async function () {
    const r = await sh('sudo -n true');
    assert.notEqual(r.code, 0);
    const who = await sh('id -u');
    assert.equal(who.out.trim(), String(f!.offline.uid));
  });
});

describe('runner: a workspace without .git (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
    c = RunnerClient.start(f.request({ protected: ['.git', '.env'] }), f.env);
    await c.hello();
  });
  after(async function () {
    c?.killNow();
    f?.cleanup();
  });

  it('cannot git init (the missing .git is reserved), and the placeholders (directory and file) are gone after close', async function () {
    const init = await c!.sh('git init -q . ; test -f .git/HEAD', { cwd: f!.workspace });
    assert.notEqual(init.code, 0, 'git init planted a repository');
    const hook = await c!.sh('mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit', { cwd: f!.workspace });
    assert.notEqual(hook.code, 0);
    assert.equal(statSync(`${f!.workspace}/.env`).isFile(), true);
    assert.equal((await c!.shutdown()).code, 0);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = !existsSync(`${f!.workspace}/.git`) && !existsSync(`${f!.workspace}/.env`);
      if (!gone) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(gone, true, 'a placeholder outlived the session');
  });
});
