/**
 * npm in sessions as a developer meets it (issue 13 items 6 and 3), as root through a real
 * installation:
 *
 * - Caches across sessions: the identity's home for the workspace (workspace-home.ts) keeps
 *   npm's cache from one session to the next. A small real project (three packages from the
 *   npm registry, its lockfile made at test time outside the sandbox, in a cache outside the
 *   repository) is installed with `npm ci` in an allowlist session (`--allow-host
 *   registry.npmjs.org`: the offline identity, network through the filtering proxy), and then
 *   `npm ci --offline` in a new offline session of the same workspace succeeds from that cache
 *   alone — where it failed with ENOTCACHED before the first install (the control), and still
 *   failed after an `npm ci` in an *online* session: that is the online identity, whose home
 *   and cache are its own. Allowlist sessions run as the offline identity, so they are the way
 *   to fill the offline cache.
 * - npm's log: when npm fails in a session it names a log under the identity's home, which the
 *   real user cannot read; `corral run` copies it (through the session, as data) to the real
 *   user's state directory and says where. Run as the member through the real sudo rule: the
 *   user reads the copy, and could not read the path npm named.
 *
 * Without the registry (CI without network) the cache test skips and prints why; the log test
 * needs none (an offline npm install fails without it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, userFile, type Result } from './helpers/e2e.js';

const NPM = ['/usr/bin/npm', '/usr/local/bin/npm'].find((p) => existsSync(p));
const REGISTRY_HOST = 'registry.npmjs.org';
const CACHE = '/var/cache/corral-test';
/** A small real project: three packages with no dependencies of their own, exact versions. */
const PROJECT = { name: 'cache-probe', version: '1.0.0', private: true, dependencies: { ms: '2.1.3', semver: '7.6.3', minimist: '1.2.8' } };
const PREPARED = path.join(CACHE, 'npm-cache-project-1');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--ignore-scripts'];

/** The project's package.json and lockfile, made once outside any sandbox; a reason to skip, or undefined. */
function prepareProject(): string | undefined {
  if (existsSync(path.join(PREPARED, 'package-lock.json'))) return undefined;
  if (NPM === undefined) return 'no npm on this machine';
  const work = `${PREPARED}.prep-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(path.join(work, 'package.json'), `${JSON.stringify(PROJECT, null, 2)}\n`);
    try {
      execFileSync(NPM, ['install', '--package-lock-only', ...NPM_FLAGS, '--cache', path.join(work, '.npm')], { cwd: work, stdio: 'pipe', timeout: 120_000 });
    } catch (err) {
      return `the npm registry cannot be reached to make the project's lockfile: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().slice(0, 300)}`;
    }
    rmSync(path.join(work, '.npm'), { recursive: true, force: true });
    rmSync(PREPARED, { recursive: true, force: true });
    renameSync(work, PREPARED);
    return undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Files under `dir`, counted without following links (0 when it is missing). */
function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += 1;
  return n;
}

describe('npm across sessions: the cache is kept, and npm\'s log is readable (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let project = '';

  before(async function () {
    requireRoot(this);
    if (NPM === undefined) {
      console.log('      (skipped: no npm on this machine)');
      this.skip();
    }
    inst = new TestInstallation();
    await inst.setup();
    project = path.join(inst.workspace, 'app');
  });
  after(async () => {
    await inst?.teardown();
  });

  const run = (argv: string[], flags: string[] = []): Promise<Result> =>
    inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--cwd', project, ...flags, '--', ...argv], { cwd: inst!.workspace, killAfterMs: 300_000 });
  /** The offline identity's home for this workspace (the one allowlist and offline sessions use). */
  const offlineHome = (): string => {
    const base = inst!.identity('offline').home;
    const homes = readdirSync(base).filter((n) => /^ws-[0-9a-f]{16}$/.test(n));
    assert.equal(homes.length, 1, `one workspace home under ${base}: ${homes.join(', ')}`);
    return path.join(base, homes[0]!);
  };

  it('npm ci in an allowlist session fills the cache, and a new offline session installs from it (npm ci --offline)', async function () {
    const reason = prepareProject();
    if (reason !== undefined) {
      console.log(`      (skipped: ${reason})`);
      this.skip();
    }
    cpSync(PREPARED, project, { recursive: true });
    execFileSync('chown', ['-R', '--no-dereference', `${inst!.user.uid}:${inst!.user.gid}`, project]);
    try {
      // The control: nothing cached yet, so the offline install fails with npm's own message.
      const before = await run([NPM!, 'ci', '--offline', ...NPM_FLAGS]);
      assert.equal(before.signal, null, show(before));
      assert.notEqual(before.status, 0, `npm ci --offline before any install must fail: ${show(before)}`);
      assert.match(before.stderr, /ENOTCACHED|offline/i, show(before));

      // An online session is the online identity, with a home of its own: what it downloads is
      // in that home's cache, not the offline identity's (README design note 5).
      const online = await run([NPM!, 'ci', ...NPM_FLAGS], ['--network', 'online']);
      if (online.status === 0) {
        rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
        const stillNot = await run([NPM!, 'ci', '--offline', ...NPM_FLAGS]);
        assert.notEqual(stillNot.status, 0, `the online identity's cache is not the offline identity's: ${show(stillNot)}`);
        assert.match(stillNot.stderr, /ENOTCACHED|offline/i, show(stillNot));
      } else {
        console.log(`      (online session could not install, the registry is unreachable from it: ${online.stderr.trim().slice(-200)})`);
      }

      const first = await run([NPM!, 'ci', ...NPM_FLAGS], ['--allow-host', REGISTRY_HOST]);
      if (first.status !== 0 && /ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|blocked connection/.test(first.stderr)) {
        console.log(`      (skipped: ${REGISTRY_HOST} not reachable through the session's proxy: ${first.stderr.trim().slice(-300)})`);
        this.skip();
      }
      assert.equal(first.status, 0, `npm ci in the allowlist session: ${show(first)}`);
      const cacache = path.join(offlineHome(), '.npm', '_cacache');
      const cached = countFiles(path.join(cacache, 'content-v2'));
      assert.ok(cached >= 3, `the three tarballs are in the identity's cache for this workspace (${cached} content files in ${cacache})`);
      rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });

      const second = await run([NPM!, 'ci', '--offline', ...NPM_FLAGS]);
      assert.equal(second.status, 0, `npm ci --offline in a new offline session, from the cache: ${show(second)}`);
      assert.equal(countFiles(path.join(cacache, 'content-v2')), cached, 'nothing new was fetched');
      const use = await run([process.execPath, '-e', 'console.log(require("semver").valid("1.2.3"), require("ms")(60000), require("minimist")(["--a=1"]).a)']);
      assert.equal(use.status, 0, show(use));
      assert.equal(use.stdout.toString(), '1.2.3 1m 1\n');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('offline npm install fails, and the log npm names (which the user cannot read) is copied where the user reads it', async () => {
    userFile(inst!.user, path.join(inst!.workspace, 'package.json'), JSON.stringify({ name: 'ws', version: '1.0.0', private: true }));
    try {
      const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', NPM!, 'install', '--no-audit', '--no-fund', 'left-pad@1.3.0'], { killAfterMs: 120_000 });
      assert.equal(r.signal, null, show(r));
      assert.notEqual(r.status, 0, show(r));
      const named = /A complete log of this run can be found in: (\/\S+)/.exec(r.stderr)?.[1];
      assert.ok(named !== undefined && named.startsWith(offlineHome()), `npm names its log in the identity's home: ${show(r)}`);
      const line = new RegExp(`^corral: npm's log ${named.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in the sandbox identity's home, which you cannot read; a copy is at (\\S+)$`, 'm').exec(r.stderr);
      assert.ok(line !== null, show(r));
      const copy = line[1]!;
      assert.equal(path.dirname(copy), path.join(inst!.user.home, '.local', 'state', inst!.instance, 'tool-logs'));
      // The real user, as themselves: npm's path is closed to them (the control), the copy is theirs.
      const original = await runProgram('cat', [named], { asUser: inst!.user });
      assert.notEqual(original.status, 0, `the user cannot read the identity's home: ${show(original)}`);
      assert.match(original.stderr, /Permission denied/);
      const read = await runProgram('cat', [copy], { asUser: inst!.user });
      assert.equal(read.status, 0, show(read));
      assert.match(read.stdout.toString(), /verbose cli /, 'the copy is npm\'s debug log');
      assert.match(read.stdout.toString(), /ENOTCACHED|offline/i);
      const st = statSync(copy);
      assert.equal(st.uid, inst!.user.uid);
      assert.equal(st.mode & 0o777, 0o600);
      // --json: the same copy, in toolLogs and notices.
      const j = await inst!.corralAs(inst!.user, ['run', '--json', '--workspace', inst!.workspace, '--', NPM!, 'install', '--no-audit', '--no-fund', 'left-pad@1.3.0'], { killAfterMs: 120_000 });
      const doc = JSON.parse(j.stdout.toString()) as { status: number; toolLogs: { tool: string; path: string; copy: string | null }[]; notices: string[] };
      assert.notEqual(doc.status, 0, show(j));
      assert.equal(doc.toolLogs.length, 1, show(j));
      assert.equal(doc.toolLogs[0]!.tool, 'npm');
      assert.ok(doc.toolLogs[0]!.copy !== null && doc.toolLogs[0]!.copy !== copy && existsSync(doc.toolLogs[0]!.copy), show(j));
      assert.ok(doc.notices.some((n) => n.startsWith("npm's log ")));
    } finally {
      rmSync(path.join(inst!.workspace, 'package.json'), { force: true });
      rmSync(path.join(inst!.workspace, 'package-lock.json'), { force: true });
      rmSync(path.join(inst!.workspace, 'node_modules'), { recursive: true, force: true });
    }
  });

  it('a log path the session forges is read with the session\'s rights only: a link to /etc/shadow gives no copy', async () => {
    const script = 'd="$HOME/.npm/_logs"; mkdir -p "$d" && ln -sf /etc/shadow "$d/forged.log" && echo "npm error A complete log of this run can be found in: $d/forged.log" >&2; exit 1';
    const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', 'sh', '-c', script], { killAfterMs: 60_000 });
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /^corral: npm's log \S+\/forged\.log is in the sandbox identity's home, which you cannot read, and it could not be copied \(head exited 1 in the session\)$/m, show(r));
    const dir = path.join(inst!.user.home, '.local', 'state', inst!.instance, 'tool-logs');
    const copies = existsSync(dir) ? readdirSync(dir).filter((n) => n.includes('forged')) : [];
    assert.deepEqual(copies, [], 'no copy was made');
    // A path of another shape is not taken at all.
    const other = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', 'sh', '-c', 'echo "A complete log of this run can be found in: /etc/shadow" >&2; exit 1'], { killAfterMs: 60_000 });
    assert.equal(other.status, 1, show(other));
    assert.doesNotMatch(other.stderr, /^corral: npm's log/m, show(other));
  });
});
