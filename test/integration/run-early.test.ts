/**
 * `corral run` starts its runner before the CLI has parsed anything (orchestrator/cli/early-run.ts).
 * As root with the real runner: the early runner is the one the session uses (the command runs,
 * as root and through the sudo rule), and when the command fails before a session opens (usage
 * error, workspace not provisioned) that runner is stopped — no runner of the installation is
 * left waiting for a request. (--fresh: the early runner is the fresh session's; a kept session's
 * runner is its host's, run-reuse.test.ts.)
 */
import assert from 'node:assert/strict';
import { requireRoot, show, TestInstallation, eventually, pgrep } from './helpers/e2e.js';

describe('corral run starts its runner early (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const runnerCmdline = () => `/usr/local/lib/${inst!.instance}/bin/node /usr/local/lib/${inst!.instance}/app/dist/runner/main.js`;
  const noRunnerLeft = () => eventually(() => pgrep(runnerCmdline()).length === 0);

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
  });
  after(async () => {
    await inst?.teardown();
  });

  it('runs the command in the early runner, as root for the user and as the user through sudo', async () => {
    const r = await inst!.run(['sh', '-c', 'echo early; exit 7'], ['--fresh'], { killAfterMs: 60_000 });
    assert.equal(r.status, 7, show(r));
    assert.equal(r.stdout.toString(), 'early\n');
    const viaSudo = await inst!.corralAs(inst!.user, ['run', '--fresh', '--', 'id', '-un'], { killAfterMs: 60_000 });
    assert.equal(viaSudo.status, 0, show(viaSudo));
    assert.equal(viaSudo.stdout.toString().trim(), inst!.identity('offline').name);
    assert.equal(await noRunnerLeft(), true, 'a runner outlived its corral run');
  });

  it('stops the early runner when the command fails before a session opens', async () => {
    const usage = await inst!.corral(['run'], { killAfterMs: 60_000 });
    assert.equal(usage.status, 2, show(usage));
    const elsewhere = await inst!.corral(['run', '--workspace', '/tmp', '--', 'true'], { killAfterMs: 60_000 });
    assert.equal(elsewhere.status, 3, show(elsewhere));
    assert.equal(await noRunnerLeft(), true, 'an early runner nobody took is still waiting for a request');
  });

  it('run --help prints the usage and leaves no runner', async () => {
    const help = await inst!.corral(['run', '--help'], { killAfterMs: 60_000 });
    assert.equal(help.status, 0, show(help));
    assert.match(help.stdout.toString(), /Usage: corral run/);
    assert.equal(await noRunnerLeft(), true);
  });
});
