/**
 * Containment of a real session (root only): a setsid'd daemon dies with its command's
 * timeout and with the session; a fork bomb stops at the pids limit; an offline session has
 * its own loopback only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename } from 'node:path';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient, type Hello } from '../helpers/runner-protocol-client.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(what);
}

describe('runner containment (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  const clients: RunnerClient[] = [];
  const daemons: number[] = [];

  before(function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
  });
  after(function () {
    for (const c of clients) c.killNow();
    for (const pid of daemons) if (alive(pid)) process.kill(pid, 'SIGKILL');
    f?.cleanup();
  });

  async function open(overrides = {}): Promise<{ c: RunnerClient; hello: Hello }> {
    const c = RunnerClient.start(f!.request(overrides), f!.env);
    clients.push(c);
    return { c, hello: await c.hello() };
  }

  it('kills a setsid daemon when its command times out', async function () {
    const { c } = await open();
    const r = await c.sh('setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > daemon.pid; sleep 600', { cwd: f!.workspace, timeoutMs: 1500 });
    assert.equal(r.result.exit?.timedOut, true);
    assert.equal(r.result.exit?.signal, 'SIGKILL');
    const pid = Number(readFileSync(`${f!.workspace}/daemon.pid`, 'utf8'));
    daemons.push(pid);
    await eventually(() => !alive(pid), `setsid sleep ${pid} survived the timeout`);
    const after = await c.exec(['/bin/true'], { cwd: f!.workspace });
    assert.equal(after.exit?.code, 0, 'the session still serves after a timeout');
    await c.shutdown();
  });

  it('kills a double-forked daemon when the session closes, and removes the session cgroup', async function () {
    const { c, hello } = await open();
    const r = await c.sh('( setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > daemon2.pid ) ; exit 0', { cwd: f!.workspace });
    assert.equal(r.code, 0);
    const pid = Number(readFileSync(`${f!.workspace}/daemon2.pid`, 'utf8'));
    daemons.push(pid);
    assert.equal(alive(pid), true, 'the daemon should outlive its command while the session lives');
    assert.deepEqual(await c.shutdown(), { code: 0, signal: null });
    await eventually(() => !alive(pid), `daemon ${pid} survived the session`);
    const session = basename(hello.tmpdir);
    await eventually(() => !existsSync(`/sys/fs/cgroup/unified/${f!.installation.name}/${session}`), 'session cgroup left behind');
    await eventually(() => !existsSync(hello.tmpdir), 'session temp dir left behind');
  });

  it('kills a daemon and cleans up when the runner itself is killed (SIGKILL)', async function () {
    const { c, hello } = await open();
    const r = await c.sh('( setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > daemon3.pid ) ; exit 0', { cwd: f!.workspace });
    assert.equal(r.code, 0);
    const pid = Number(readFileSync(`${f!.workspace}/daemon3.pid`, 'utf8'));
    daemons.push(pid);
    assert.equal(alive(pid), true, 'the daemon runs while the session lives');
    c.killNow(); // SIGKILL to the runner: no shutdown, no close
    await eventually(() => !alive(pid), `daemon ${pid} survived the killed runner`);
    const session = basename(hello.tmpdir);
    await eventually(() => !existsSync(`/sys/fs/cgroup/unified/${f!.installation.name}/${session}`), 'session cgroup left behind');
    await eventually(() => !existsSync(hello.tmpdir), 'session temp dir left behind');
  });

  it('stops a fork bomb at the pids limit, and the timeout clears it', async function () {
    const { c, hello } = await open({ limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 64 } });
    const bomb = await c.sh('b() { b | b & }; b; sleep 5', { cwd: f!.workspace, timeoutMs: 4000 });
    assert.equal(bomb.result.exit?.timedOut, true);
    const session = basename(hello.tmpdir);
    const events = [`/sys/fs/cgroup/pids/${f!.installation.name}/${session}/pids.events`, `/sys/fs/cgroup/${f!.installation.name}/${session}/pids.events`].find((p) => existsSync(p));
    assert.ok(events !== undefined, 'no pids controller found for the session');
    const hits = Number(/max (\d+)/.exec(readFileSync(events, 'utf8'))?.[1] ?? '0');
    assert.ok(hits > 0, 'the pids limit was never hit');
    const after = await c.exec(['/bin/echo', 'alive'], { cwd: f!.workspace });
    assert.equal(after.stdout.toString(), 'alive\n');
    await c.shutdown();
  });

  describe('offline network', function () {
    let host: Server | undefined;
    let hostConnections = 0;
    after(function () {
      host?.close();
    });

    it('has no route to the host but its own loopback works', async function () {
      host = createServer((s) => {
        hostConnections += 1;
        s.end('host');
      });
      await new Promise<void>((r) => host!.listen(0, '127.0.0.1', r));
      const port = (host.address() as { port: number }).port;
      const { c, hello } = await open();
      assert.equal(hello.enforcement.networkNamespace, true);
      const probe = `
        const net = require('net');
        const s = net.createServer((k) => k.end('pong')).listen(0, '127.0.0.1', () => {
          net.connect(s.address().port, '127.0.0.1').on('data', (d) => {
            console.log('own:' + d);
            const h = net.connect(${port}, '127.0.0.1');
            h.on('data', () => { console.log('host:reached'); process.exit(0); });
            h.on('error', (e) => { console.log('host:' + e.code); process.exit(0); });
          });
        });`;
      const r = await c.exec([process.execPath, '-e', probe], { cwd: f!.workspace });
      assert.equal(r.exit?.code, 0, r.stderr.toString());
      assert.match(r.stdout.toString(), /own:pong/);
      assert.match(r.stdout.toString(), /host:ECONNREFUSED/);
      assert.equal(hostConnections, 0);
      const links = await c.sh('cat /proc/net/dev', { cwd: f!.workspace });
      assert.deepEqual(
        links.out.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]),
        ['lo'],
      );
      await c.shutdown();
    });

    it('with loopback "deny" has not even its own loopback', async function () {
      const { c, hello } = await open({ loopback: 'deny' });
      assert.equal(hello.enforcement.networkNamespace, true);
      // lo is down: a server may bind 127.0.0.1, but nothing can connect to it.
      const probe = `
        const net = require('net');
        const s = net.createServer((k) => k.end('pong')).listen(0, '127.0.0.1', () => {
          net.connect(s.address().port, '127.0.0.1')
            .on('data', () => { console.log('reached'); process.exit(0); })
            .on('error', (e) => { console.log('refused:' + e.code); process.exit(0); });
        });
        setTimeout(() => { console.log('timeout'); process.exit(0); }, 5000);`;
      const r = await c.exec([process.execPath, '-e', probe], { cwd: f!.workspace });
      assert.equal(r.exit?.code, 0, r.stderr.toString());
      assert.match(r.stdout.toString(), /refused:E|timeout/, r.stdout.toString());
      assert.doesNotMatch(r.stdout.toString(), /reached/);
      await c.shutdown();
    });
  });

  it('cannot signal a process of its own identity outside the session (Landlock signal scope)', async function () {
    const { c, hello } = await open();
    if ((hello.enforcement.landlockAbi ?? 0) < 6) this.skip(); // signal scoping needs Landlock ABI 6
    // The same uid as the session, started outside it: only the Landlock scope can stop the kill.
    const outsider = spawn('setpriv', [`--reuid=${f!.offline.uid}`, `--regid=${f!.offline.gid}`, '--clear-groups', 'sleep', '60'], { stdio: 'ignore' });
    try {
      await eventually(() => readFileSync(`/proc/${outsider.pid}/status`, 'utf8').includes(`Uid:\t${f!.offline.uid}`), 'outsider runs as the identity');
      const r = await c.sh(`kill -TERM ${outsider.pid}; echo rc=$?`, { cwd: f!.workspace });
      assert.match(r.out, /rc=1/, `kill from the session succeeded: ${r.out} ${r.err}`);
      assert.equal(alive(outsider.pid!), true, 'the outside process was killed');
      const own = await c.sh('sleep 30 & p=$!; kill -TERM $p; echo rc=$?', { cwd: f!.workspace });
      assert.match(own.out, /rc=0/, 'control: signalling its own processes works');
    } finally {
      outsider.kill('SIGKILL');
    }
  });
});
