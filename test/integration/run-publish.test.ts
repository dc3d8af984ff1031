/**
 * Dev servers (issue 13 item 5), the way a user meets them: `corral run --publish PORT` as the
 * member of group corral through the real sudo rule, in a real provisioned installation
 * (offline). A real HTTP server (node's http) runs inside the session on 127.0.0.1:PORT; real
 * clients on the host connect to 127.0.0.1:PORT and [::1]:PORT: root and the member get its
 * answer, another local user is reset and the server never sees the request; without
 * --publish the same connection is refused; once the session ends (or its runner is killed)
 * the port is closed and the forwarder gone. The user config may publish (policy show says
 * from where), the workspace config may not; a port in use is port_in_use (exit 2); and an
 * offline session that publishes still cannot reach a listener on a test host in a 10.x
 * network namespace.
 *
 * Each session's server stops when its stdin ends (the test closes it); bounds on the whole
 * command are a safety net only, never asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { CLI, createUser, eventually, NODE, pgrep, removeUser, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result, type TestUser } from './helpers/e2e.js';
import { HTTP_PORT, PROBE, SERVER } from './helpers/net-scripts.js';

const PYTHON = '/usr/bin/python3';
const BOUND_MS = 60_000;

/** The dev server inside the session: answers every request with its uid and the path, logs each path, stops at end of stdin. */
const DEV_SERVER = String.raw`
const http = require('http');
const port = Number(process.argv[1]);
const s = http.createServer((q, r) => { console.log('request ' + q.url); r.end('hello from the session, uid ' + process.getuid() + ', ' + q.url + '\n'); });
s.listen(port, '127.0.0.1', () => console.log('ready'));
process.stdin.resume();
process.stdin.on('end', () => { s.close(); process.exit(0); });
`;

/** A client on the host (run as a given user): prints the body, or `error CODE` and exits 1. */
const CLIENT = String.raw`
require('http').get(process.argv[1], { agent: false }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(b)); })
  .on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
`;

function hasIpv6Loopback(): boolean {
  return (networkInterfaces().lo ?? []).some((a) => a.family === 'IPv6' && a.address === '::1');
}

/** A port nothing listens on now (bound and released by the test itself). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** GET from the test process (root): the status and body, or the error code. */
function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

interface DevSession {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** End the server's stdin; resolves with how corral ended. */
  stop(): Promise<Result>;
}

describe('corral run --publish: dev servers (root, the member through the sudo rule)', function () {
  this.timeout(300_000);
  let inst: TestInstallation | undefined;
  let other: TestUser | undefined;
  let offlineUid = -1;
  const tag = randomInt(1, 250);
  const ns = `ctp${tag}`;
  const vethHost = `ctp${tag}h`;
  const vethNs = `ctp${tag}n`;
  const hostV4 = `10.233.${tag}.1`;
  const peerV4 = `10.233.${tag}.2`;
  let testHost: ChildProcess | undefined;
  let nsCreated = false;
  const started: ChildProcess[] = [];
  const ip = (args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  before(async function () {
    requireRoot(this);
    ip(['netns', 'add', ns]);
    nsCreated = true;
    ip(['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
    ip(['link', 'set', vethNs, 'netns', ns]);
    ip(['addr', 'add', `${hostV4}/30`, 'dev', vethHost]);
    ip(['link', 'set', vethHost, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${peerV4}/30`, 'dev', vethNs]);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', vethNs, 'up']);
    testHost = spawn('ip', ['netns', 'exec', ns, PYTHON, '-c', SERVER, peerV4], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      testHost!.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : reject(new Error(`test host said ${d.toString()}`))));
      testHost!.once('exit', (code) => reject(new Error(`test host server exited ${code}`)));
    });
    other = createUser('ctx');
    inst = new TestInstallation();
    await inst.setup();
    offlineUid = inst.identity('offline').uid;
  });

  after(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    testHost?.kill('SIGKILL');
    if (nsCreated) {
      try {
        ip(['netns', 'del', ns]);
      } catch (err) {
        console.error(`cannot delete netns ${ns}: ${(err as Error).message}`);
      }
    }
    try {
      ip(['link', 'del', vethHost]);
    } catch {
      // gone with the namespace
    }
    removeUser(other);
    await inst?.teardown();
  });

  const corralEnv = () => ({ ...process.env, CORRAL_INSTANCE: inst!.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' });
  const runnerCmdline = () => `/usr/local/lib/${inst!.instance}/bin/node /usr/local/lib/${inst!.instance}/app/dist/runner/main.js`;
  const forwarderCmdline = () => `/usr/local/lib/${inst!.instance}/bin/node /usr/local/lib/${inst!.instance}/app/dist/runner/linux/publish-main.js`;

  /** `corral run [flags] -- node -e DEV_SERVER PORT` as the member; resolves once the server listens inside. */
  async function startDevServer(port: number, flags: string[]): Promise<DevSession> {
    const child = spawn('runuser', ['-u', inst!.user.name, '--', NODE, CLI, 'run', '--workspace', inst!.workspace, ...flags, '--', NODE, '-e', DEV_SERVER, String(port)], {
      cwd: inst!.workspace,
      env: corralEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    started.push(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<Result>((resolve) =>
      child.once('close', (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stdout: Buffer.from(out), stderr: err });
      }),
    );
    await Promise.race([
      new Promise<void>((resolve) => {
        const check = () => (out.includes('ready\n') ? resolve() : undefined);
        child.stdout.on('data', check);
      }),
      exited.then((r) => assert.fail(`the dev server's session ended before it was ready: ${show(r)}`)),
    ]);
    return { child, stdout: () => out, stderr: () => err, stop: () => (child.stdin.end(), exited) };
  }

  const asUser = (user: TestUser, url: string) => runProgram(NODE, ['-e', CLIENT, url], { asUser: user, killAfterMs: 20_000 });

  it('with --publish P, the host reaches the dev server on 127.0.0.1:P (and [::1]:P): root and the member get its answer, another local user is reset unread; the port closes with the session', async () => {
    const port = await freePort();
    const dev = await startDevServer(port, ['--publish', String(port)]);
    assert.match(dev.stderr(), new RegExp(`^corral: published on the host: 127\\.0\\.0\\.1:${port}`, 'm'));
    const root = await get(`http://127.0.0.1:${port}/from-root`);
    assert.deepEqual(root, { status: 200, body: `hello from the session, uid ${offlineUid}, /from-root\n` }, 'the answer comes from the server inside, running as the offline identity');
    if (hasIpv6Loopback()) {
      const v6 = await get(`http://[::1]:${port}/from-v6`);
      assert.deepEqual(v6, { status: 200, body: `hello from the session, uid ${offlineUid}, /from-v6\n` });
    }
    const member = await asUser(inst!.user, `http://127.0.0.1:${port}/from-member`);
    assert.equal(member.status, 0, show(member));
    assert.equal(member.stdout.toString(), `hello from the session, uid ${offlineUid}, /from-member\n`);
    const stranger = await asUser(other!, `http://127.0.0.1:${port}/from-other-user`);
    assert.equal(stranger.status, 1, show(stranger));
    assert.match(stranger.stdout.toString(), /^error (ECONNRESET|ECONNREFUSED|EPIPE)\n$/, show(stranger));

    const r = await dev.stop();
    assert.equal(r.signal, null, show(r));
    assert.equal(r.status, 0, show(r));
    const requests = r.stdout.toString().split('\n').filter((l) => l.startsWith('request '));
    assert.deepEqual(requests.sort(), ['request /from-member', 'request /from-root', ...(hasIpv6Loopback() ? ['request /from-v6'] : [])].sort(), 'the other user\'s request never reached the server');
    assert.ok(await eventually(() => pgrep(forwarderCmdline()).length === 0), 'the forwarder ends with the session');
    assert.deepEqual(await get(`http://127.0.0.1:${port}/after`), { error: 'ECONNREFUSED' }, 'the port is closed once the session ended');
  });

  it('without --publish the same dev server is not reachable from the host: connection refused', async () => {
    const port = await freePort();
    const dev = await startDevServer(port, []);
    assert.deepEqual(await get(`http://127.0.0.1:${port}/`), { error: 'ECONNREFUSED' });
    const r = await dev.stop();
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stdout.toString(), /request /);
  });

  it('the forwarder never outlives the runner: SIGKILL to the runner closes the published port', async () => {
    await inst!.stopKeptSessions(); // the earlier cases' kept sessions have runners of their own
    const port = await freePort();
    const dev = await startDevServer(port, ['--publish', String(port)]);
    assert.equal((await get(`http://127.0.0.1:${port}/before`)).hasOwnProperty('status'), true);
    const runners = pgrep(runnerCmdline());
    assert.equal(runners.length, 1, `one runner of this installation: ${runners.join(',')}`);
    assert.equal(pgrep(forwarderCmdline()).length, 1, 'one forwarder while the session runs');
    process.kill(runners[0]!, 'SIGKILL');
    assert.ok(await eventually(() => pgrep(forwarderCmdline()).length === 0), 'the forwarder dies with the runner');
    assert.deepEqual(await get(`http://127.0.0.1:${port}/after`), { error: 'ECONNREFUSED' });
    const r = await dev.stop();
    assert.notEqual(r.status, 0, `corral reports the runner's death: ${show(r)}`);
  });

  it('publish in the user config works and policy show says where it came from; the workspace config may not publish (config_invalid naming the file and $.publish)', async () => {
    const port = await freePort();
    userDir(inst!.user, path.join(inst!.user.home, '.config'), 0o755);
    const userConfigDir = userDir(inst!.user, path.join(inst!.user.home, '.config', inst!.instance), 0o755);
    const userConfig = path.join(userConfigDir, 'config.json');
    const wsConfigDir = path.join(inst!.workspace, `.${inst!.instance}`);
    const wsConfig = path.join(wsConfigDir, 'config.json');
    try {
      userFile(inst!.user, userConfig, JSON.stringify({ publish: [port] }));
      const shown = await inst!.corralAs(inst!.user, ['policy', 'show', '--workspace', inst!.workspace, '--json']);
      assert.equal(shown.status, 0, show(shown));
      const doc = JSON.parse(shown.stdout.toString()) as { policy: { publish: number[] }; sources: { publish: string[] } };
      assert.deepEqual(doc.policy.publish, [port]);
      assert.deepEqual(doc.sources.publish, [userConfig]);
      const text = await inst!.corralAs(inst!.user, ['policy', 'show', '--workspace', inst!.workspace]);
      assert.match(text.stdout.toString(), new RegExp(`^  publish: \\[${port}\\]\\n      from ${userConfig.replace(/[.]/g, '\\.')}$`, 'm'));

      const dev = await startDevServer(port, []);
      const r0 = await get(`http://127.0.0.1:${port}/user-config`);
      assert.deepEqual(r0, { status: 200, body: `hello from the session, uid ${offlineUid}, /user-config\n` });
      assert.equal((await dev.stop()).status, 0);

      userDir(inst!.user, wsConfigDir, 0o755);
      userFile(inst!.user, wsConfig, JSON.stringify({ publish: [port + 1 > 65535 ? 1024 : port + 1] }));
      const refused = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--json', '--', 'true'], { killAfterMs: BOUND_MS });
      assert.equal(refused.status, 2, show(refused));
      const err = JSON.parse(refused.stdout.toString()) as { ok: boolean; error: { code: string; message: string; details: { file: string; path: string } } };
      assert.equal(err.error.code, 'config_invalid');
      assert.equal(err.error.details.file, wsConfig);
      assert.equal(err.error.details.path, '$.publish');
      assert.match(err.error.message, /a workspace config may not publish ports: it comes with the repository/);
      const plain = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', 'true'], { killAfterMs: BOUND_MS });
      assert.equal(plain.status, 2, show(plain));
      assert.ok(plain.stderr.includes(`${wsConfig}: $.publish:`), show(plain));
    } finally {
      rmSync(userConfig, { force: true });
      rmSync(wsConfigDir, { recursive: true, force: true });
    }
    assert.ok(!existsSync(wsConfig));
  });

  it('an offline session with --publish still cannot reach the network: a connection to the test host (10.x) fails; the host itself reaches it', async () => {
    const control = await runProgram(PYTHON, ['-c', PROBE, 'tcp', peerV4, String(HTTP_PORT)]);
    assert.equal(control.status, 0, `control from the host: ${show(control)}`);
    const port = await freePort();
    const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--publish', String(port), '--', PYTHON, '-c', PROBE, 'tcp', peerV4, String(HTTP_PORT)], { killAfterMs: BOUND_MS });
    assert.equal(r.status, 1, show(r));
    assert.match(r.stdout.toString(), /^fail /, show(r));
  });

  it('a port in use on the host is port_in_use (exit 2) and no session starts; --json and the audit record list what was published', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--publish', String(taken), '--json', '--', 'touch', 'should-not-exist'], { killAfterMs: BOUND_MS });
      assert.equal(r.status, 2, show(r));
      const doc = JSON.parse(r.stdout.toString()) as { error: { code: string; message: string } };
      assert.equal(doc.error.code, 'port_in_use');
      assert.match(doc.error.message, new RegExp(`127\\.0\\.0\\.1:${taken} on the host is already in use`));
      assert.ok(!existsSync(path.join(inst!.workspace, 'should-not-exist')), 'the command never ran');
    } finally {
      await new Promise((res) => busy.close(res));
    }
    const port = await freePort();
    const j = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--publish', String(port), '--json', '--', 'true'], { killAfterMs: BOUND_MS });
    assert.equal(j.status, 0, show(j));
    const doc = JSON.parse(j.stdout.toString()) as { published: string[] };
    assert.deepEqual(doc.published, [`127.0.0.1:${port}`, ...(hasIpv6Loopback() ? [`[::1]:${port}`] : [])]);
    const audit = await inst!.corralAs(inst!.user, ['audit', '--last', '1', '--json']);
    assert.equal(audit.status, 0, show(audit));
    const records = (JSON.parse(audit.stdout.toString()) as { records: { argv: string[]; published?: string[] }[] }).records;
    const last = records[records.length - 1]!;
    assert.deepEqual(last.argv, ['true'], show(audit));
    assert.deepEqual(last.published, doc.published, 'the audit record lists the published addresses');
  });

  it('corral run --help says which way round --publish and loopback: [ports] go', async () => {
    const r = await runProgram(NODE, [CLI, 'run', '--help']);
    assert.equal(r.status, 0, show(r));
    const help = r.stdout.toString();
    assert.match(help, /--publish <port>/);
    assert.match(help, /--publish 3000 \(or "publish": \[3000\] in your user config\): you reach the session/);
    assert.match(help, /"loopback": \[5432\] in a config file: the session reaches the host/);
  });
});
