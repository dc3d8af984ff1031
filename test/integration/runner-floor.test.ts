/**
 * The runner owns the floor of the policy (root; a real user and installation made by the real
 * `corral setup`, the runner started by the member itself through the real sudo rule with
 * hand-made open requests, and a root-owned machine config in /etc/<inst>/config.json):
 * every lock the administrator sets holds against a request that skips `corral run`, each
 * checked by its real outcome — a real `sleep` killed at the machine timeout, a real fork
 * count, a real `env`, a real `cat`, a real write into `.git` — next to a control that works.
 * A world-writable machine config is refused by the runner and by the CLI alike.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { linuxInstallation } from '../../core/installation.js';
import type { SessionRequest } from '../../core/protocol.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';
import { RUNNER_PIDS_HEADROOM } from '../../runner/linux/cgroup.js';
import { requireRoot, show, TestInstallation, userDir, userFile } from './helpers/e2e.js';

const PATH_ONLY = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe('runner policy floor: machine locks against hand-made requests (root, real sudo rule)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let configFile = '';
  const clients: RunnerClient[] = [];

  const machine = (denyReadFile: string) => ({
    network: 'offline',
    limits: { timeoutSec: 3, pids: 40 },
    denyRead: [denyReadFile],
    locked: ['network'],
  });

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctf');
    await inst.setup();
    const installation = linuxInstallation(inst.instance);
    configFile = installation.machineConfigFile;
    mkdirSync(configFile.slice(0, configFile.lastIndexOf('/')), { recursive: true, mode: 0o755 });
    writeFileSync(configFile, JSON.stringify(machine(`${inst.workspace}/admin-secret.txt`)), { mode: 0o644 });
    chownSync(configFile, 0, 0);
    userFile(inst.user, `${inst.workspace}/admin-secret.txt`, 'TOPSECRET\n');
    userFile(inst.user, `${inst.workspace}/public.txt`, 'PUBLIC\n');
    userDir(inst.user, `${inst.workspace}/.git`);
    userFile(inst.user, `${inst.workspace}/.git/config`, '[core]\n');
    userDir(inst.user, `${inst.user.home}/.config`);
  });
  after(async function () {
    for (const c of clients) c.killNow();
    if (configFile !== '') rmSync(configFile.slice(0, configFile.lastIndexOf('/')), { recursive: true, force: true });
    await inst?.teardown();
  });

  /** A hand-made open request of the test user, which omits `protected` and `denyRead` and asks for more than the machine allows. */
  const request = (overrides: Partial<SessionRequest> = {}): SessionRequest =>
    inst!.openRequest({ protected: [], limits: { timeoutSec: 3600, maxOutputBytes: 1024 * 1024, pids: 100_000 }, ...overrides });

  function startAsMember(req: SessionRequest): RunnerClient {
    const installation = linuxInstallation(inst!.instance);
    const c = RunnerClient.startVia('runuser', ['-u', inst!.user.name, '--', '/usr/bin/sudo', '-n', installation.runnerNode, installation.runnerEntry], req);
    clients.push(c);
    return c;
  }

  async function refusal(c: RunnerClient): Promise<{ code: string; message: string; exit: number | null }> {
    const frame = await c.waitFor((m) => m.type === 'error' || m.type === 'hello');
    assert.equal(frame.type, 'error', `expected a refusal, got ${JSON.stringify(frame)}`);
    const { code } = await c.exited;
    return frame.type === 'error' ? { code: frame.code, message: frame.message, exit: code } : { code: '', message: '', exit: code };
  }

  async function close(c: RunnerClient): Promise<void> {
    await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 20_000))]);
    c.killNow();
  }

  it('refuses network online under a machine lock to offline (config_locked), and serves offline', async function () {
    const online = await refusal(startAsMember(request({ network: 'online' })));
    assert.equal(online.code, 'config_locked', online.message);
    assert.equal(online.exit, 2);
    const c = startAsMember(request());
    const hello = await c.hello();
    assert.match(hello.policyDigest, /^[0-9a-f]{16}$/, 'hello carries the runner digest of what it enforces');
    assert.notEqual(hello.policyDigest, 'test');
    await close(c);
  });

  it('refuses the whole home, and ~/.config (where the secrets and autostart files live), as writable roots (not_permitted)', async function () {
    const home = await refusal(startAsMember(request({ writableRoots: [inst!.user.home] })));
    assert.equal(home.code, 'not_permitted', home.message);
    const config = await refusal(startAsMember(request({ writableRoots: [`${inst!.user.home}/.config`] })));
    assert.equal(config.code, 'not_permitted', config.message);
  });

  it('clamps the timeout to the machine limit: a real sleep is killed there although the request asked for an hour', async function () {
    const c = startAsMember(request());
    await c.hello();
    const r = await c.exec(['/bin/sleep', '30'], { cwd: inst!.workspace, env: PATH_ONLY, timeoutMs: 3_600_000 });
    assert.equal(r.exit?.timedOut, true, `expected the machine timeout to kill sleep: ${JSON.stringify(r.exit)}`);
    const ok = await c.exec(['/bin/true'], { cwd: inst!.workspace, env: PATH_ONLY });
    assert.equal(ok.exit?.code, 0, 'control: a short command finishes');
    await close(c);
  });

  it('clamps pids to the machine limit: a real fork loop stops at the machine limit of 40 (plus the runner headroom) although the request asked for 100000', async function () {
    const c = startAsMember(request());
    await c.hello();
    // Each sleep outlives the loop (the machine timeout of 3 s ends them all); the shell stops at its first failed fork.
    const r = await c.sh('i=0; while [ $i -lt 150 ]; do sleep 30 & i=$((i+1)); echo $i; done', { cwd: inst!.workspace, env: PATH_ONLY });
    const counts = r.out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    const forked = counts.length === 0 ? 0 : Math.max(...counts);
    assert.ok(forked >= 1, `control: some forks succeed (${show({ status: r.code, signal: null, stdout: Buffer.from(r.out), stderr: r.err })})`);
    // pids.max is the session limit plus the runner's own thread headroom (cgroup.ts), which the runner's threads partly use.
    assert.ok(forked < 40 + RUNNER_PIDS_HEADROOM, `forked ${forked} background processes under a machine pids limit of 40 (+${RUNNER_PIDS_HEADROOM} for the runner)`);
    assert.match(r.err, /fork/i, 'the loop ended at a refused fork (the limit), not at the timeout');
    await close(c);
  });

  it('keeps secret-looking variables out of the real environment of a command', async function () {
    const c = startAsMember(request());
    await c.hello();
    const r = await c.exec(['/usr/bin/env'], { cwd: inst!.workspace, env: { ...PATH_ONLY, GITHUB_TOKEN: 'ghp_leak', CORP_API_KEY: 'k_leak', PLAIN_SETTING: 'visible' } });
    const out = r.stdout.toString('utf8');
    assert.match(out, /^PLAIN_SETTING=visible$/m, 'control: a plain variable the client set passes');
    assert.doesNotMatch(out, /ghp_leak|k_leak/);
    await close(c);
  });

  it("hides the administrator's denyRead path from a real cat (the request's denyRead is empty)", async function () {
    const c = startAsMember(request());
    await c.hello();
    const secret = await c.exec(['/bin/cat', `${inst!.workspace}/admin-secret.txt`], { cwd: inst!.workspace, env: PATH_ONLY });
    assert.doesNotMatch(secret.stdout.toString('utf8'), /TOPSECRET/);
    const control = await c.exec(['/bin/cat', `${inst!.workspace}/public.txt`], { cwd: inst!.workspace, env: PATH_ONLY });
    assert.match(control.stdout.toString('utf8'), /PUBLIC/, 'control: another file of the workspace is readable');
    await close(c);
  });

  it('keeps .git read-only when the request omits protected: a real write fails, a write beside it lands', async function () {
    const c = startAsMember(request({ protected: [] }));
    await c.hello();
    const attack = await c.sh('echo "[core] fsmonitor = evil" >> .git/config', { cwd: inst!.workspace, env: PATH_ONLY });
    assert.notEqual(attack.code, 0, 'the write into .git must fail');
    assert.equal(readFileSync(`${inst!.workspace}/.git/config`, 'utf8'), '[core]\n');
    const control = await c.sh('echo ok > written.txt', { cwd: inst!.workspace, env: PATH_ONLY });
    assert.equal(control.code, 0, `control: the workspace is writable: ${control.err}`);
    assert.equal(readFileSync(`${inst!.workspace}/written.txt`, 'utf8'), 'ok\n');
    await close(c);
  });

  it('the CLI agrees: corral run --network online is refused under the lock', async function () {
    const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--network', 'online', '--', '/bin/true']);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /locked/);
  });

  it('refuses a world-writable machine config, in the runner and in the CLI', async function () {
    chmodSync(configFile, 0o666);
    try {
      const runner = await refusal(startAsMember(request()));
      assert.equal(runner.code, 'config_invalid', runner.message);
      assert.match(runner.message, /refusing the machine config/);
      const cli = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', '/bin/true']);
      assert.equal(cli.status, 2, show(cli));
      assert.match(cli.stderr, /refusing the machine config/);
    } finally {
      chmodSync(configFile, 0o644);
    }
    const c = startAsMember(request());
    await c.hello(); // control: the same file, root-owned 0644, is accepted
    await close(c);
  });
});
