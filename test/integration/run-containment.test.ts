/**
 * End to end, as root, with the real runner: nothing a command starts outlives it (timeout,
 * session close), setuid programs cannot raise privileges, and process creation stops at the
 * policy's pids limit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { openSession, type Session } from 'corral';
import { RUNNER_PIDS_HEADROOM } from '../../runner/linux/cgroup.js';
import { eventually, pgrep, requireRoot, show, TestInstallation, userDir, userFile } from './helpers/e2e.js';

const PIDS_LIMIT = 64;
/**
 * The runner's pids group holds the runner too, so its limit is limits.pids plus the runner's
 * own thread allowance (runner/linux/cgroup.ts): commands may get slightly more than limits.pids.
 */
const CEILING = PIDS_LIMIT + RUNNER_PIDS_HEADROOM;

/** Processes owned by `uid` (all namespaces: the host sees them all). */
function processesOf(uid: number): number {
  try {
    return Number(execFileSync('pgrep', ['-c', '-U', String(uid)], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

const FORK_LOOP = String.raw`
import os, signal, sys, time
pids, err = [], None
for i in range(300):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.errno; break
    if pid == 0:
        time.sleep(60); os._exit(0)
    pids.append(pid)
print(len(pids), err)
for p in pids: os.kill(p, signal.SIGKILL)
for p in pids: os.waitpid(p, 0)
`;

describe('corral run end to end: containment (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const saved: Record<string, string | undefined> = {};
  let pidsLimitHolds = false;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    // The user's own config layer lowers the pids limit for these sessions.
    const dir = userDir(inst.user, path.join(inst.user.home, '.config', inst.instance), 0o755);
    userDir(inst.user, path.join(inst.user.home, '.config'), 0o755);
    userFile(inst.user, path.join(dir, 'config.json'), JSON.stringify({ limits: { pids: PIDS_LIMIT } }));
    await inst.setup();
    for (const [k, v] of Object.entries(inst.rootEnv())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await inst?.teardown();
  });

  async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const session = await openSession({ workspace: inst!.workspace, audit: false });
    try {
      return await fn(session);
    } finally {
      await session.close();
    }
  }

  it('a `setsid sleep` started by a command is gone after the command times out (corral run)', async () => {
    const marker = `sleep 600.${Date.now() % 100000}1`;
    const r = await inst!.run(['sh', '-c', `setsid ${marker} </dev/null >/dev/null 2>&1 & echo started; sleep 60`], ['--timeout', '2']);
    assert.equal(r.status, 124, show(r));
    assert.equal(r.stdout.toString(), 'started\n');
    assert.ok(await eventually(() => pgrep(marker).length === 0), `${marker} survived the timeout: pids ${pgrep(marker).join(',')}`);
  });

  it('a `setsid sleep` is alive while the session runs and gone after the timeout and after close (openSession)', async () => {
    const onTimeout = `sleep 600.${Date.now() % 100000}2`;
    const onClose = `sleep 600.${Date.now() % 100000}3`;
    await withSession(async (session) => {
      const child = session.spawn(['sh', '-c', `setsid ${onTimeout} </dev/null >/dev/null 2>&1 & echo started; sleep 60`], { timeoutSec: 3, stdin: 'ignore' });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      assert.ok(await eventually(() => pgrep(onTimeout).length === 1), 'control: the daemon started');
      const exit = await child.exit;
      assert.equal(exit.timedOut, true);
      assert.equal(exit.status, 124);
      assert.ok(await eventually(() => pgrep(onTimeout).length === 0), `${onTimeout} survived the timeout`);

      const quick = await session.exec(['sh', '-c', `setsid ${onClose} </dev/null >/dev/null 2>&1 & echo started`]);
      assert.equal(quick.status, 0);
      assert.ok(await eventually(() => pgrep(onClose).length === 1), 'control: the daemon outlived its command inside the session');
    });
    assert.ok(await eventually(() => pgrep(onClose).length === 0), `${onClose} survived session close`);
  });

  it('`sudo -n` cannot raise privileges inside', async () => {
    const r = await inst!.run(['sudo', '-n', 'id', '-u']);
    assert.notEqual(r.status, 0, show(r));
    assert.notEqual(r.stdout.toString().trim(), '0');
    const control = await inst!.run(['id', '-u']);
    assert.equal(control.stdout.toString().trim(), String(inst!.identity('offline').uid), show(control));
  });

  it(`process creation stops at the pids limit (${PIDS_LIMIT} + runner allowance): a loop of 300 forks gets EAGAIN`, async () => {
    const r = await inst!.run(['/usr/bin/python3', '-c', FORK_LOOP], ['--timeout', '60']);
    assert.equal(r.status, 0, show(r));
    const [count, errno] = r.stdout.toString().trim().split(' ');
    assert.ok(Number(count) < CEILING, `${count} forks succeeded; ceiling ${CEILING}`);
    assert.ok(Number(count) > PIDS_LIMIT / 2, `control: only ${count} forks succeeded; the limit is ${PIDS_LIMIT}`);
    assert.equal(errno, '11', 'fork failed with EAGAIN');
    pidsLimitHolds = true;
  });

  it('a fork bomb stops at the pids limit and dies with the session', async function () {
    await inst!.stopKeptSessions(); // the earlier cases' kept sessions: their runners are the identity's too
    if (!pidsLimitHolds) {
      console.log('      (skipped: the bounded fork test above did not prove the pids limit; a real fork bomb would endanger the machine)');
      this.skip();
    }
    const uid = inst!.identity('offline').uid;
    await withSession(async (session) => {
      const bomb = session.spawn(['sh', '-c', 'b() { b | b & }; b; sleep 60'], { stdin: 'ignore', timeoutSec: 60 });
      bomb.stdout.resume();
      bomb.stderr.resume();
      assert.ok(await eventually(() => processesOf(uid) >= PIDS_LIMIT / 2), 'control: the bomb multiplied');
      let peak = 0;
      for (let i = 0; i < 20; i++) {
        peak = Math.max(peak, processesOf(uid));
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(peak <= CEILING, `${peak} processes of the identity, ceiling ${CEILING}`);
      bomb.kill('SIGKILL');
      await bomb.exit;
    });
    assert.ok(await eventually(() => processesOf(uid) === 0), `${processesOf(uid)} processes of the identity survived the session`);
  });
});
