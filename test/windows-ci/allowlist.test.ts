/**
 * Allowlist sessions on a real Windows (issue 15 item 3; CI: an elevated windows-latest runner).
 * Skipped elsewhere, saying why. Provisions (and tears down) a private installation
 * `cta<random>` with the product's own `corral setup --yes --proxy-port P`: the offline
 * identity's firewall rules then block loopback TCP on every port but P (blocks over the
 * complementary ranges) and the network beyond loopback.
 *
 * The session is the library's `openSession` with `allowHosts`: the launcher serves the
 * filtering proxy on 127.0.0.1:P as the real user (orchestrator/bridge/windows/proxy-host.ts),
 * the runner runs as the offline identity and gives commands HTTP_PROXY and friends. Every
 * assertion is a real connection from inside the session (node.exe, as the offline identity,
 * under the restricted token) to real listeners this test (the real user) serves on loopback:
 *  - a listed host (127.0.0.1:UP, an IP literal: the proxy dials loopback only when listed as
 *    such) is reached through the proxy, and the decision comes back as a connection record;
 *  - the same host dialled directly, without the proxy, is refused by the firewall (control:
 *    the test process reaches it);
 *  - an unlisted host through the proxy is refused with the reason, and recorded;
 *  - a second allowlist session while the first holds the port: port_in_use.
 * Nothing here runs on Linux; the same wiring is unit-tested (test/unit/windows-allowlist.test.ts)
 * and run up to the launcher on the simulated Windows (test/windows-sim/orchestrator-sim.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult, Session } from '../../orchestrator/session/types.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(repo, 'dist', 'orchestrator', 'cli', 'main.js');

function ps(script: string, data: Record<string, string> = {}): string {
  return execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], { env: { ...process.env, ...data }, encoding: 'utf8' }).trim();
}

function isElevated(): boolean {
  try {
    return ps('([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)') === 'True';
  } catch {
    return false;
  }
}

function corral(args: string[], instance: string): string {
  return execFileSync(process.execPath, [cli, ...args], { env: { ...process.env, CORRAL_INSTANCE: instance }, encoding: 'utf8', timeout: 600_000 });
}

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen((server.address() as net.AddressInfo).port));
  });
}

/** A free unprivileged loopback port now (bound, read, released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

const text = (r: ExecResult) => `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`;

/**
 * A script for node inside the session: GET `url` through the proxy named by HTTP_PROXY (an
 * absolute-form request, as curl sends one), printing the status line and body, or the error.
 */
const throughProxy = (url: string) =>
  `const p=new URL(process.env.HTTP_PROXY);const s=require('net').connect(+p.port,p.hostname,()=>s.write('GET ${url} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));` +
  `let got='';s.on('data',d=>got+=d);s.on('end',()=>{console.log('answer:'+got.split('\\r\\n')[0]+'|'+got.split('\\r\\n\\r\\n')[1]);process.exit(0)});` +
  `s.on('error',e=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},15000)`;

/** A script for node: a direct TCP connection to 127.0.0.1:port (`connected` once the handshake is done). */
const direct = (port: number) =>
  `const s=require('net').connect(${port},'127.0.0.1',()=>{console.log('connected');process.exit(0)});` +
  `s.on('error',e=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},15000)`;

describe('allowlist sessions on Windows (Windows CI, elevated; provisioned by corral setup --proxy-port)', function () {
  this.timeout(900_000);
  const instance = `cta${randomBytes(3).toString('hex')}`;
  const workspace = join(tmpdir(), `${instance}-ws`);
  let provisioned = false;
  let session: Session | undefined;
  let openSession: (typeof import('../../orchestrator/session/open.js'))['openSession'];
  let upstream: http.Server | undefined;
  let upPort = 0;
  let proxyPort = 0;
  let node = '';
  let offlineName = '';
  const savedInstance = process.env.CORRAL_INSTANCE;

  before(async function () {
    if (process.platform !== 'win32') {
      console.log('      skipped: needs Windows (runs in .github/workflows/windows.yml)');
      this.skip();
    }
    if (!isElevated()) {
      console.log('      skipped: needs an elevated (Administrator) process: corral setup creates users and firewall rules');
      this.skip();
    }
    upstream = http.createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
    upPort = await listen(upstream);
    proxyPort = await freePort();
    mkdirSync(workspace, { recursive: true });
    provisioned = true;
    corral(['setup', '--yes', '--workspace', workspace, '--proxy-port', String(proxyPort)], instance);
    const { windowsFolders } = await import('../../os/win32/known-folders.js');
    const state = JSON.parse(readFileSync(join(windowsFolders().ProgramData, instance, 'state.json'), 'utf8')) as {
      users: Record<string, { firewall?: { proxyPort: number } }>;
      runner: { node: string };
    } & { users: Record<string, { identities: { offline: { name: string } } }> };
    assert.equal(Object.values(state.users)[0]?.firewall?.proxyPort, proxyPort, 'setup recorded the proxy port');
    node = state.runner.node;
    offlineName = Object.values(state.users)[0]!.identities.offline.name;
    process.env.CORRAL_INSTANCE = instance;
    ({ openSession } = await import('../../orchestrator/session/open.js'));
    session = await openSession({ workspace, allowHosts: [`127.0.0.1:${upPort}`], audit: false });
  });

  after(async () => {
    await session?.close();
    await new Promise<void>((done) => (upstream === undefined ? done() : upstream.close(() => done())));
    if (savedInstance === undefined) delete process.env.CORRAL_INSTANCE;
    else process.env.CORRAL_INSTANCE = savedInstance;
    if (provisioned) {
      try {
        corral(['teardown', '--yes'], instance);
      } catch (err) {
        console.log(`      teardown: ${(err as Error).message}`);
      }
    }
    rmSync(workspace, { recursive: true, force: true });
  });

  it('commands get the proxy variables for the installation port, and run as the offline identity', async () => {
    const r = await session!.exec([node, '-e', 'console.log([process.env.HTTP_PROXY,process.env.HTTPS_PROXY,process.env.ALL_PROXY,JSON.stringify(process.env.NO_PROXY)].join(" "))']);
    assert.equal(r.exitCode, 0, text(r));
    assert.equal(r.stdout.toString('utf8').trim(), `http://127.0.0.1:${proxyPort} http://127.0.0.1:${proxyPort} socks5h://127.0.0.1:${proxyPort} ""`);
    const who = await session!.exec(['whoami']);
    assert.ok(who.stdout.toString('utf8').trim().toLowerCase().endsWith(`\\${offlineName.toLowerCase()}`), text(who));
  });

  it('a listed host is reached through the proxy, and the decision is evidence of the command', async () => {
    const r = await session!.exec([node, '-e', throughProxy(`http://127.0.0.1:${upPort}/pkg`)]);
    assert.equal(r.exitCode, 0, text(r));
    assert.match(r.stdout.toString('utf8'), /^answer:HTTP\/1\.1 200 [^|]*\|upstream saw GET \/pkg/, text(r));
    assert.ok(r.connections.some((c) => c.allowed && c.host === '127.0.0.1' && c.port === upPort), JSON.stringify(r.connections));
  });

  it('the same host dialled directly (no proxy) is refused by the firewall; the host itself reaches it (control)', async () => {
    const fromHost = execFileSync(process.execPath, ['-e', direct(upPort)], { encoding: 'utf8', timeout: 30_000 }).trim();
    assert.equal(fromHost, 'connected', `the host could not reach 127.0.0.1:${upPort}: the test proves nothing`);
    const r = await session!.exec([node, '-e', direct(upPort)]);
    const said = r.stdout.toString('utf8').trim();
    assert.notEqual(said, 'connected', text(r));
    assert.match(said, /^(error:E[A-Z]+|TIMEOUT)$/, text(r));
  });

  it('an unlisted host through the proxy is refused with the reason, and recorded', async () => {
    const r = await session!.exec([node, '-e', throughProxy('http://unlisted.example/')]);
    assert.match(r.stdout.toString('utf8'), /^answer:HTTP\/1\.1 403 [^|]*\|[^]*not in network\.allow/, text(r));
    assert.ok(r.connections.some((c) => !c.allowed && c.host === 'unlisted.example' && c.rule === 'not in network.allow'), JSON.stringify(r.connections));
    // And another loopback port the test serves, not listed: refused too.
    const other = net.createServer((s) => s.end('unlisted listener'));
    const otherPort = await listen(other);
    try {
      const viaProxy = await session!.exec([node, '-e', throughProxy(`http://127.0.0.1:${otherPort}/`)]);
      assert.match(viaProxy.stdout.toString('utf8'), /^answer:HTTP\/1\.1 403 /, text(viaProxy));
      const directly = await session!.exec([node, '-e', direct(otherPort)]);
      assert.notEqual(directly.stdout.toString('utf8').trim(), 'connected', text(directly));
    } finally {
      await new Promise<void>((done) => other.close(() => done()));
    }
  });

  it('a second allowlist session while this one holds the port: port_in_use, nothing started', async () => {
    await assert.rejects(openSession({ workspace, allowHosts: [`127.0.0.1:${upPort}`], audit: false }), (err: unknown) => (err as { code?: string }).code === 'port_in_use');
  });
});
