/**
 * `corral setup --remove-workspace` killed anywhere, converged by a re-run (root, the real
 * machine). Two workspaces in the user's 0750 home, set up in two runs (so the home's
 * execute-only entries are journaled under the first one only and must be kept for the
 * second); the first one is removed under `strace -P <journal> -e inject=write:signal=SIGKILL`,
 * killed on entry to each `done` / `undone` record in turn (after the step's effect, before the
 * journal says so: the hardest point — the same pattern as provision-crash.test.ts).
 *
 * After each kill the same command is run again and must exit 0; then the removed workspace's
 * ACLs are byte-equal to before setup (the user's own entry included), its identity homes are
 * gone, state.json lists only the other workspace, the home keeps the entries the other one
 * needs, a real command runs in the other workspace, status is clean — and teardown restores the
 * whole machine byte for byte (so the journal the crashed removal left is consistent).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';
import { assertSameMachine, describeResult, killedAtWrite, machineSnapshot, ProvisionFixture, sh, straced, type MachineSnapshot } from './helpers/provision.js';

describe('setup --remove-workspace survives a kill after every step (root, strace)', function () {
  this.timeout(900_000);
  const fx = new ProvisionFixture();
  let baseline: MachineSnapshot;
  let a = '';
  let b = '';
  let aclOfA = '';
  const removeArgs = () => ['setup', '--remove-workspace', a, '--yes', '--json'];

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: needs root — the suite creates users, groups, nft tables and ACLs)');
      this.skip();
    }
    if (spawnSync('strace', ['-V']).status !== 0) throw new Error('strace is required for the kill points (apt-get install strace)');
    fx.createUser();
    a = fx.workspace;
    b = path.join(fx.home, 'other');
    for (const d of [a, path.join(a, 'src'), b]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, fx.uid, fx.gid);
    }
    writeFileSync(path.join(a, 'src', 'a.txt'), 'a\n');
    chownSync(path.join(a, 'src', 'a.txt'), fx.uid, fx.gid);
    // An ACL entry of the user's own: the removal must put it back exactly.
    sh('setfacl', ['-m', 'u:nobody:r--', path.join(a, 'src', 'a.txt')]);
    aclOfA = sh('getfacl', ['-R', '-p', '-n', a]);
    baseline = machineSnapshot(fx);
  });

  after(async function () {
    this.timeout(300_000);
    if (fx.uid !== -1) await fx.cleanup();
  });

  async function provisionBoth(): Promise<void> {
    for (const ws of [a, b]) {
      const r = await fx.corral(['setup', '--yes', '--workspace', ws, '--json']);
      assert.equal(r.status, 0, `setup ${ws}: ${describeResult(r)}`);
    }
    // A session in the workspace to be removed: its identity home exists.
    const r = await fx.corral(['run', '--workspace', a, '--', 'true']);
    assert.equal(r.status, 0, `a session in ${a}: ${describeResult(r)}`);
    assert.ok(existsSync(path.join(fx.inst.homeBase, fx.names.offline, workspaceHomeName(a))));
  }

  async function assertRemoved(label: string): Promise<void> {
    assert.equal(sh('getfacl', ['-R', '-p', '-n', a]), aclOfA, `${label}: the removed workspace's ACLs differ from before setup`);
    for (const n of [fx.names.offline, fx.names.online]) {
      assert.equal(existsSync(path.join(fx.inst.homeBase, n, workspaceHomeName(a))), false, `${label}: ${n}'s home for the workspace is left`);
    }
    const state = JSON.parse(readFileSync(path.join(fx.inst.stateDir, 'state.json'), 'utf8')) as { users: Record<string, { workspaces: Record<string, unknown> }> };
    assert.deepEqual(Object.keys(state.users[fx.userName]!.workspaces), [b], label);
    const home = sh('getfacl', ['-p', '-n', fx.home]);
    const uid = (n: string) => sh('id', ['-u', n]).trim();
    for (const n of [fx.names.offline, fx.names.online]) assert.match(home, new RegExp(`^user:${uid(n)}:--x$`, 'm'), `${label}: the home lost ${n}'s entry the other workspace needs`);
    const run = await fx.corral(['run', '--workspace', b, '--', '/bin/sh', '-c', 'echo ok > from-session.txt && cat from-session.txt']);
    assert.equal(run.status, 0, `${label}: a command in the other workspace: ${describeResult(run)}`);
    rmSync(path.join(b, 'from-session.txt'));
    const status = await fx.corral(['status', '--json']);
    assert.equal(status.status, 0, `${label}: status: ${describeResult(status)}`);
    rmSync(path.join(fx.home, '.local'), { recursive: true, force: true }); // the user's audit log (see provision-crash)
  }

  async function teardownToBaseline(label: string): Promise<void> {
    const down = await fx.corral(['teardown', '--yes', '--json']);
    assert.equal(down.status, 0, `${label}: teardown: ${describeResult(down)}`);
    assertSameMachine(fx, baseline, machineSnapshot(fx), label);
  }

  it('converges after a kill at each journal record that follows an effect, and teardown then restores the machine', async () => {
    // Reference run: which journal write is which record.
    await provisionBoth();
    const log = path.join('/tmp', `${fx.instance}-rw-strace.log`);
    const setupWrites = sh('wc', ['-l', path.join(fx.inst.stateDir, 'journal.jsonl')]).trim().split(' ')[0];
    let writes: { op: string; step: string }[];
    try {
      const r = await straced(fx, removeArgs(), ['-o', log]);
      assert.equal(r.status, 0, describeResult(r));
      writes = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('write('))
        .map((l) => ({ op: /\\"op\\":\\"([a-z-]+)\\"/.exec(l)?.[1] ?? '?', step: /\\"step\\":\\"([^"\\]*)\\"/.exec(l)?.[1] ?? '?' }));
    } finally {
      rmSync(log, { force: true });
    }
    assert.ok(Number(setupWrites) > 0);
    const kinds = writes.map((w) => `${w.op} ${w.step.replace(/:.*/, '')}`);
    // The plan this suite is about: the state first, the kept home entries, the grant's revoke.
    assert.deepEqual(kinds, ['begin forget', 'done forget', 'begin keep', 'done keep', 'undo-begin revoke-1', 'undone revoke-1'], JSON.stringify(writes));
    await assertRemoved('reference run');
    await teardownToBaseline('reference run');

    const points = writes.flatMap((w, i) => (w.op === 'done' || w.op === 'undone' ? [{ k: i + 1, what: `${w.op} ${w.step}` }] : []));
    assert.equal(points.length, 3);
    for (const { k, what } of points) {
      const label = `killed at journal write ${k} (${what})`;
      await provisionBoth();
      await killedAtWrite(fx, removeArgs(), k);
      const again = await fx.corral(removeArgs());
      assert.equal(again.status, 0, `${label}: re-run: ${describeResult(again)}`);
      await assertRemoved(label);
      await teardownToBaseline(label);
    }
  });
});
