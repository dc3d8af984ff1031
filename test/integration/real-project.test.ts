/**
 * Issue 11 item 7, JavaScript: a real project's own test suite, not written here, passes inside an
 * offline session as the developer would run it — the project's own `npm run tests-only` (nyc + tape)
 * through the machine's real `node` and `npm`, as the member through the real sudo rule — and gives the
 * same result as the same command run plainly as the real user.
 *
 * The project is minimist, whose published tarball carries its tests. It is fetched from the npm
 * registry at test time into a cache outside the repository (CACHE below; nothing third-party is
 * committed), and its dev dependencies are installed there once, outside any sandbox (scripts off).
 * Each run copies it into the provisioned workspace, owned by the test user. Without the registry
 * (CI without network, nothing cached yet) the suite skips and prints why.
 *
 * Measured: wall time of the suite plainly and inside, median of 3 each, and their ratio — printed,
 * never asserted (tests never assert times).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, type Result } from './helpers/e2e.js';

const PACKAGE = 'minimist';
const VERSION = '1.2.8';
const CACHE = '/var/cache/corral-test';
const PREPARED = path.join(CACHE, `${PACKAGE}-${VERSION}`);
/** The project's own test script without its lint pre-step and `aud` post-step (an online audit). */
const TEST_ARGV = ['npm', 'run', 'tests-only'];
const RUNS = 3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Fetch and install into the cache once; returns a reason to skip, or undefined when ready. */
function prepare(): string | undefined {
  if (existsSync(path.join(PREPARED, 'node_modules', '.bin', 'tape'))) return undefined;
  const work = path.join(CACHE, `.prep-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    try {
      execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--silent', '--pack-destination', work], { cwd: work, stdio: 'pipe', timeout: 120_000 });
    } catch (err) {
      return `the npm registry cannot be reached to fetch ${PACKAGE}@${VERSION}: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().slice(0, 300)}`;
    }
    execFileSync('tar', ['-xzf', `${PACKAGE}-${VERSION}.tgz`], { cwd: work, stdio: 'pipe' });
    const pkg = path.join(work, 'package');
    try {
      execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: pkg, stdio: 'pipe', timeout: 600_000 });
    } catch (err) {
      return `npm install of ${PACKAGE}'s dev dependencies failed (registry unreachable?): ${String((err as { stderr?: Buffer }).stderr ?? err).trim().slice(0, 300)}`;
    }
    rmSync(PREPARED, { recursive: true, force: true });
    renameSync(pkg, PREPARED);
    return undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** tape's summary: `# tests N`, `# pass N`, and no `# fail`. */
function tapSummary(r: Result): { tests: number; pass: number; fail: number } {
  const out = r.stdout.toString('utf8');
  const num = (label: string): number => Number(new RegExp(`^# ${label}\\s+(\\d+)\\s*$`, 'm').exec(out)?.[1] ?? NaN);
  const fail = num('fail');
  return { tests: num('tests'), pass: num('pass'), fail: Number.isNaN(fail) ? 0 : fail };
}

describe(`a real JavaScript project's own test suite (${PACKAGE}@${VERSION}, tape) inside an offline session (root)`, function () {
  this.timeout(900_000);
  let inst: TestInstallation | undefined;
  let project = '';

  before(async function () {
    requireRoot(this);
    const reason = prepare();
    if (reason !== undefined) {
      console.log(`      (skipped: ${reason})`);
      this.skip();
    }
    inst = new TestInstallation();
    await inst.setup();
    project = path.join(inst.workspace, PACKAGE);
    cpSync(PREPARED, project, { recursive: true, verbatimSymlinks: true });
    execFileSync('chown', ['-R', '--no-dereference', `${inst.user.uid}:${inst.user.gid}`, project]);
  });
  after(async () => {
    await inst?.teardown();
  });

  it('passes plainly and through `corral run` (offline, as the member), with the same test count; medians of 3', async () => {
    const user = inst!.user;
    const plainEnv = { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    const plain: number[] = [];
    const inside: number[] = [];
    let plainCount: ReturnType<typeof tapSummary> | undefined;
    let insideCount: ReturnType<typeof tapSummary> | undefined;
    for (let i = 0; i < RUNS; i++) {
      let t = process.hrtime.bigint();
      const p = await runProgram(TEST_ARGV[0]!, TEST_ARGV.slice(1), { asUser: user, cwd: project, env: plainEnv, killAfterMs: 300_000 });
      plain.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(p.status, 0, `plain run: ${show(p)}`);
      plainCount = tapSummary(p);

      t = process.hrtime.bigint();
      const c = await inst!.corralAs(user, ['run', '--workspace', inst!.workspace, '--cwd', project, '--', ...TEST_ARGV], {
        cwd: project,
        env: { HOME: user.home, PATH: plainEnv.PATH },
        killAfterMs: 300_000,
      });
      inside.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(c.status, 0, `inside corral run: ${show(c)}`);
      insideCount = tapSummary(c);
    }
    assert.ok(plainCount!.tests > 100, `plain run: expected minimist's >100 assertions, summary ${JSON.stringify(plainCount)}`);
    assert.equal(plainCount!.fail, 0);
    assert.equal(plainCount!.pass, plainCount!.tests);
    assert.deepEqual(insideCount, plainCount, 'the suite inside the session did not give the plain result');
    const mp = median(plain);
    const mi = median(inside);
    console.log(
      `      ${PACKAGE}@${VERSION} tests-only (${plainCount!.tests} assertions): plain median ${mp.toFixed(0)} ms, ` +
        `corral run (offline) median ${mi.toFixed(0)} ms, ratio ${(mi / mp).toFixed(2)} (median of ${RUNS})`,
    );
  });
});
