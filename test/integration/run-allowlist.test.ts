/**
 * End to end, as root, through the real runner and real nft rules: the allowlist network
 * (issue 15). A test host in its own network namespace (10.232.R.0/30) serves HTTP, a dumb-HTTP
 * git repository and a tiny npm registry; `allowed.test`, `denied.test` and `loop.test` (→
 * 127.0.0.1) resolve through entries this test adds to /etc/hosts (the proxy resolves with the
 * system resolver) and removes afterwards. Every refusal is paired with a control that reaches
 * the same server through the proxy. The server also speaks HTTPS on 8443 with a certificate
 * for allowed.test and denied.test made at test time (the session trusts it only through
 * pip's --cert), so TLS through CONNECT is exercised by a real client.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hex, requireRoot, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';
import { TestHost } from './helpers/test-host.js';
import { PROBE } from './helpers/net-scripts.js';
import { HOST_SERVER, RAW_CLIENT, WHEEL_INDEX, WHEEL_NAME, WHEEL_VALUE } from './helpers/allowlist-host.js';

const PYTHON = '/usr/bin/python3';
const PROXY = '127.0.0.1:3128';
const HOSTS_FILE = '/etc/hosts';
const BODY = 'corral-allowlist-host';

describe('corral run end to end: allowlist network (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const tag = hex(2);
  const host = new TestHost('cta', 232);
  const { peerV4 } = host;
  const marker = `# corral-allowlist-test ${tag}`;
  let server: ChildProcess | undefined;
  let loopService: net.Server | undefined;
  let loopPort = 0;
  let hostsAdded = false;
  let root = '';
  let tls = '';

  const allow = (...hosts: string[]) => hosts.flatMap((h) => ['--allow-host', h]);
  const run = (argv: string[], flags: string[]): Promise<Result> => inst!.run(argv, flags);
  const raw = (payload: Buffer | string, flags = allow('allowed.test:8080')) =>
    run([PYTHON, '-c', RAW_CLIENT, '127.0.0.1', '3128', Buffer.from(payload as string, 'latin1').toString('hex')], flags);

  before(async function () {
    requireRoot(this);
    root = mkdtempSync(path.join(tmpdir(), 'corral-allowlist-'));
    writeFileSync(path.join(root, 'index.html'), BODY);
    // A dumb-HTTP git repository and an npm tarball with its packument.
    const work = path.join(root, 'src');
    execFileSync('git', ['init', '-q', '-b', 'main', work]);
    writeFileSync(path.join(work, 'README'), 'fetched through the proxy\n');
    execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', 'README']);
    execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one']);
    execFileSync('git', ['clone', '-q', '--bare', work, path.join(root, 'repo.git')]);
    execFileSync('git', ['-C', path.join(root, 'repo.git'), 'update-server-info']);
    const pkg = path.join(root, 'pkg', 'package');
    execFileSync('mkdir', ['-p', pkg]);
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tiny-pkg', version: '1.0.0' }));
    execFileSync('mkdir', ['-p', path.join(root, 'tiny-pkg', '-')]);
    const tgz = path.join(root, 'tiny-pkg', '-', 'tiny-pkg-1.0.0.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', path.join(root, 'pkg'), 'package']);
    const bytes = readFileSync(tgz);
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const shasum = createHash('sha1').update(bytes).digest('hex');
    writeFileSync(
      path.join(root, 'packument.json'),
      JSON.stringify({
        name: 'tiny-pkg',
        'dist-tags': { latest: '1.0.0' },
        versions: { '1.0.0': { name: 'tiny-pkg', version: '1.0.0', dist: { tarball: 'http://allowed.test:8080/tiny-pkg/-/tiny-pkg-1.0.0.tgz', integrity, shasum } } },
      }),
    );
    execFileSync(PYTHON, ['-c', WHEEL_INDEX, root]);
    execFileSync('chmod', ['-R', 'a+rX', root]);
    // Outside the served directory: the key never reaches a client.
    tls = mkdtempSync(path.join(tmpdir(), 'corral-allowlist-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=allowed.test', '-addext', 'subjectAltName=DNS:allowed.test,DNS:denied.test', '-keyout', path.join(tls, 'key.pem'), '-out', path.join(tls, 'cert.pem')], { stdio: 'pipe' });

    host.create();
    server = spawn('ip', host.spawnArgs([PYTHON, '-c', HOST_SERVER, root, peerV4, path.join(root, 'packument.json'), tls]), { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : reject(new Error(`server said ${d.toString()}`))));
      server!.once('exit', (code) => reject(new Error(`test host server exited ${code}`)));
    });
    const hosts = readFileSync(HOSTS_FILE, 'utf8');
    writeFileSync(HOSTS_FILE, `${hosts.endsWith('\n') ? hosts : `${hosts}\n`}${peerV4} allowed.test ${marker}\n${peerV4} denied.test ${marker}\n127.0.0.1 loop.test ${marker}\n`);
    hostsAdded = true;
    // A service on the host's own loopback that no allowlist session may reach.
    loopService = net.createServer((s) => s.end('HTTP/1.0 200 OK\r\n\r\nhost-loopback-secret'));
    await new Promise<void>((resolve) => loopService!.listen(0, '127.0.0.1', resolve));
    loopPort = (loopService.address() as net.AddressInfo).port;
    inst = new TestInstallation();
    await inst.setup();
  });

  after(async () => {
    loopService?.close();
    server?.kill('SIGKILL');
    if (hostsAdded) {
      const lines = readFileSync(HOSTS_FILE, 'utf8').split('\n').filter((l) => !l.endsWith(marker));
      writeFileSync(HOSTS_FILE, lines.join('\n'));
    }
    host.remove();
    if (root !== '') rmSync(root, { recursive: true, force: true });
    if (tls !== '') rmSync(tls, { recursive: true, force: true });
    await inst?.teardown();
  });

  it('corral run --allow-host allowed.test -- curl http://allowed.test:8080/ works (port listed); the host is reached with curl', async () => {
    const res = await run(['curl', '-sS', '--max-time', '20', 'http://allowed.test:8080/'], allow('allowed.test:8080'));
    assert.equal(res.status, 0, show(res));
    assert.equal(res.stdout.toString(), BODY);
    // The same through CONNECT (curl -p tunnels) and SOCKS5 with remote resolution.
    const tunnel = await run(['curl', '-sS', '-p', '--max-time', '20', 'http://allowed.test:8080/'], allow('allowed.test:8080'));
    assert.equal(tunnel.stdout.toString(), BODY, show(tunnel));
    const socks = await run(['curl', '-sS', '--max-time', '20', '-x', `socks5h://${PROXY}`, 'http://allowed.test:8080/'], allow('allowed.test:8080'));
    assert.equal(socks.stdout.toString(), BODY, show(socks));
  });

  it('bare --allow-host allowed.test means ports 80 and 443: port 8080 is refused with the reason', async () => {
    const res = await run(['curl', '-sS', '--max-time', '20', 'http://allowed.test:8080/'], allow('allowed.test'));
    assert.match(res.stdout.toString(), /corral: blocked connection to allowed.test:8080 \(port 8080 not in network.allow\)/, show(res));
  });

  it('a denied host is refused with the reason', async () => {
    const res = await run(['curl', '-sS', '-p', '--max-time', '20', 'http://denied.test:8080/'], allow('allowed.test:8080'));
    assert.notEqual(res.status, 0, show(res));
    assert.doesNotMatch(res.stdout.toString(), new RegExp(BODY));
    const plain = await run(['curl', '-sS', '--max-time', '20', 'http://denied.test:8080/'], allow('allowed.test:8080'));
    assert.match(plain.stdout.toString(), /corral: blocked connection to denied.test:8080 \(not in network.allow\)/, show(plain));
    // corral run's own line on stderr, from the decision the proxy reported (not from curl's output).
    assert.match(res.stderr, /^corral: blocked connection to denied.test:8080 \(not in network.allow\)$/m, show(res));
  });

  it('decisions are evidence: --json lists them, the audit log keeps them', async () => {
    const res = await run(['sh', '-c', 'curl -sS -p --max-time 20 http://allowed.test:8080/ >/dev/null; curl -sS -p --max-time 20 http://denied.test:8080/'], [...allow('allowed.test:8080'), '--json']);
    const doc = JSON.parse(res.stdout.toString()) as { connections: { host: string; port: number; allowed: boolean; rule: string; via: string; time: string }[] };
    assert.deepEqual(
      doc.connections.map((c) => [c.via, c.host, c.port, c.allowed, c.rule]),
      [
        ['connect', 'allowed.test', 8080, true, 'network.allow: allowed.test:8080'],
        ['connect', 'denied.test', 8080, false, 'not in network.allow'],
      ],
      show(res),
    );
    assert.ok(doc.connections.every((c) => !Number.isNaN(Date.parse(c.time))));
    const audit = await inst!.corral(['audit', '--json', '--last', '1']);
    assert.equal(audit.status, 0, show(audit));
    const records = JSON.parse(audit.stdout.toString()) as { connections?: { host: string; allowed: boolean }[] }[] | { records: { connections?: { host: string; allowed: boolean }[] }[] };
    const last = (Array.isArray(records) ? records : records.records).at(-1)!;
    assert.deepEqual(last.connections?.map((c) => [c.host, c.allowed]), [['allowed.test', true], ['denied.test', false]], audit.stdout.toString());
  });

  it('the allowed host dialled directly (no proxy), and DNS from inside, fail', async () => {
    const direct = await run([PYTHON, '-c', PROBE, 'tcp', peerV4, '8080'], allow('allowed.test:8080'));
    assert.equal(direct.status, 1, show(direct));
    assert.match(direct.stdout.toString(), /^fail /);
    const noProxy = await run(['curl', '-sS', '--noproxy', '*', '--max-time', '10', 'http://allowed.test:8080/'], allow('allowed.test:8080'));
    assert.notEqual(noProxy.status, 0, show(noProxy));
    const dns = await run([PYTHON, '-c', 'import socket,sys\ntry:\n  print(socket.gethostbyname(sys.argv[1]))\nexcept OSError as e:\n  print("fail", e); sys.exit(1)', 'allowed.test'], allow('allowed.test:8080'));
    // /etc/hosts is readable inside; what matters is that a real resolver query fails:
    const query = await run([PYTHON, '-c', PROBE, 'dns', peerV4, '53', 'allowed.test'], allow('allowed.test:8080'));
    assert.equal(query.status, 1, show(query));
    void dns;
  });

  it('each bypass attempt is refused, next to a control that passes', async () => {
    const ok = await raw('CONNECT ALLOWED.test.:8080 HTTP/1.1\r\n\r\n');
    assert.match(ok.stdout.toString(), /^HTTP\/1.1 200 /, `control: mixed case and a trailing dot normalise to the listed name: ${show(ok)}`);
    const refused: [string, RegExp][] = [
      ['CONNECT allowed.test\0.evil:8080 HTTP/1.1\r\n\r\n', /40[03]/],
      ['CONNECT allowed.test..:8080 HTTP/1.1\r\n\r\n', /403[^]*empty label/],
      [`CONNECT ${'a'.repeat(64)}.test:8080 HTTP/1.1\r\n\r\n`, /403[^]*label longer/],
      [`CONNECT ${'a.'.repeat(130)}test:8080 HTTP/1.1\r\n\r\n`, /403[^]*longer than 253/],
      ['CONNECT allowed_test:8080 HTTP/1.1\r\n\r\n', /403[^]*invalid label/],
      ['CONNECT allowed.test:22 HTTP/1.1\r\n\r\n', /403[^]*port 22 not in network.allow/],
      [`CONNECT ${peerV4}:8080 HTTP/1.1\r\n\r\n`, /403[^]*IP literal not in network.allow/],
      [`CONNECT [::ffff:${peerV4}]:8080 HTTP/1.1\r\n\r\n`, /403[^]*IP literal not in network.allow/],
      ['CONNECT 2130706433:8080 HTTP/1.1\r\n\r\n', /403[^]*numeric/],
      ['GET http://allowed.test:8080@denied.test:8080/ HTTP/1.1\r\nHost: x\r\n\r\n', /400[^]*credentials/],
    ];
    for (const [payload, expected] of refused) {
      const res = await raw(payload);
      assert.match(res.stdout.toString(), expected, `${JSON.stringify(payload)}: ${show(res)}`);
    }
    const name = Buffer.from('allowed.test');
    const socksOk = await raw(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, Buffer.from([0x1f, 0x90])]).toString('latin1'));
    assert.match(socksOk.stdout.toString(), /^socks 05000500/, `control: SOCKS5 with a listed name: ${show(socksOk)}`);
    const v4 = peerV4.split('.').map(Number);
    const socksIp = await raw(Buffer.from([5, 1, 0, 5, 1, 0, 1, ...v4, 0x1f, 0x90]).toString('latin1'));
    assert.match(socksIp.stdout.toString(), /^socks 05000502/, `SOCKS5 with an unlisted IP literal: ${show(socksIp)}`);
    const socksIpListed = await raw(Buffer.from([5, 1, 0, 5, 1, 0, 1, ...v4, 0x1f, 0x90]).toString('latin1'), allow(`${peerV4}:8080`));
    assert.match(socksIpListed.stdout.toString(), /^socks 05000500/, `control: SOCKS5 with a listed IP literal: ${show(socksIpListed)}`);
  });

  it("an allowlist session can't reach host loopback services, directly or through a listed name that resolves to loopback", async () => {
    const direct = await run(['curl', '-sS', '--noproxy', '*', '--max-time', '10', `http://127.0.0.1:${loopPort}/`], allow('allowed.test:8080'));
    assert.doesNotMatch(direct.stdout.toString(), /host-loopback-secret/, show(direct));
    const viaProxy = await run(['curl', '-sS', '--max-time', '10', `http://127.0.0.1:${loopPort}/`], allow('allowed.test:8080'));
    assert.match(viaProxy.stdout.toString(), /IP literal not in network.allow/, show(viaProxy));
    const named = await run(['curl', '-sS', '--max-time', '10', `http://loop.test:${loopPort}/`], allow(`loop.test:${loopPort}`));
    assert.match(named.stdout.toString(), /resolves to a loopback address 127.0.0.1/, show(named));
  });

  it('git over HTTP (dumb) and npm against the test host work through the proxy', async () => {
    const clone = await run(['git', 'clone', '-q', 'http://allowed.test:8080/repo.git', 'cloned'], allow('allowed.test:8080'));
    assert.equal(clone.status, 0, show(clone));
    assert.equal(readFileSync(path.join(inst!.workspace, 'cloned', 'README'), 'utf8'), 'fetched through the proxy\n');
    userFile(inst!.user, path.join(inst!.workspace, 'package.json'), JSON.stringify({ name: 'ws', version: '1.0.0', private: true }));
    const npm = await run(['npm', 'install', '--no-audit', '--no-fund', '--registry', 'http://allowed.test:8080/', 'tiny-pkg'], allow('allowed.test:8080'));
    assert.equal(npm.status, 0, show(npm));
    assert.equal(JSON.parse(readFileSync(path.join(inst!.workspace, 'node_modules', 'tiny-pkg', 'package.json'), 'utf8')).version, '1.0.0');
  });

  it("pip installs a wheel from a simple index over HTTPS through the proxy (CONNECT, TLS untouched); an unlisted index is refused with the proxy's reason", async () => {
    // Debian's pip (python3-pip), as the session runs it: no PIP_NO_INDEX, PIP_PROXY set by the runner.
    const cert = path.join(inst!.workspace, 'test-ca.pem');
    userFile(inst!.user, cert, readFileSync(path.join(tls, 'cert.pem'), 'utf8'));
    const pip = (index: string, target: string) => [PYTHON, '-m', 'pip', 'install', '--no-cache-dir', '--disable-pip-version-check', '--retries', '0', '--timeout', '20', '--cert', cert, '--target', target, '--index-url', index, WHEEL_NAME];
    const env = await run(['sh', '-c', 'echo "[$PIP_PROXY] [${PIP_NO_INDEX-unset}]"'], allow('allowed.test:8443'));
    assert.equal(env.stdout.toString().trim(), `[http://${PROXY}] [unset]`, show(env));
    const ok = await run(pip('https://allowed.test:8443/simple/', 'pylib'), allow('allowed.test:8443'));
    assert.equal(ok.status, 0, show(ok));
    assert.match(ok.stdout.toString(), new RegExp(`Successfully installed ${WHEEL_NAME}-1.0.0`), show(ok));
    // The installed module imports inside the session (cwd is the workspace).
    const imported = await run([PYTHON, '-c', `import sys; sys.path.insert(0, 'pylib'); import ${WHEEL_NAME}; print(${WHEEL_NAME}.VALUE)`], allow('allowed.test:8443'));
    assert.equal(imported.stdout.toString().trim(), WHEEL_VALUE, show(imported));
    const refused = await run(pip('https://denied.test:8443/simple/', 'pylib-denied'), allow('allowed.test:8443'));
    assert.notEqual(refused.status, 0, show(refused));
    // pip itself only says it found nothing; the reason is the proxy's, on corral run's stderr.
    assert.match(refused.stderr, /No matching distribution found for tinywheel/, show(refused));
    assert.match(refused.stderr, /^corral: blocked connection to denied.test:8443 \(not in network.allow\)$/m, show(refused));
    assert.doesNotMatch(refused.stdout.toString(), /Successfully installed/, show(refused));
  });

  it('Node fetch: honours the proxy where Node supports NODE_USE_ENV_PROXY, else fails closed', async () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const supported = major >= 24 || (major === 22 && minor >= 21);
    const res = await run([process.execPath, '-e', "fetch('http://allowed.test:8080/').then(async r => console.log(await r.text()), e => { console.log('fail', e.cause?.code ?? e.message); process.exit(1) })"], allow('allowed.test:8080'));
    if (supported) assert.equal(res.stdout.toString().trim(), BODY, show(res));
    else assert.match(res.stdout.toString(), /^fail /, `Node ${process.versions.node} fetch ignores proxy variables and must fail closed: ${show(res)}`);
  });

  it('the proxy killed mid-session fails closed', async () => {
    // One command: reach the host, kill the proxy (found by the test as root, from the outside), try again.
    const script = [
      'import subprocess, sys, time',
      "def get():",
      "    return subprocess.run(['curl', '-sS', '--max-time', '10', 'http://allowed.test:8080/'], capture_output=True, text=True)",
      "a = get(); print('first', a.returncode, a.stdout)",
      "open('/tmp/ready', 'w').close()",
      "sys.stdout.flush()",
      "for _ in range(200):",
      "    time.sleep(0.05)",
      "    b = get()",
      "    if b.returncode != 0: print('second', b.returncode); sys.exit(0)",
      "print('second still works'); sys.exit(1)",
    ].join('\n');
    const online = inst!.identity('online');
    const running = run([PYTHON, '-c', script], allow('allowed.test:8080'));
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      let pids = '';
      try {
        pids = execFileSync('pgrep', ['-u', String(online.uid), '-f', 'proxy-main.js'], { encoding: 'utf8' }).trim();
      } catch {
        continue; // pgrep exits 1 until the proxy has dropped to the online identity
      }
      killed = Number(pids.split('\n')[0]);
      // Let the first request through before the kill.
      await new Promise((res) => setTimeout(res, 1500));
      process.kill(killed, 'SIGKILL');
    }
    const res = await running;
    assert.ok(killed > 0, 'the proxy ran as the online identity');
    assert.match(res.stdout.toString(), new RegExp(`first 0 ${BODY}`), show(res));
    assert.match(res.stdout.toString(), /second [1-9]/, show(res));
    assert.equal(res.status, 0, show(res));
  });

  it("the workspace layer can't widen the list", async () => {
    const dir = userDir(inst!.user, path.join(inst!.workspace, `.${inst!.instance}`));
    userFile(inst!.user, path.join(dir, 'config.json'), JSON.stringify({ network: { allow: ['denied.test:8080'], deny: [] } }));
    try {
      const res = await run(['curl', '-sS', '--max-time', '10', 'http://denied.test:8080/'], allow('allowed.test:8080'));
      assert.notEqual(res.status, 0, show(res));
      assert.doesNotMatch(res.stdout.toString(), new RegExp(BODY), show(res));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
