/**
 * Allowlist sessions on Windows (issue 15 item 3), the parts that run on any OS:
 *  - the listener table's parsing (os/win32/tcp-listeners.ts) from buffers laid out as
 *    GetExtendedTcpTable writes them, and the "someone else holds the port" decision;
 *  - the launcher's proxy host (orchestrator/bridge/windows/proxy-host.ts) over real loopback
 *    sockets: a listed host reached, an unlisted one refused, both recorded; a port already held
 *    (a real squatter listening first) and a foreign listener in the table are port_in_use with
 *    nothing left listening;
 *  - the launcher's plan and wiring (launcher.ts): the port from the state, not_provisioned for
 *    a setup without one, the proxy up before the runner starts and closed when it cannot start
 *    or ends, its decisions handed on as connection records;
 *  - the runner's side (session-check.ts, env-block.ts): the port from the state, the proxy
 *    variables owned by the runner.
 * What only Windows shows (the firewall's effect, the listener table's real contents, Windows'
 * bind rules): test/windows-ci/allowlist.test.ts.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { isCorralError } from '../../core/errors.js';
import { windowsInstallation } from '../../core/installation.js';
import { PROTOCOL_VERSION, type ConnectionRecord, type SessionRequest } from '../../core/protocol.js';
import { parseSessionRequest } from '../../core/request-shape.js';
import { windowsPaths } from '../../core/paths.js';
import { proxyEnvironment } from '../../core/proxy/environment.js';
import { DEFAULT_WINDOWS_PROXY_PORT, parseProxyPort } from '../../core/proxy/port.js';
import { planRunnerLaunch, windowsLauncher, type RunnerLaunch } from '../../orchestrator/bridge/windows/launcher.js';
import { startProxyHost, type SessionProxyHost } from '../../orchestrator/bridge/windows/proxy-host.js';
import type { RunnerProcess } from '../../orchestrator/platform.js';
import { commandEnvironment } from '../../os/win32/env-block.js';
import { parseWindowsState } from '../../os/win32/machine-state.js';
import { foreignListeners, parseTcp4Table, parseTcp6Table } from '../../os/win32/tcp-listeners.js';
import { planWindowsSession } from '../../runner/windows/session-check.js';

function tcp4Row(address: string, port: number, pid: number): Buffer {
  const row = Buffer.alloc(24);
  row.writeUInt32LE(2, 0); // MIB_TCP_STATE_LISTEN
  Buffer.from(address.split('.').map(Number)).copy(row, 4);
  row.writeUInt16BE(port, 8); // network byte order in the low 16 bits
  row.writeUInt32LE(pid, 20);
  return row;
}

function tcp6Row(address: Buffer, port: number, pid: number): Buffer {
  const row = Buffer.alloc(56);
  address.copy(row, 0);
  row.writeUInt16BE(port, 20);
  row.writeUInt32LE(2, 48);
  row.writeUInt32LE(pid, 52);
  return row;
}

function table(rows: Buffer[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(rows.length, 0);
  return Buffer.concat([head, ...rows]);
}

function listenOn(server: net.Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A free loopback port (bound, read, released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listenOn(probe);
  await close(probe);
  return port;
}

/** Write `data` to the proxy, collect the answer until `until` matches or the proxy closes. */
function exchange(port: number, data: string, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (until?.test(got)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

describe('windows allowlist: the TCP listener table', () => {
  it('parses IPv4 and IPv6 rows as GetExtendedTcpTable lays them out', () => {
    assert.deepEqual(parseTcp4Table(table([tcp4Row('127.0.0.1', 41817, 4242), tcp4Row('0.0.0.0', 445, 4)])), [
      { address: '127.0.0.1', port: 41817, pid: 4242 },
      { address: '0.0.0.0', port: 445, pid: 4 },
    ]);
    const loopback6 = Buffer.alloc(16);
    loopback6[15] = 1;
    assert.deepEqual(parseTcp6Table(table([tcp6Row(loopback6, 41817, 99), tcp6Row(Buffer.alloc(16), 135, 1000), tcp6Row(Buffer.from('fe800000000000000000000000000001', 'hex'), 80, 7)])), [
      { address: '::1', port: 41817, pid: 99 },
      { address: '::', port: 135, pid: 1000 },
      { address: 'fe80::1', port: 80, pid: 7 },
    ]);
    assert.deepEqual(parseTcp4Table(table([])), []);
  });

  it('refuses a table whose count does not fit its bytes', () => {
    const truncated = table([tcp4Row('127.0.0.1', 1, 1)]).subarray(0, 20);
    assert.throws(() => parseTcp4Table(truncated), RangeError);
    assert.throws(() => parseTcp6Table(Buffer.alloc(2)), RangeError);
  });

  it('finds every other process on the port, on any local address (the wildcard too), and none of its own', () => {
    const listeners = [
      { address: '127.0.0.1', port: 41817, pid: 10 },
      { address: '::1', port: 41817, pid: 10 },
      { address: '0.0.0.0', port: 41817, pid: 66 },
      { address: '127.0.0.1', port: 41818, pid: 77 },
    ];
    assert.deepEqual(foreignListeners(listeners, 41817, 10), [{ address: '0.0.0.0', port: 41817, pid: 66 }]);
    assert.deepEqual(foreignListeners(listeners.slice(0, 2), 41817, 10), []);
  });
});

describe('windows allowlist: the proxy port', () => {
  it('is an unprivileged TCP port; the default is not a port common proxies use', () => {
    assert.equal(parseProxyPort('41817'), 41817);
    for (const bad of ['80', '1023', '65536', '0', '-1', '4e4', ' 41817', '', '41817x']) {
      assert.throws(() => parseProxyPort(bad), (err: unknown) => isCorralError(err, 'usage') && /--proxy-port/.test(err.message), bad);
    }
    assert.ok(![3128, 8080, 8888, 8118, 9050, 1080].includes(DEFAULT_WINDOWS_PROXY_PORT));
    assert.ok(DEFAULT_WINDOWS_PROXY_PORT < 49152, 'below the dynamic range');
  });
});

describe('windows allowlist: the launcher serves the proxy (real loopback sockets)', () => {
  let upstream: http.Server;
  let upPort = 0;
  before(async () => {
    upstream = http.createServer((req, res) => res.end(`upstream ${req.method} ${req.url}`));
    upPort = await listenOn(upstream);
  });
  after(() => close(upstream));

  const rules = () => ({ allow: [`127.0.0.1:${upPort}`], deny: [] });
  const noOtherListener = { listeners: () => [], pid: process.pid };

  it('a listed host is reached through the proxy, an unlisted one refused, both recorded; closed, the port is free again', async () => {
    const port = await freePort();
    const host = await startProxyHost(port, rules(), noOtherListener);
    const decisions: ConnectionRecord[] = [];
    host.onDecision((d) => decisions.push(d));
    try {
      assert.match(await exchange(port, `GET http://127.0.0.1:${upPort}/pkg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, /upstream GET \/pkg/), /upstream GET \/pkg/);
      assert.match(await exchange(port, 'CONNECT evil.example:443 HTTP/1.1\r\n\r\n'), /^HTTP\/1.1 403 [^]*not in network.allow/);
    } finally {
      await host.close();
    }
    assert.deepEqual(decisions.map((d) => [d.host, d.port, d.allowed]), [['127.0.0.1', upPort, true], ['evil.example', 443, false]]);
    // Nothing listens any more: a connection is refused.
    await assert.rejects(exchange(port, 'x'), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  });

  it('a port someone already listens on is port_in_use, and the proxy leaves nothing listening', async () => {
    const squatter = net.createServer((s) => s.end('I am not the proxy'));
    const port = await listenOn(squatter);
    try {
      await assert.rejects(startProxyHost(port, rules(), noOtherListener), (err: unknown) => isCorralError(err, 'port_in_use') && err.message.includes(`127.0.0.1:${port}`) && /corral setup --proxy-port/.test(err.remedy));
      // Control: the squatter is still what answers (the proxy did not take over or half-start).
      assert.equal(await exchange(port, ''), 'I am not the proxy');
    } finally {
      await close(squatter);
    }
  });

  it('another process in the listener table (a wildcard binding beside ours) is port_in_use, and the proxy closes what it bound', async () => {
    const port = await freePort();
    const seams = { listeners: () => [{ address: '127.0.0.1', port, pid: process.pid }, { address: '0.0.0.0', port, pid: 31337 }], pid: process.pid };
    await assert.rejects(startProxyHost(port, rules(), seams), (err: unknown) => isCorralError(err, 'port_in_use') && /process 31337 also listens on it \(0\.0\.0\.0:\d+\)/.test(err.message));
    const again = net.createServer();
    assert.equal(await listenOn(again, port), port, 'the port is free: nothing of the refused proxy stays');
    await close(again);
  });
});

describe('windows allowlist: the launcher plans and wires it', () => {
  const installation = windowsInstallation('corral', { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' });
  const ALICE = 'S-1-5-21-1-2-3-1001';
  const stateWith = (firewall: object | undefined) =>
    parseWindowsState(
      JSON.stringify({
        version: 1,
        users: {
          alice: {
            sid: ALICE,
            identities: { offline: { name: 'crlaliceoff', sid: 'S-1-5-21-1-2-3-1010' }, online: { name: 'crlaliceon', sid: 'S-1-5-21-1-2-3-1011' } },
            workspaces: [],
            ...(firewall === undefined ? {} : { firewall }),
          },
        },
        runner: { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js' },
      }),
      'state.json',
    );
  const alice = { name: 'alice', sid: ALICE, home: 'C:\\Users\\alice' };
  const allowlist = { allow: ['registry.example'], deny: [] };
  const request = (over: Partial<SessionRequest> = {}) => ({ version: PROTOCOL_VERSION, network: 'offline', realUser: 'alice', ...over }) as SessionRequest;

  it('takes the port from the state for an allowlist request only; a setup without one is not_provisioned naming the remedy', () => {
    const state = stateWith({ proxyPort: 45123, loopbackPorts: [] });
    assert.equal(planRunnerLaunch(installation, state, request({ allowlist }), alice, 'C:\\Windows').proxyPort, 45123);
    assert.equal(planRunnerLaunch(installation, state, request(), alice, 'C:\\Windows').proxyPort, null);
    for (const older of [stateWith(undefined), stateWith({ proxyPort: 0, loopbackPorts: [] })]) {
      assert.throws(() => planRunnerLaunch(installation, older, request({ allowlist }), alice, 'C:\\Windows'), (err: unknown) => isCorralError(err, 'not_provisioned') && /run `corral setup` again/.test(err.message));
      assert.equal(planRunnerLaunch(installation, older, request(), alice, 'C:\\Windows').proxyPort, null, 'an offline session needs no port');
    }
    // A state naming a privileged or impossible port is corrupt, not used.
    assert.throws(() => stateWith({ proxyPort: 80, loopbackPorts: [] }), (err: unknown) => isCorralError(err, 'state_corrupt') && /firewall.proxyPort/.test(err.message));
  });

  function fakeRunner(): RunnerProcess & { end(): void } {
    let end!: () => void;
    const exited = new Promise<number | null>((resolve) => (end = () => resolve(0)));
    return { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), exited, kill() {}, end };
  }

  function fakeProxy(): SessionProxyHost & { closed: number; emit(d: ConnectionRecord): void } {
    let listener: (d: ConnectionRecord) => void = () => {};
    const host = {
      port: 45123,
      closed: 0,
      onDecision(l: (d: ConnectionRecord) => void) {
        listener = l;
      },
      async close() {
        host.closed += 1;
      },
      emit: (d: ConnectionRecord) => listener(d),
    };
    return host;
  }

  const state = stateWith({ proxyPort: 45123, loopbackPorts: [] });

  it('serves the proxy before the runner starts, hands its decisions on, and closes it when the runner ends', async () => {
    const order: string[] = [];
    const proxy = fakeProxy();
    const runner = fakeRunner();
    const launcher = windowsLauncher(installation, {
      readState: () => state,
      systemRoot: () => 'C:\\Windows',
      startProxy: async (port, rules) => {
        order.push(`proxy ${port} ${rules.allow.join(',')}`);
        return proxy;
      },
      start: (launch: RunnerLaunch) => {
        order.push(`runner ${launch.identity.name}`);
        return runner;
      },
    });
    const started = await launcher.launch(request({ allowlist }), alice);
    assert.deepEqual(order, ['proxy 45123 registry.example', 'runner crlaliceoff']);
    const seen: ConnectionRecord[] = [];
    started.onConnection?.((r) => seen.push(r));
    const decision: ConnectionRecord = { time: 't', via: 'connect', host: 'evil.example', port: 443, allowed: false, rule: 'not in network.allow' };
    proxy.emit(decision);
    assert.deepEqual(seen, [decision]);
    assert.equal(proxy.closed, 0);
    runner.end();
    await started.exited;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(proxy.closed, 1);
  });

  it('closes the proxy when the runner cannot be started; an offline session starts no proxy', async () => {
    const proxy = fakeProxy();
    let proxies = 0;
    const seams = {
      readState: () => state,
      systemRoot: () => 'C:\\Windows',
      startProxy: async () => {
        proxies += 1;
        return proxy;
      },
    };
    const failing = windowsLauncher(installation, { ...seams, start: () => { throw new Error('CreateProcessWithLogonW failed'); } });
    await assert.rejects(failing.launch(request({ allowlist }), alice), /CreateProcessWithLogonW failed/);
    assert.equal(proxy.closed, 1);
    const offline = windowsLauncher(installation, { ...seams, start: () => fakeRunner() });
    const started = await offline.launch(request(), alice);
    assert.equal(proxies, 1, 'no proxy for an offline session');
    assert.equal(started.onConnection, undefined);
  });
});

describe('windows allowlist: the runner', () => {
  const OFF = 'S-1-5-21-1-2-3-1010';
  const state = (firewall: object | undefined) =>
    parseWindowsState(
      JSON.stringify({
        version: 1,
        users: {
          alice: {
            sid: 'S-1-5-21-1-2-3-1001',
            identities: { offline: { name: 'crlaliceoff', sid: OFF }, online: { name: 'crlaliceon', sid: 'S-1-5-21-1-2-3-1011' } },
            workspaces: [{ path: 'C:\\Users\\alice\\proj', capabilitySid: 'S-1-5-21-9-9-9-1' }],
            ...(firewall === undefined ? {} : { firewall }),
          },
        },
        runner: null,
      }),
      'state.json',
    );
  const request = (over: Partial<SessionRequest> = {}): SessionRequest =>
    parseSessionRequest(
      {
        version: PROTOCOL_VERSION,
        realUser: 'alice',
        network: 'offline',
        mode: 'workspace-write',
        workspace: 'C:\\Users\\alice\\proj',
        writableRoots: [],
        protected: ['.git'],
        denyRead: [],
        loopback: 'deny',
        limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 64 },
        policyDigest: 'x',
        ...over,
      },
      windowsPaths,
    );
  const allowlist = { allow: ['registry.example'], deny: [] };

  it('plans an allowlist session with the port the state records; none for an offline one', () => {
    assert.equal(planWindowsSession(request({ allowlist }), state({ proxyPort: 45123, loopbackPorts: [] }), OFF).proxyPort, 45123);
    assert.equal(planWindowsSession(request(), state({ proxyPort: 45123, loopbackPorts: [] }), OFF).proxyPort, null);
  });

  it('refuses an allowlist session where setup recorded no proxy port (an older setup): not_provisioned, run corral setup', () => {
    for (const firewall of [undefined, { proxyPort: 0, loopbackPorts: [] }]) {
      assert.throws(() => planWindowsSession(request({ allowlist }), state(firewall), OFF), (err: unknown) => isCorralError(err, 'not_provisioned') && /run `corral setup` again/.test(err.message));
      assert.equal(planWindowsSession(request(), state(firewall), OFF).proxyPort, null, 'offline sessions still run');
    }
  });

  it("commands get the proxy variables, which the runner owns: a request's HTTP_PROXY (any case) does not survive", () => {
    const env = commandEnvironment({ PATH: 'C:\\bin', http_proxy: 'http://evil:1', Https_Proxy: 'http://evil:1', NO_PROXY: '*' }, { home: 'C:\\h', tmpdir: 'C:\\t', systemRoot: 'C:\\Windows', proxyPort: 45123 });
    const upper = Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toUpperCase(), v]));
    for (const [name, value] of Object.entries(proxyEnvironment(45123))) assert.equal(upper[name.toUpperCase()], value, name);
    assert.equal(upper.HTTP_PROXY, 'http://127.0.0.1:45123');
    assert.equal(upper.ALL_PROXY, 'socks5h://127.0.0.1:45123');
    assert.equal(upper.NO_PROXY, '');
    // One variable per name, whatever the case (Windows names are case-insensitive).
    assert.equal(Object.keys(env).filter((k) => k.toUpperCase() === 'HTTP_PROXY').length, 1);
    const none = commandEnvironment({ PATH: 'C:\\bin' }, { home: 'C:\\h', tmpdir: 'C:\\t', systemRoot: 'C:\\Windows' });
    assert.ok(!Object.keys(none).some((k) => k.toUpperCase().endsWith('_PROXY')), 'no proxy variables without a proxy');
  });
});
