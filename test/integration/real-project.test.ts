/**
 * Issue 11 item 7, JavaScript: a real project's own test suite, not written here, passes inside an
 * offline session as the developer would run it — the project's own `npm run tests-only` (nyc + tape)
 * through the machine's real `node` and `npm`, as the member through the real sudo rule — and gives the
 * same result as the same command run plainly as the real user.
 *
 * The project is minimist, whose published tarball carries its tests. It is fetched from the npm
 * registry at test time into a cache outside the repository (helpers/real-projects.ts; nothing
 * third-party is committed), and its dev dependencies are installed there once, outside any sandbox (scripts off).
 * Each run copies it into the provisioned workspace, owned by the test user. Without the registry
 * (CI without network, nothing cached yet) the suite skips and prints why.
 *
 * Measured: wall time of the suite plainly and inside, median of 3 each, and their ratio — printed,
 * never asserted (tests never assert times).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation } from './helpers/e2e.js';
import { median, MINIMIST, MINIMIST_TEST_ARGV as TEST_ARGV, PLAIN_PATH, prepareMinimist, tapSummary } from './helpers/real-projects.js';

const PACKAGE = MINIMIST.name;
const VERSION = MINIMIST.version;
const RUNS = 3;

describe(`a real JavaScript project's own test suite (${PACKAGE}@${VERSION}, tape) inside an offline session (root)`, function () {
  this.timeout(900_000);
  let inst: TestInstallation | undefined;
  let project = '';

  before(async function () {
    requireRoot(this);
    const prepared = prepareMinimist();
    if (!prepared.ok) {
      console.log(`      (skipped: ${prepared.reason})`);
      this.skip();
    }
    inst = new TestInstallation();
    await inst.setup();
    project = path.join(inst.workspace, PACKAGE);
    cpSync(prepared.dir, project, { recursive: true, verbatimSymlinks: true });
    execFileSync('chown', ['-R', '--no-dereference', `${inst.user.uid}:${inst.user.gid}`, project]);
  });
  after(async () => {
    await inst?.teardown();
  });

  it('passes plainly and through `corral run` (offline, as the member), with the same test count; medians of 3', async () => {
    const user = inst!.user;
    const plainEnv = { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: PLAIN_PATH };
    const plain: number[] = [];
    const inside: number[] = [];
    let plainCount: ReturnType<typeof tapSummary> | undefined;
    let insideCount: ReturnType<typeof tapSummary> | undefined;
    for (let i = 0; i < RUNS; i++) {
      let t = process.hrtime.bigint();
      const p = await runProgram(TEST_ARGV[0]!, TEST_ARGV.slice(1), { asUser: user, cwd: project, env: plainEnv, killAfterMs: 300_000 });
      plain.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(p.status, 0, `plain run: ${show(p)}`);
      plainCount = tapSummary(p.stdout.toString('utf8'));

      t = process.hrtime.bigint();
      const c = await inst!.corralAs(user, ['run', '--workspace', inst!.workspace, '--cwd', project, '--', ...TEST_ARGV], {
        cwd: project,
        env: { HOME: user.home, PATH: plainEnv.PATH },
        killAfterMs: 300_000,
      });
      inside.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(c.status, 0, `inside corral run: ${show(c)}`);
      insideCount = tapSummary(c.stdout.toString('utf8'));
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
