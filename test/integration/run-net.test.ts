/**
 * End to end, as root, with the real runner and real nft rules: network policy.
 *
 * The test creates its own test host: a network namespace joined to the host by a veth pair
 * with private addresses (10.231.R.0/30 and fd00:231:R::/64), running an HTTP server, a UDP
 * echo and a DNS responder. Every connection these tests make goes to that test host or to
 * loopback — nothing else. Each refusal is paired with a control that reaches the same server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { requireRoot, runProgram, show, TestInstallation, type Result } from './helpers/e2e.js';
import { TestHost } from './helpers/test-host.js';
import { DNS_PORT, HTTP_PORT, PROBE, SERVER, UDP_PORT } from './helpers/net-scripts.js';

const PYTHON = '/usr/bin/python3';

describe('corral run end to end: network (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const host = new TestHost('ctn', 231, { ipv6: true });
  const { peerV4 } = host;
  const peerV6 = host.peerV6!;
  let server: ChildProcess | undefined;

  const probe = (args: string[], flags: string[]): Promise<Result> => inst!.run([PYTHON, '-c', PROBE, ...args], flags);
  const asExpected = (res: Result, ok: boolean, what: string) => {
    if (ok) {
      assert.equal(res.status, 0, `${what} should succeed: ${show(res)}`);
      assert.match(res.stdout.toString(), /^ok /);
    } else {
      assert.equal(res.status, 1, `${what} should be blocked: ${show(res)}`);
      assert.match(res.stdout.toString(), /^fail /, `${what}: the probe must report a refusal, not crash`);
    }
  };

  before(async function () {
    requireRoot(this);
    host.create();
    server = spawn('ip', host.spawnArgs([PYTHON, '-c', SERVER, peerV4, peerV6]), { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : reject(new Error(`server said ${d.toString()}`))));
      server!.once('exit', (code) => reject(new Error(`test host server exited ${code}`)));
    });
    // Controls: the test host answers from the host itself, unsandboxed.
    for (const args of [['tcp', peerV4, String(HTTP_PORT)], ['udp', peerV4, String(UDP_PORT)], ['tcp', peerV6, String(HTTP_PORT)]]) {
      const c = await runProgram(PYTHON, ['-c', PROBE, ...args]);
      assert.equal(c.status, 0, `control from the host, ${args.join(' ')}: ${show(c)}`);
    }
    inst = new TestInstallation();
    await inst.setup();
  });

  after(async () => {
    server?.kill('SIGKILL');
    host.remove();
    await inst?.teardown();
  });

  it('an offline session cannot reach the test host by TCP, UDP or IPv6', async () => {
    asExpected(await probe(['tcp', peerV4, String(HTTP_PORT)], ['--network', 'offline']), false, 'offline TCP');
    asExpected(await probe(['udp', peerV4, String(UDP_PORT)], ['--network', 'offline']), false, 'offline UDP');
    asExpected(await probe(['tcp', peerV6, String(HTTP_PORT)], ['--network', 'offline']), false, 'offline TCP over IPv6');
    asExpected(await probe(['udp', peerV6, String(UDP_PORT)], ['--network', 'offline']), false, 'offline UDP over IPv6');
  });

  it('an offline session cannot resolve names', async () => {
    asExpected(await probe(['dns', peerV4, String(DNS_PORT), 'probe.corral.test'], ['--network', 'offline']), false, 'offline DNS');
  });

  it('an online session can reach the test host by TCP, UDP and IPv6, and resolve names', async () => {
    asExpected(await probe(['tcp', peerV4, String(HTTP_PORT)], ['--network', 'online']), true, 'online TCP');
    asExpected(await probe(['udp', peerV4, String(UDP_PORT)], ['--network', 'online']), true, 'online UDP');
    asExpected(await probe(['tcp', peerV6, String(HTTP_PORT)], ['--network', 'online']), true, 'online TCP over IPv6');
    const dns = await probe(['dns', peerV4, String(DNS_PORT), 'probe.corral.test'], ['--network', 'online']);
    asExpected(dns, true, 'online DNS');
    assert.equal(dns.stdout.toString().trim(), `ok dns ${peerV4}`);
  });

  it('inside an offline session a command can serve and reach its own 127.0.0.1', async () => {
    asExpected(await probe(['local'], ['--network', 'offline']), true, 'offline loopback');
  });

  it('a process of the offline identity outside the runner is still blocked by the nft rule', async () => {
    const off = inst!.identity('offline');
    const on = inst!.identity('online');
    const as = (u: { uid: number; gid: number }, args: string[]) =>
      runProgram('setpriv', [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--clear-groups', '--', PYTHON, '-c', PROBE, ...args]);
    // Control: the same unconfined process as the online identity gets through.
    asExpected(await as(on, ['tcp', peerV4, String(HTTP_PORT)]), true, 'online identity outside the runner');
    asExpected(await as(off, ['tcp', peerV4, String(HTTP_PORT)]), false, 'offline identity outside the runner, TCP');
    asExpected(await as(off, ['udp', peerV4, String(UDP_PORT)]), false, 'offline identity outside the runner, UDP');
    asExpected(await as(off, ['tcp', peerV6, String(HTTP_PORT)]), false, 'offline identity outside the runner, IPv6');
  });
});
