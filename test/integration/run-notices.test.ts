/**
 * "Say what Corral did" (issue 13.3), the way a user meets it: `corral run` as the member of
 * group corral through the real sudo rule, in a real provisioned installation (offline by
 * default). Corral's own stderr lines (`corral: …`) and the same facts in `--json` for a
 * timeout, output cut at limits.maxOutputBytes, and an offline command that tried the network
 * (a name lookup, a connection); the offline resolver fails at once (refused), and
 * CORRAL_NETWORK plus the package managers' offline settings are in every command's
 * environment. Bounds on the whole command (killAfterMs) are a safety net: each test asserts
 * the command ended by itself (no signal), never how long it took.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';

const MAX_OUTPUT = 1000;
/** Safety net for commands that must end at once on their own (asserted: signal null). */
const BOUND_MS = 20_000;

describe('corral run: says what Corral did (root, the member through the sudo rule)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    // The user's config layer lowers the output limit for these sessions.
    userDir(inst.user, path.join(inst.user.home, '.config'), 0o755);
    const dir = userDir(inst.user, path.join(inst.user.home, '.config', inst.instance), 0o755);
    userFile(inst.user, path.join(dir, 'config.json'), JSON.stringify({ limits: { maxOutputBytes: MAX_OUTPUT } }));
    await inst.setup();
  });
  after(async () => {
    await inst?.teardown();
  });

  const run = (argv: string[], flags: string[] = [], killAfterMs = BOUND_MS): Promise<Result> =>
    inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, ...flags, '--', ...argv], { killAfterMs });
  const corralLines = (r: Result) => r.stderr.split('\n').filter((l) => l.startsWith('corral: '));

  it('a timeout: exits 124 and says "corral: killed after 1 s (limits.timeoutSec)"; --json has timedOut and the notice', async () => {
    const r = await run(['sleep', '30'], ['--timeout', '1']);
    assert.equal(r.signal, null, show(r));
    assert.equal(r.status, 124, show(r));
    assert.match(r.stderr, /^corral: killed after 1 s \(limits\.timeoutSec\)/m);
    assert.equal(r.stdout.length, 0);
    const j = await run(['sleep', '30'], ['--timeout', '1', '--json']);
    const doc = JSON.parse(j.stdout.toString()) as { status: number; timedOut: boolean; notices: string[] };
    assert.equal(doc.status, 124, show(j));
    assert.equal(doc.timedOut, true);
    assert.ok(doc.notices.some((n) => n.startsWith('killed after 1 s (limits.timeoutSec)')), show(j));
  });

  it('output over limits.maxOutputBytes: stdout keeps exactly the limit, and stderr says it was cut', async () => {
    const r = await run(['head', '-c', '5000', '/dev/zero']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.length, MAX_OUTPUT, 'stdout is the command\'s, cut at the limit, with nothing of corral\'s in it');
    assert.ok(r.stdout.every((b) => b === 0));
    assert.match(r.stderr, new RegExp(`^corral: output cut at ${MAX_OUTPUT} bytes \\(limits\\.maxOutputBytes\\)`, 'm'));
    const j = await run(['head', '-c', '5000', '/dev/zero'], ['--json']);
    const doc = JSON.parse(j.stdout.toString()) as { outputTruncated: boolean; notices: string[] };
    assert.equal(doc.outputTruncated, true, show(j));
    assert.ok(doc.notices.some((n) => n.startsWith(`output cut at ${MAX_OUTPUT} bytes`)));
    // Under the limit: no line.
    const small = await run(['echo', 'hi']);
    assert.equal(small.stdout.toString(), 'hi\n');
    assert.deepEqual(corralLines(small), [], show(small));
  });

  it('offline: a name lookup fails at once on its own (refused, not a timeout), and corral says the session is offline', async () => {
    const r = await run(['getent', 'hosts', 'example.com']);
    assert.equal(r.signal, null, `ended by itself, not by the test's ${BOUND_MS} ms bound: ${show(r)}`);
    assert.equal(r.status, 2, show(r)); // getent: key not found
    assert.match(r.stderr, /^corral: this session is offline \(network: "offline"\).*--network online/m);
    // Node's lookup: the resolver's own error, at once.
    const node = await run([process.execPath, '-e', 'require("dns").lookup("example.com", (e) => { console.log(e ? e.code : "resolved"); process.exit(e ? 1 : 0); })']);
    assert.equal(node.signal, null, show(node));
    assert.equal(node.status, 1, show(node));
    assert.match(node.stdout.toString(), /^(EAI_AGAIN|ENOTFOUND)\n$/);
    assert.match(node.stderr, /^corral: this session is offline/m);
    const j = await run(['getent', 'hosts', 'example.com'], ['--json']);
    const doc = JSON.parse(j.stdout.toString()) as { networkUnreachable: boolean; notices: string[] };
    assert.equal(doc.networkUnreachable, true, show(j));
    assert.ok(doc.notices.some((n) => n.startsWith('this session is offline')));
  });

  it('offline: a connection to an outside address is refused at once and gets the line; a failure without network gets none', async () => {
    const r = await run([process.execPath, '-e', 'require("net").connect(443, "192.0.2.10").on("error", (e) => { console.log(e.code); process.exit(3); })']);
    assert.equal(r.signal, null, show(r));
    assert.equal(r.status, 3, show(r));
    // The session namespace's refusal table resets it (runner/linux/refusal-table.ts); before it, ENETUNREACH.
    assert.equal(r.stdout.toString(), 'ECONNREFUSED\n');
    assert.match(r.stderr, /^corral: this session is offline/m);
    const plain = await run(['sh', '-c', 'exit 7']);
    assert.equal(plain.status, 7, show(plain));
    assert.deepEqual(corralLines(plain), [], show(plain));
  });

  it('CORRAL_NETWORK says the network, and offline sessions tell npm, pip and cargo they are offline', async () => {
    const script = 'echo "$CORRAL_NETWORK $npm_config_offline $PIP_NO_INDEX $CARGO_NET_OFFLINE"';
    const off = await run(['sh', '-c', script]);
    assert.equal(off.status, 0, show(off));
    assert.equal(off.stdout.toString(), 'offline true 1 true\n');
    const on = await run(['sh', '-c', script], ['--network', 'online']);
    assert.equal(on.status, 0, show(on));
    assert.equal(on.stdout.toString(), 'online   \n');
    const allow = await run(['sh', '-c', script], ['--allow-host', 'example.com']);
    assert.equal(allow.status, 0, show(allow));
    assert.equal(allow.stdout.toString(), 'allowlist   \n');
  });

  it('offline: npm is told it is offline and fails on its own with its cache message (no EAI_AGAIN retries)', async function () {
    const npm = ['/usr/bin/npm', '/usr/local/bin/npm'].find((p) => existsSync(p));
    if (npm === undefined) this.skip(); // no npm on this machine to try
    userFile(inst!.user, path.join(inst!.workspace, 'package.json'), JSON.stringify({ name: 'ws', version: '1.0.0', private: true }));
    try {
      const r = await run([npm, 'install', '--no-audit', '--no-fund', 'left-pad@1.3.0'], [], 120_000);
      assert.equal(r.signal, null, `ended by itself, not by the test's bound: ${show(r)}`);
      assert.notEqual(r.status, 0, show(r));
      assert.match(r.stderr, /ENOTCACHED|offline/i, show(r));
      assert.doesNotMatch(r.stderr, /EAI_AGAIN/, show(r));
    } finally {
      rmSync(path.join(inst!.workspace, 'package.json'), { force: true });
      rmSync(path.join(inst!.workspace, 'package-lock.json'), { force: true });
      rmSync(path.join(inst!.workspace, 'node_modules'), { recursive: true, force: true });
    }
  });

  it('offline: the session reads Corral\'s resolv.conf, not the host\'s name servers', async () => {
    const r = await run(['cat', '/etc/resolv.conf']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.toString(), /^nameserver 192\.0\.2\.1$/m);
    const on = await run(['cat', '/etc/resolv.conf'], ['--network', 'online']);
    assert.doesNotMatch(on.stdout.toString(), /192\.0\.2\.1/);
  });
});
