/**
 * Refused packets as violation records (issue 17 item 1, the nflog source), the way a user
 * meets them: `corral run` as the member of group corral through the real sudo rule, and
 * openSession as root on the user's behalf, in a real provisioned installation. An offline
 * session's namespace routes everything into its refusal table (runner/linux/refusal-table.ts),
 * which logs each refused packet to the runner's nflog socket before it refuses it.
 *
 * The test host is a network namespace joined to the host by a veth pair on a private range
 * (10.236.R.0/30), with a TCP listener and a UDP socket that print every connection and
 * datagram they get: the listener is real (a control from the host reaches it) and must see
 * nothing from the sandbox. Commands must fail on their own at once: each is run with a safety
 * bound and asserted to have ended by itself (no signal), never how long it took.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openSession } from 'corral';
import { hex, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';
import { TestHost } from './helpers/test-host.js';
import type { ViolationRecord } from '../../core/protocol.js';

const PYTHON = '/usr/bin/python3';
const TCP_PORT = 8181;
const UDP_PORT = 9191;
const BOUND_MS = 30_000;

/** On the test host: a TCP listener and a UDP socket; one line per connection or datagram. */
const LISTENER = String.raw`
import socket, sys, threading
addr = sys.argv[1]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind((addr, int(sys.argv[2]))); t.listen(64)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, int(sys.argv[3])))
lock = threading.Lock()
def say(line):
    with lock: sys.stdout.write(line + "\n"); sys.stdout.flush()
def tcp():
    while True:
        c, peer = t.accept(); say("tcp " + peer[0]); c.close()
def udp():
    while True:
        data, peer = u.recvfrom(2048); say("udp " + peer[0] + " " + data.decode(errors="replace"))
threading.Thread(target=tcp, daemon=True).start()
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
`;

/** In the sandbox: `tcp HOST PORT`, `udp HOST PORT [COUNT]`, `local`; prints what happened, exits 1 on a refusal. */
const PROBE = String.raw`
import errno, socket, sys, time
mode = sys.argv[1]
def name(e): return errno.errorcode.get(e.errno, str(e.errno))
try:
    if mode == "tcp":
        s = socket.socket(); s.settimeout(20); s.connect((sys.argv[2], int(sys.argv[3])))
        print("connected"); sys.exit(0)
    if mode == "udp":
        count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        refused = 0
        for i in range(count):
            try: u.sendto(b"corral-probe", (sys.argv[2], int(sys.argv[3])))
            except OSError as e: refused += 1; last = name(e)
        if count > 1:
            time.sleep(0.3)
            try: u.sendto(b"corral-probe", (sys.argv[2], int(sys.argv[3])))
            except OSError as e: refused += 1
        print("refused", refused, last) if refused else print("sent"); sys.exit(1 if refused else 0)
    if mode == "local":
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            l = socket.socket(fam); l.bind((host, 0)); l.listen(1)
            c = socket.socket(fam); c.settimeout(5); c.connect(l.getsockname()[:2]); l.accept()
            u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((host, 0))
            socket.socket(fam, socket.SOCK_DGRAM).sendto(b"x", u.getsockname()[:2]); u.recv(10)
        print("loopback ok"); sys.exit(0)
except OSError as e:
    print("refused", name(e)); sys.exit(1)
`;

interface RunDoc {
  status: number;
  stdout: { data: string };
  violations: ViolationRecord[];
  violationsDropped?: number;
  violationSources: Record<string, string>;
  networkUnreachable: boolean;
  notices: string[];
  explain?: string[];
}

describe('corral run: refused packets of offline sessions as violations (root, real sudo rule, a real test host)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const host = new TestHost('ctr', 236);
  const { peerV4: peer } = host;
  let listener: ChildProcess | undefined;
  let heard: string[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  before(async function () {
    requireRoot(this);
    host.create();
    listener = spawn('ip', host.spawnArgs([PYTHON, '-c', LISTENER, peer, String(TCP_PORT), String(UDP_PORT)]), { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      listener!.stdout!.once('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : reject(new Error(`listener said ${d.toString()}`))));
      listener!.once('exit', (code) => reject(new Error(`test host listener exited ${code}`)));
    });
    let partial = '';
    listener.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      heard.push(...lines.filter(Boolean));
    });
    // Controls from the host itself, unsandboxed: the listener is real and answers.
    const tcp = await runProgram(PYTHON, ['-c', PROBE, 'tcp', peer, String(TCP_PORT)]);
    assert.equal(tcp.stdout.toString(), 'connected\n', `control: ${show(tcp)}`);
    const udp = await runProgram(PYTHON, ['-c', PROBE, 'udp', peer, String(UDP_PORT)]);
    assert.equal(udp.stdout.toString(), 'sent\n', `control: ${show(udp)}`);
    const reached = () => heard.some((l) => l.startsWith('tcp ')) && heard.some((l) => l.startsWith('udp '));
    for (let i = 0; i < 50 && !reached(); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(reached(), `the controls reached the listener: ${JSON.stringify(heard)}`);
    heard = [];
    inst = new TestInstallation();
    await inst.setup();
  });

  after(async () => {
    listener?.kill('SIGKILL');
    host.remove();
    await inst?.teardown();
  });

  afterEach(() => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete savedEnv[k];
    }
  });

  const run = (argv: string[], flags: string[] = []): Promise<Result> =>
    inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, ...flags, '--', ...argv], { killAfterMs: BOUND_MS });
  const probe = (args: string[], flags: string[] = []) => run([PYTHON, '-c', PROBE, ...args], flags);
  const doc = (res: Result): RunDoc => JSON.parse(res.stdout.toString()) as RunDoc;
  const OFFLINE_RULE = 'the session is offline (network: "offline")';

  it('a TCP connect to the test host fails at once (ECONNREFUSED) and --json names it: connect, address:port, the rule; the listener sees nothing', async () => {
    const res = await probe(['tcp', peer, String(TCP_PORT)], ['--json']);
    assert.equal(res.signal, null, `ended by itself: ${show(res)}`);
    const d = doc(res);
    assert.equal(d.status, 1, show(res));
    assert.equal(d.stdout.data, 'refused ECONNREFUSED\n');
    assert.equal(d.violationSources.nflog, 'on');
    const v = d.violations.filter((x) => x.source === 'nflog');
    assert.ok(v.length >= 1, JSON.stringify(d.violations));
    assert.deepEqual({ ...v[0]!, time: '' }, { kind: 'connect', target: `${peer}:${TCP_PORT}`, operation: 'packet.tcp', time: '', rule: OFFLINE_RULE, source: 'nflog' });
    assert.ok(Math.abs(Date.parse(v[0]!.time) - Date.now()) < 600_000, v[0]!.time);
    assert.equal(d.networkUnreachable, true, 'the offline notice works from the records');
    assert.ok(d.notices.some((n) => n.startsWith('this session is offline')), JSON.stringify(d.notices));
    assert.deepEqual(heard, [], 'the listener got no connection');
  });

  it('streaming: one `corral: blocked:` line for the connection, and the audit log records it with its command', async () => {
    const marker = `p${hex(3)}`;
    const res = await run(['sh', '-c', `${PYTHON} -c "$0" tcp ${peer} ${TCP_PORT} # ${marker}`, PROBE]);
    assert.equal(res.signal, null, show(res));
    assert.equal(res.status, 1, show(res));
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('corral: blocked:'));
    assert.deepEqual(lines, [`corral: blocked: connect to ${peer}:${TCP_PORT} (${OFFLINE_RULE})`], show(res));
    assert.match(res.stderr, /^corral: this session is offline/m);
    const log = path.join(inst!.user.home, '.local', 'state', inst!.instance, 'audit.jsonl');
    const record = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv?: string[]; violations?: ViolationRecord[] })
      .reverse()
      .find((rec) => rec.argv?.some((a) => a.includes(marker)));
    assert.ok(record, 'the command has an audit record');
    assert.ok(record.violations?.some((x) => x.source === 'nflog' && x.target === `${peer}:${TCP_PORT}`), JSON.stringify(record));
  });

  it('a UDP datagram fails at once (EPERM at the send) and is recorded; a name lookup fails at once and is recorded as the resolver\'s datagram', async () => {
    const res = await probe(['udp', peer, String(UDP_PORT)], ['--json']);
    assert.equal(res.signal, null, show(res));
    const d = doc(res);
    assert.equal(d.stdout.data, 'refused 1 EPERM\n', show(res));
    assert.deepEqual(d.violations.filter((x) => x.source === 'nflog').map((x) => `${x.operation} ${x.target}`), [`packet.udp ${peer}:${UDP_PORT}`]);
    const dns = await run(['getent', 'hosts', 'example.com'], ['--json']);
    assert.equal(dns.signal, null, `the lookup ended by itself: ${show(dns)}`);
    const dd = doc(dns);
    assert.equal(dd.status, 2, show(dns)); // getent: not found
    assert.ok(dd.violations.length >= 1 && dd.violations.every((x) => x.operation === 'packet.udp' && x.target === '192.0.2.1:53'), JSON.stringify(dd.violations));
    assert.equal(dd.networkUnreachable, true);
    await new Promise((res2) => setTimeout(res2, 200));
    assert.deepEqual(heard, [], 'the listener got no datagram');
  });

  it('two commands in sequence in one session: each refusal is given to the command that made it, and the audit records say so', async () => {
    for (const [k, v] of Object.entries(inst!.rootEnv())) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    const auditFile = `/tmp/corral-refusals-audit-${hex(4)}.jsonl`;
    const session = await openSession({ workspace: inst!.workspace, audit: auditFile });
    try {
      assert.equal(session.violationSources.nflog, 'on');
      const first = await session.exec([PYTHON, '-c', PROBE, 'tcp', peer, String(TCP_PORT)]);
      const second = await session.exec([PYTHON, '-c', PROBE, 'udp', peer, String(UDP_PORT)]);
      const third = await session.exec(['true']);
      assert.equal(first.stdout.toString(), 'refused ECONNREFUSED\n');
      assert.equal(second.stdout.toString(), 'refused 1 EPERM\n');
      assert.deepEqual([...new Set(first.violations.map((x) => x.target))], [`${peer}:${TCP_PORT}`]);
      assert.deepEqual(second.violations.map((x) => x.target), [`${peer}:${UDP_PORT}`]);
      assert.deepEqual(third.violations, []);
      assert.deepEqual([first.networkUnreachable, second.networkUnreachable, third.networkUnreachable], [true, true, false]);
      const records = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv?: string[]; violations?: ViolationRecord[] });
      const of = (mode: string) => records.find((rec) => rec.argv?.[3] === mode)?.violations?.map((x) => x.target) ?? [];
      assert.deepEqual([...new Set(of('tcp'))], [`${peer}:${TCP_PORT}`], JSON.stringify(records));
      assert.deepEqual(of('udp'), [`${peer}:${UDP_PORT}`], JSON.stringify(records));
    } finally {
      await session.close();
      execFileSync('rm', ['-f', auditFile]);
    }
  });

  it('a flood of refused datagrams: every refusal is either recorded or counted as dropped — none lost silently', async () => {
    const count = 30_000;
    const res = await probe(['udp', peer, String(UDP_PORT), String(count)], ['--json']);
    assert.equal(res.signal, null, show(res));
    const d = doc(res);
    assert.equal(d.stdout.data, `refused ${count + 1} EPERM\n`, show(res));
    const recorded = d.violations.filter((x) => x.source === 'nflog').length;
    assert.equal(recorded, 1000, 'kept up to the per-command bound');
    assert.equal(recorded + (d.violationsDropped ?? 0), count + 1, `${recorded} recorded + ${d.violationsDropped ?? 0} dropped`);
  });

  it('the kernel numbers every message: 50,000 refused datagrams left unread overflow the socket, and read + lost is exactly what was refused', async () => {
    // The runner's own modules in a child of a fresh network namespace (unshare -n), the datagrams sent by nobody (65534).
    const script = `
      import { NflogSocket } from ${JSON.stringify(new URL('../../runner/linux/nflog.js', import.meta.url).href)};
      import { installRefusalTable } from ${JSON.stringify(new URL('../../runner/linux/refusal-table.js', import.meta.url).href)};
      import { execFileSync, spawnSync } from 'node:child_process';
      execFileSync('ip', ['link', 'set', 'lo', 'up']);
      const s = NflogSocket.open();
      installRefusalTable();
      const send = (n) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ${JSON.stringify(PYTHON)}, '-c', ${JSON.stringify(PROBE)}, 'udp', '10.1.1.1', '9', String(n)], { encoding: 'utf8' }).stdout.trim();
      const said = send(50000);
      let read = 0;
      for (let i = 0; i < 20; i++) read += s.drain().length;
      // One more once the socket has room: its sequence number shows the gap of the last losses.
      const after = send(1);
      read += s.drain().length;
      console.log(JSON.stringify({ said, after, read, lost: s.lost }));
    `;
    const res = await runProgram('unshare', ['-n', process.execPath, '--input-type=module', '-e', script], { killAfterMs: 120_000 });
    assert.equal(res.status, 0, show(res));
    const { said, after, read, lost } = JSON.parse(res.stdout.toString()) as { said: string; after: string; read: number; lost: number };
    assert.deepEqual([said, after], ['refused 50001 EPERM', 'refused 1 EPERM']);
    assert.ok(lost > 0, `the socket overflowed (read ${read})`);
    assert.equal(read + lost, 50_002, `${read} read + ${lost} lost`);
  });

  it('loopback still works inside the session (TCP and UDP, IPv4 and IPv6), with no record', async () => {
    const res = await probe(['local'], ['--json']);
    const d = doc(res);
    assert.equal(d.stdout.data, 'loopback ok\n', show(res));
    assert.deepEqual(d.violations, []);
  });

  it('the session cannot change its table or its routes (no CAP_NET_ADMIN in its namespace), and refusals stay recorded', async () => {
    const res = await run(['sh', '-c', `nft flush ruleset; echo "nft=$?"; ip route del default; echo "ip=$?"; ${PYTHON} -c "$0" tcp ${peer} ${TCP_PORT}`, PROBE], ['--json']);
    const d = doc(res);
    assert.match(d.stdout.data, /^nft=1\nip=2\nrefused ECONNREFUSED\n$/, show(res));
    assert.ok(d.violations.some((x) => x.target === `${peer}:${TCP_PORT}`), JSON.stringify(d.violations));
    assert.deepEqual(heard, []);
  });

  it('--explain gives the allowlist entry for a refused connection, a name lookup its own line, and applies nothing', async () => {
    const res = await run(['sh', '-c', `${PYTHON} -c "$0" tcp ${peer} ${TCP_PORT}; getent hosts example.com`, PROBE], ['--explain']);
    const explain = res.stderr.split('\n').filter((l) => l.startsWith('corral: explain:'));
    const config = path.join(inst!.user.home, '.config', inst!.instance, 'config.json');
    assert.equal(
      explain[0],
      `corral: explain: connect to ${peer}:${TCP_PORT} — add "${peer}:${TCP_PORT}" to "network.allow" in ${config}, or pass --allow-host ${peer}:${TCP_PORT} (the session then reaches it through the allowlist proxy: tools that honour HTTPS_PROXY), or --network online (not applied)`,
      show(res),
    );
    assert.match(explain[1] ?? '', /^corral: explain: send a UDP datagram to 192\.0\.2\.1:53 — a name lookup/);
    assert.equal(explain.length, 2, show(res));
  });

  it('an allowlist session: a direct connection (not through the proxy) is refused at once and recorded with the allowlist rule', async () => {
    const res = await probe(['tcp', peer, String(TCP_PORT)], ['--json', '--allow-host', 'example.invalid']);
    assert.equal(res.signal, null, show(res));
    const d = doc(res);
    assert.equal(d.stdout.data, 'refused ECONNREFUSED\n', show(res));
    assert.equal(d.violationSources.nflog, 'on');
    assert.deepEqual(d.violations.filter((x) => x.source === 'nflog').map((x) => [x.target, x.rule])[0], [`${peer}:${TCP_PORT}`, 'a direct connection: the session reaches the network only through its allowlist proxy']);
    assert.deepEqual(heard, []);
  });

  it('loopback "deny": no interface up, so the source says why it is off, and a connection still fails at once', async () => {
    const u = inst!.user;
    const config = path.join(u.home, '.config', inst!.instance, 'config.json');
    userDir(u, path.join(u.home, '.config'));
    userDir(u, path.dirname(config));
    userFile(u, config, JSON.stringify({ loopback: 'deny' }));
    try {
      const res = await probe(['tcp', peer, String(TCP_PORT)], ['--json']);
      assert.equal(res.signal, null, show(res));
      const d = doc(res);
      assert.equal(d.stdout.data, 'refused ENETUNREACH\n', show(res));
      assert.match(d.violationSources.nflog ?? '', /^off: loopback "deny"/);
      assert.equal(d.networkUnreachable, true, 'still counted by the no-route counters');
    } finally {
      rmSync(config, { force: true });
    }
  });
});
