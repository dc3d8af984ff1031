/**
 * Issue 11 item 7, the rest of "real toolchains still work": inside an offline session, as the member
 * through the real sudo rule and the machine's real `python3` and `git`, the developer's everyday
 * commands give what they give plainly as the real user (runuser, the same PATH):
 *
 * - a real Python project's own test suite, not written here: gyp-next's unittest files, fetched from
 *   the npm registry inside node-gyp's published tarball at test time into a cache outside the
 *   repository (helpers/real-projects.ts; PyPI is not reachable here). Skipped with the reason when the
 *   registry cannot be reached and nothing is cached;
 * - `git status`, `git diff` and `git log` in real repositories of the real user (the workspace itself
 *   and a repository in a subdirectory of it), each with commits, a staged change, an unstaged change
 *   and an untracked file: the same stdout, stderr and status, byte for byte — in an idmapped
 *   workspace, and in one reached through ACL grants (on overlayfs, which cannot be idmapped here),
 *   where the session's uid does not own the repositories and git trusts them only because the
 *   runner names each repository it found in safe.directory (nested-git.ts, environment.ts);
 * - creating a venv (`python3 -m venv`, Debian's python3-venv, with pip from its bundled wheel) and
 *   running its python and pip; the venv the session made belongs to the real user on disk (idmap)
 *   and works for them plainly afterwards.
 *
 * Timings are the bench's (bench/real-projects.ts); nothing here asserts a time.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result, type TestUser } from './helpers/e2e.js';
import { GYP_NEXT, GYP_TEST_ARGV, PLAIN_PATH, prepareGypNext, unittestSummary, type Prepared } from './helpers/real-projects.js';

describe('real toolchains inside an offline session: a real Python suite, git status/diff/log, a venv (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let user: TestUser;
  let ws = '';
  /** A second workspace, on overlayfs: ACL grants, not idmap. */
  let aclWs = '';
  let overlayRoot: string | undefined;
  let overlayMounted = false;
  let gyp: Prepared = { ok: false, reason: 'not prepared' };

  const plainEnv = (): Record<string, string> => ({ HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: PLAIN_PATH });
  /** `argv` plainly as the real user, in `cwd`. */
  const plain = (argv: string[], cwd: string): Promise<Result> =>
    runProgram(argv[0]!, argv.slice(1), { asUser: user, cwd, env: plainEnv(), killAfterMs: 300_000 });
  /** `argv` through `corral run` (offline, the default) as the member, in `cwd`. */
  const inside = (argv: string[], cwd: string, workspace = ws): Promise<Result> =>
    inst!.corralAs(user, ['run', '--workspace', workspace, '--cwd', cwd, '--', ...argv], { cwd, env: { HOME: user.home, PATH: PLAIN_PATH }, killAfterMs: 300_000 });
  const gitAsUser = async (args: string[], cwd: string): Promise<void> => {
    const r = await plain(['git', '-c', 'user.name=Real User', '-c', 'user.email=real@example.invalid', ...args], cwd);
    assert.equal(r.status, 0, `git ${args.join(' ')}: ${show(r)}`);
  };

  /** A repository with two commits, then a staged change, an unstaged change and an untracked file. */
  async function makeRepository(dir: string, ignore: string[]): Promise<void> {
    await gitAsUser(['init', '-q', '-b', 'main', dir], '/');
    userFile(user, path.join(dir, '.gitignore'), ignore.map((p) => `${p}\n`).join(''));
    userFile(user, path.join(dir, 'README.md'), '# app\n\nfirst line\n');
    userDir(user, path.join(dir, 'src'));
    userFile(user, path.join(dir, 'src', 'main.py'), 'def main():\n    return 1\n');
    await gitAsUser(['add', '-A'], dir);
    await gitAsUser(['commit', '-q', '-m', 'first commit'], dir);
    userFile(user, path.join(dir, 'src', 'main.py'), 'def main():\n    return 2\n\n\ndef other():\n    return 3\n');
    await gitAsUser(['commit', '-q', '-a', '-m', 'second commit\n\nwith a body'], dir);
    userFile(user, path.join(dir, 'src', 'util.py'), 'X = 1\n');
    await gitAsUser(['add', 'src/util.py'], dir); // staged
    userFile(user, path.join(dir, 'README.md'), '# app\n\nfirst line, changed\nsecond line\n'); // unstaged
    userFile(user, path.join(dir, 'notes.txt'), 'untracked\n'); // untracked
  }

  before(async function () {
    requireRoot(this);
    gyp = prepareGypNext();
    inst = new TestInstallation('ctrt');
    user = inst.user;
    ws = inst.workspace;
    // The workspace itself is a repository (the other projects of this suite ignored in it), and so
    // is a subdirectory of it (a workspace holding several projects).
    await makeRepository(ws, ['/gyp-next/', '/app/', '/.venv*/']);
    await makeRepository(path.join(ws, 'app'), []);
    // The same two repositories in a workspace on overlayfs: POSIX ACLs work there, idmapped mounts
    // do not (EINVAL), so setup grants it by ACL.
    overlayRoot = mkdtempSync('/tmp/ctest-ovl-');
    execFileSync('chmod', ['0755', overlayRoot]);
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(overlayRoot, d));
    execFileSync('mount', ['-t', 'overlay', 'ctest-overlay', '-o', `lowerdir=${overlayRoot}/lower,upperdir=${overlayRoot}/upper,workdir=${overlayRoot}/work`, `${overlayRoot}/merged`]);
    overlayMounted = true;
    aclWs = userDir(user, path.join(overlayRoot, 'merged', 'ws'));
    await makeRepository(aclWs, ['/app/']);
    await makeRepository(path.join(aclWs, 'app'), []);
    if (gyp.ok) {
      cpSync(gyp.dir, path.join(ws, 'gyp-next'), { recursive: true, verbatimSymlinks: true });
      execFileSync('chown', ['-R', '--no-dereference', `${user.uid}:${user.gid}`, path.join(ws, 'gyp-next')]);
    }
    await inst.setup(['--workspace', aclWs]);
    const state = JSON.parse(readFileSync(`/var/lib/${inst.instance}/state.json`, 'utf8')) as { users: Record<string, { workspaces: Record<string, { access: string }> }> };
    const access = state.users[user.name]!.workspaces;
    assert.equal(access[ws]?.access, 'idmap', JSON.stringify(access));
    assert.equal(access[aclWs]?.access, 'acl', JSON.stringify(access));
  });
  after(async () => {
    try {
      await inst?.teardown();
    } finally {
      if (overlayMounted) execFileSync('umount', [`${overlayRoot}/merged`]);
      if (overlayRoot !== undefined) rmSync(overlayRoot, { recursive: true, force: true });
    }
  });

  it(`a real Python project's own test suite (gyp-next from ${GYP_NEXT.carrier}@${GYP_NEXT.version}, unittest) passes plainly and inside, with the same count`, async function () {
    if (!gyp.ok) {
      console.log(`      (skipped: ${gyp.reason})`);
      this.skip();
    }
    const pylib = path.join(ws, 'gyp-next', 'pylib');
    const p = await plain(GYP_TEST_ARGV, pylib);
    assert.equal(p.status, 0, `plain run: ${show(p)}`);
    const c = await inside(GYP_TEST_ARGV, pylib);
    assert.equal(c.status, 0, `inside corral run: ${show(c)}`);
    const ps = unittestSummary(p.stderr);
    const cs = unittestSummary(c.stderr);
    assert.ok(ps.ran >= 20, `plain run: expected gyp-next's unittest suite (≥ 20 tests), got ${JSON.stringify(ps)}: ${show(p)}`);
    assert.match(ps.verdict, /^OK\b/);
    assert.deepEqual(cs, ps, `the suite inside the session did not give the plain result: ${show(c)}`);
    console.log(`      gyp-next unittest: ${ps.ran} tests, ${ps.verdict}, plainly and inside`);
  });

  const repositories = [
    { what: 'the workspace (idmap)', workspace: () => ws, dir: () => ws },
    { what: 'a subdirectory of the workspace (idmap)', workspace: () => ws, dir: () => path.join(ws, 'app') },
    { what: 'the workspace (ACL grants)', workspace: () => aclWs, dir: () => aclWs },
    { what: 'a subdirectory of the workspace (ACL grants)', workspace: () => aclWs, dir: () => path.join(aclWs, 'app') },
  ];
  for (const repo of repositories) {
    it(`git status, git diff and git log in ${repo.what} give the same output inside as plainly`, async () => {
      const dir = repo.dir();
      const acl = repo.workspace() === aclWs;
      for (const args of [['status'], ['diff'], ['diff', '--cached'], ['log'], ['log', '--stat', '-p']]) {
        const p = await plain(['git', ...args], dir);
        assert.equal(p.status, 0, `plain git ${args.join(' ')}: ${show(p)}`);
        assert.notEqual(p.stdout.length, 0, `plain git ${args.join(' ')} printed nothing`);
        const c = await inside(['git', ...args], dir, repo.workspace());
        // corral run's own lines (the ACL grants warning) are not git's.
        const corralLines = c.stderr.split('\n').filter((l) => l.startsWith('corral: '));
        const gitStderr = c.stderr.split('\n').filter((l) => !l.startsWith('corral: ')).join('\n');
        if (acl) assert.ok(corralLines.some((l) => /warning: .*ACL grants/.test(l)), `expected the ACL grants warning: ${show(c)}`);
        else assert.deepEqual(corralLines, [], show(c));
        assert.equal(gitStderr, p.stderr, `git ${args.join(' ')}: stderr inside differs from plain: ${show(c)}`);
        assert.equal(c.stdout.toString('utf8'), p.stdout.toString('utf8'), `git ${args.join(' ')}: stdout inside differs from plain`);
        assert.equal(c.status, p.status);
      }
      const status = (await plain(['git', 'status'], dir)).stdout.toString('utf8');
      assert.match(status, /Changes to be committed:[\s\S]*src\/util\.py[\s\S]*Changes not staged for commit:[\s\S]*README\.md[\s\S]*Untracked files:[\s\S]*notes\.txt/);
    });
  }

  it('creates a venv inside (python3 -m venv) whose python and pip run, as one made plainly does; the real user can use it', async () => {
    const probe = ['-c', 'import sys, pip; print(sys.prefix); print(sys.base_prefix); print(sys.version); print(pip.__version__)'];
    const check = async (run: typeof plain, venv: string): Promise<string[]> => {
      const made = await run(['python3', '-m', 'venv', venv], ws);
      assert.equal(made.status, 0, `python3 -m venv ${venv}: ${show(made)}`);
      const r = await run([path.join(venv, 'bin', 'python'), ...probe], ws);
      assert.equal(r.status, 0, `${venv}/bin/python: ${show(r)}`);
      const pipVersion = await run([path.join(venv, 'bin', 'pip'), '--version'], ws);
      assert.equal(pipVersion.status, 0, `${venv}/bin/pip --version: ${show(pipVersion)}`);
      assert.ok(pipVersion.stdout.toString().includes(path.join(venv, 'lib')), show(pipVersion));
      const lines = r.stdout.toString('utf8').trim().split('\n');
      assert.equal(lines[0], venv, 'sys.prefix is the venv');
      return lines.slice(1);
    };
    const plainVenv = path.join(ws, '.venv-plain');
    const insideVenv = path.join(ws, '.venv');
    const fromPlain = await check(plain, plainVenv);
    const fromInside = await check(inside, insideVenv);
    assert.deepEqual(fromInside, fromPlain, 'base prefix, Python and pip versions');
    assert.equal(statSync(path.join(insideVenv, 'pyvenv.cfg')).uid, user.uid, 'the venv the session made belongs to the real user on disk');
    const later = await plain([path.join(insideVenv, 'bin', 'python'), ...probe], ws);
    assert.equal(later.status, 0, `the real user runs the session's venv: ${show(later)}`);
    assert.equal(later.stdout.toString('utf8').trim().split('\n')[0], insideVenv);
  });
});
