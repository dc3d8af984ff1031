/**
 * Reusable sessions (issue 16 item 1), end to end as root with the real runner and the real sudo
 * rule: a second `corral run` runs in the session the first one started (same session id in the
 * audit log and in `corral session list`); a policy file change, --fresh, idleSec expiry,
 * `corral session stop`, kill -9 of the host and `corral setup` each end reuse cleanly; another
 * real user and the sandbox identity are refused by the host's SO_PEERCRED check even when the
 * socket's modes are opened to them; a command inside the session cannot find or reach the
 * socket; racing first runs end with one session; the fast client path loads no commander, zod,
 * listr2 or MCP SDK.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linuxInstallation } from '../../core/installation.js';
import { createUser, eventually, hex, NODE, pgrep, removeUser, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result, type TestUser } from './helpers/e2e.js';

interface Listed {
  socket: string;
  state: 'live' | 'stale';
  id?: string;
  key?: string;
  hostPid?: number;
  workspace?: string;
  commands?: number;
}

describe('corral run reuses kept sessions (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let other: TestUser | undefined;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
    other = createUser('cto');
    // Reuse is opted into (session.idleSec defaults to 0, policy/defaults.ts): the machine layer keeps
    // sessions 600 s for this installation, so the user-layer edits below change only what they test.
    mkdirSync(path.dirname(machineConfig()), { recursive: true, mode: 0o755 });
    writeFileSync(machineConfig(), JSON.stringify({ session: { idleSec: 600 } }), { mode: 0o644 });
  });
  const machineConfig = () => linuxInstallation(inst!.instance).machineConfigFile;
  after(async () => {
    await inst?.teardown();
    removeUser(other);
  });

  const auditFile = () => path.join(inst!.user.home, '.local', 'state', inst!.instance, 'audit.jsonl');
  const sockDir = () => path.join(inst!.user.home, '.local', 'state', 'corral', 'sessions', inst!.instance);
  /** The session id of the audit record whose argv holds `marker`. */
  function sessionOf(marker: string): string {
    const lines = readFileSync(auditFile(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { session: string; argv: string[] });
    const hit = lines.filter((l) => l.argv.includes(marker));
    assert.equal(hit.length, 1, `one audit record for ${marker}`);
    return hit[0]!.session;
  }
  /** `corral run -- true MARKER` as the user through the sudo rule (or as root for them); the session id. */
  async function run(flags: string[] = [], asRoot = false): Promise<string> {
    const marker = `m-${hex(4)}`;
    const args = ['run', ...flags, '--', 'true', marker];
    const r = asRoot ? await inst!.corral(args) : await inst!.corralAs(inst!.user, args);
    assert.equal(r.status, 0, show(r));
    return sessionOf(marker);
  }
  async function list(): Promise<Listed[]> {
    const r = await inst!.corralAs(inst!.user, ['session', 'list', '--json']);
    assert.equal(r.status, 0, show(r));
    return (JSON.parse(r.stdout.toString()) as { sessions: Listed[] }).sessions;
  }
  async function stopAll(): Promise<void> {
    const r = await inst!.corralAs(inst!.user, ['session', 'stop', '--all']);
    assert.equal(r.status, 0, show(r));
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  afterEach(async () => {
    if (inst !== undefined) await stopAll();
  });

  it('a second run reuses the session the first started, as the user and as root for the user; list shows it', async () => {
    const first = await run();
    const second = await run();
    assert.equal(second, first, 'the second corral run ran in the first one\'s session');
    // Root for the user: its own kept session (the key holds the caller's groups, which root's
    // setpriv'ed host takes from the group database), reused by the next sudo corral run.
    const rootFirst = await run([], true);
    assert.equal(await run([], true), rootFirst, 'sudo corral run (root for the user) reuses its session');
    const sessions = await list();
    assert.equal(sessions.length, 2, JSON.stringify(sessions));
    assert.deepEqual(sessions.map((s) => s.state), ['live', 'live']);
    assert.deepEqual(sessions.map((s) => s.id).sort(), [first, rootFirst].sort());
    assert.deepEqual(sessions.map((s) => s.commands), [2, 2]);
    // The host is a process of the real user, never root or the identity.
    const st = readFileSync(`/proc/${sessions[0]!.hostPid}/status`, 'utf8');
    assert.match(st, new RegExp(`^Uid:\\s+${inst!.user.uid}\\s+${inst!.user.uid}\\s+${inst!.user.uid}\\s+${inst!.user.uid}$`, 'm'));
    // Directory 0700, socket 0600, both the user's.
    const dir = lstatSync(sockDir());
    assert.equal(dir.mode & 0o777, 0o700);
    assert.equal(dir.uid, inst!.user.uid);
    const sock = lstatSync(sessions[0]!.socket);
    assert.ok(sock.isSocket());
    assert.equal(sock.mode & 0o777, 0o600);
    assert.equal(sock.uid, inst!.user.uid);
  });

  it('what a command leaves running dies when its corral run returns, as with a fresh session; the session stays', async () => {
    const first = await run();
    const marker = `sleep 600.${Date.now() % 100000}7`;
    const r = await inst!.corralAs(inst!.user, ['run', '--', 'sh', '-c', `setsid ${marker} </dev/null >/dev/null 2>&1 & echo left`]);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'left\n');
    assert.equal(await eventually(() => pgrep(marker).length === 0), true, `${marker} outlived its corral run: pids ${pgrep(marker).join(',')}`);
    assert.equal(await run(), first, 'the kept session is still the one reused');
  });

  it("each command gets its own caller's environment, filtered by the session's env policy", async () => {
    const cfgDir = userDir(inst!.user, path.join(inst!.user.home, '.config', inst!.instance), 0o755);
    const cfg = path.join(cfgDir, 'config.json');
    userFile(inst!.user, cfg, JSON.stringify({ env: { allow: ['CRT_*'] } }));
    try {
      const show1 = ['run', '--', 'sh', '-c', 'echo "${CRT_A:-unset} ${LANG:-unset} ${CRT_TOKEN:-unset} ${OTHER_VAR:-unset}"'];
      const a = await inst!.corralAs(inst!.user, show1, { env: { CRT_A: 'one', LANG: 'C.UTF-8', CRT_TOKEN: 'secret', OTHER_VAR: 'x' } });
      const b = await inst!.corralAs(inst!.user, show1, { env: { CRT_A: 'two', LANG: 'C' } });
      assert.equal(a.status, 0, show(a));
      assert.equal(a.stdout.toString(), 'one C.UTF-8 unset unset\n', 'allowed names pass, a secret-looking one and an unlisted one do not');
      assert.equal(b.stdout.toString(), 'two C unset unset\n', "the second run's own values, in the same session");
      assert.equal((await list()).filter((x) => x.state === 'live').length, 1, 'both in one kept session');
    } finally {
      rmSync(cfg, { force: true });
    }
  });

  it('--fresh never reuses and keeps nothing', async () => {
    const kept = await run();
    const fresh = await run(['--fresh']);
    assert.notEqual(fresh, kept);
    assert.equal(await run(), kept, 'the kept session is still the one reused');
    assert.equal((await list()).length, 1);
  });

  it('a change of the user config starts a new session; the old one stays until it idles out', async () => {
    const before = await run();
    const cfgDir = userDir(inst!.user, path.join(inst!.user.home, '.config', inst!.instance), 0o755);
    userFile(inst!.user, path.join(cfgDir, 'config.json'), JSON.stringify({ limits: { timeoutSec: 500 } }));
    try {
      const after = await run();
      assert.notEqual(after, before, 'a changed policy file gave a new session');
      assert.equal(await run(), after);
      const live = (await list()).filter((s) => s.state === 'live').map((s) => s.id);
      assert.deepEqual(live.sort(), [before, after].sort());
      // The same bytes written again are a new file (mtime, ctime): a new key, a new session.
      userFile(inst!.user, path.join(cfgDir, 'config.json'), JSON.stringify({ limits: { timeoutSec: 500 } }));
      assert.notEqual(await run(), after);
    } finally {
      rmSync(path.join(cfgDir, 'config.json'), { force: true });
    }
  });

  it('session.idleSec: a session idle longer than it ends; 0 keeps none', async () => {
    const cfgDir = userDir(inst!.user, path.join(inst!.user.home, '.config', inst!.instance), 0o755);
    const cfg = path.join(cfgDir, 'config.json');
    try {
      userFile(inst!.user, cfg, JSON.stringify({ session: { idleSec: 1 } }));
      const first = await run();
      assert.equal((await list()).length, 1);
      assert.equal(await eventually(() => !existsSync(sockDir()) || readdirSync(sockDir()).filter((n) => n.endsWith('.sock')).length === 0, 50, 100), true, 'the session ended after idleSec');
      assert.notEqual(await run(), first);
      userFile(inst!.user, cfg, JSON.stringify({ session: { idleSec: 0 } }));
      const a = await run();
      const b = await run();
      assert.notEqual(a, b, 'idleSec 0: each run has a session of its own');
      assert.equal(await until(async () => (await list()).length === 0), true, `idleSec 0 leaves no kept session: ${JSON.stringify(await list())}`);
    } finally {
      rmSync(cfg, { force: true });
    }
  });

  it('session stop ends it; kill -9 of the host leaves a stale socket the next run replaces', async () => {
    const first = await run();
    await stopAll();
    assert.equal((await list()).length, 0);
    const second = await run();
    assert.notEqual(second, first);
    const [s] = await list();
    execFileSync('kill', ['-KILL', String(s!.hostPid)]);
    assert.equal(await eventually(() => !alive(s!.hostPid!)), true);
    const stale = await list();
    assert.equal(stale.length, 1);
    assert.equal(stale[0]!.state, 'stale', 'the socket file of a killed host is left and found stale');
    const third = await run();
    assert.notEqual(third, second);
    const now = await list();
    assert.equal(now.length, 1);
    assert.equal(now[0]!.state, 'live');
    assert.equal(now[0]!.id, third);
  });

  it('a command running when its host is killed fails with a clear error, never a hang', async () => {
    await run();
    const [s] = await list();
    const pending = inst!.corralAs(inst!.user, ['run', '--', 'sh', '-c', 'echo started; exec sleep 60'], { killAfterMs: 60_000 });
    assert.equal(await until(async () => ((await list())[0] as { running?: number } | undefined)?.running === 1), true, 'the command started');
    execFileSync('kill', ['-KILL', String(s!.hostPid)]);
    const r = await pending;
    assert.equal(r.status, 1, show(r));
    assert.match(r.stderr, /the kept session ended while the command ran/);
    assert.match(r.stderr, /\[session_closed\]/);
  });

  it('corral setup ends reuse (even when it changes nothing)', async () => {
    const before = await run();
    const [s] = await list();
    const r = await inst!.corral(['setup', '--yes', '--user', inst!.user.name, '--workspace', inst!.workspace]);
    assert.equal(r.status, 0, show(r));
    assert.equal(await eventually(() => !alive(s!.hostPid!)), true, 'setup stopped the kept session');
    assert.notEqual(await run(), before);
  });

  it('refuses another real user and the sandbox identity by SO_PEERCRED, even with the socket opened to them', async () => {
    await run();
    const [s] = await list();
    const probe = (who: string): Promise<Result> =>
      runProgram('runuser', ['-u', who, '--', NODE, '-e', PROBE, s!.socket], { killAfterMs: 30_000 });
    // As they are: they cannot even reach it (the directory is the user's, 0700).
    for (const who of [other!.name, inst!.identity('offline').name]) {
      const r = await probe(who);
      assert.match(r.stdout.toString(), /^error EACCES/, `${who}: ${show(r)}`);
    }
    // Opened up (as if the file checks had failed): connected, and closed by the host without a word.
    const home = inst!.user.home;
    const opened = [home, `${home}/.local`, `${home}/.local/state`, `${home}/.local/state/corral`, path.dirname(sockDir()), sockDir()];
    const modes = opened.map((d) => statSync(d).mode & 0o777);
    try {
      for (const d of opened) chmodSync(d, 0o755);
      chmodSync(s!.socket, 0o666);
      for (const who of [other!.name, inst!.identity('offline').name]) {
        const r = await probe(who);
        assert.equal(r.stdout.toString().trim(), 'closed without hello', `${who}: ${show(r)}`);
      }
      // The owner's own client refuses the opened directory and socket: a fresh session, with the reason.
      const marker = `m-${hex(4)}`;
      const mine = await inst!.corralAs(inst!.user, ['run', '--', 'true', marker]);
      assert.equal(mine.status, 0, show(mine));
      assert.match(mine.stderr, /not reusing sessions: .* has mode 7?55/);
      assert.notEqual(sessionOf(marker), s!.id);
    } finally {
      opened.forEach((d, i) => chmodSync(d, modes[i]!));
      chmodSync(s!.socket, 0o600);
    }
    // The owner gets its hello.
    const own = await probe(inst!.user.name);
    assert.match(own.stdout.toString(), /^hello /, show(own));
  });

  it('a command in the session can neither find nor connect to the socket', async () => {
    await run();
    const [s] = await list();
    const script = `import socket, os, sys
p = sys.argv[1]
for d in [p, os.path.dirname(p)]:
    try:
        os.lstat(d); print('found', d)
    except OSError as e:
        print('lstat', e.errno)
try:
    c = socket.socket(socket.AF_UNIX); c.connect(p); print('connected')
except OSError as e:
    print('connect', e.errno)
`;
    const r = await inst!.corralAs(inst!.user, ['run', '--', 'python3', '-c', script, s!.socket]);
    assert.equal(r.status, 0, show(r));
    const out = r.stdout.toString();
    assert.doesNotMatch(out, /found|connected/, out);
    assert.match(out, /^connect \d+$/m, out);
    assert.equal((await list())[0]!.id, s!.id, 'the session is unharmed');
  });

  it('racing first runs end with one session, and every command runs', async () => {
    await stopAll();
    const markers = Array.from({ length: 6 }, () => `m-${hex(4)}`);
    const results = await Promise.all(markers.map((m) => inst!.corralAs(inst!.user, ['run', '--', 'true', m])));
    for (const r of results) assert.equal(r.status, 0, show(r));
    const ids = new Set(markers.map(sessionOf));
    const sessions = (await list()).filter((s) => s.state === 'live');
    assert.equal(sessions.length, 1, JSON.stringify(sessions));
    assert.deepEqual([...ids], [sessions[0]!.id], 'every racing run ran in the one session');
  });

  it('the fast client path (a live session) loads no commander, zod, listr2 or MCP SDK', async () => {
    await run();
    const trace = path.join('/tmp', `corral-trace-${hex(4)}.txt`);
    writeFileSync(trace, '');
    chmodSync(trace, 0o666);
    const tracer = `data:text/javascript,${encodeURIComponent(TRACER.replace('TRACE_FILE', JSON.stringify(trace)))}`;
    try {
      const r = await runProgram('runuser', ['-u', inst!.user.name, '--', NODE, '--import', tracer, inst!.cliPath, 'run', '--', 'sh', '-c', 'echo fast'], {
        cwd: inst!.workspace,
        env: { CORRAL_INSTANCE: inst!.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' },
      });
      assert.equal(r.status, 0, show(r));
      assert.equal(r.stdout.toString(), 'fast\n');
      const loaded = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      assert.ok(loaded.some((u) => u.includes('/session-host/remote.js')), `the trace saw the session-host client: ${loaded.length} modules`);
      for (const heavy of ['/node_modules/commander/', '/node_modules/zod/', '/node_modules/listr2/', '/node_modules/@modelcontextprotocol/', '/cli/program.js']) {
        assert.deepEqual(loaded.filter((u) => u.includes(heavy)), [], `${heavy} was loaded on the fast path`);
      }
    } finally {
      rmSync(trace, { force: true });
    }
  });

  // Last: it removes the installation (the after hook's teardown then has nothing left to do).
  it('corral teardown stops the kept sessions first (their runners are the identities\' processes) and succeeds', async () => {
    await run();
    const [s] = await list();
    const identity = inst!.identity('offline').name;
    const r = await inst!.corral(['teardown', '--yes']);
    assert.equal(r.status, 0, show(r));
    assert.equal(await eventually(() => !alive(s!.hostPid!)), true, 'teardown stopped the host');
    assert.equal(existsSync(s!.socket), false, 'and its socket is gone');
    assert.throws(() => execFileSync('id', [identity], { stdio: 'pipe' }), 'the identity was deleted');
  });
});

async function until(check: () => Promise<boolean>, attempts = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Connect to argv[1]; print `hello <id>`, `closed without hello`, or `error CODE`. */
const PROBE = `
const net = require('node:net');
const s = net.createConnection(process.argv[1]);
let buf = Buffer.alloc(0);
s.on('data', (c) => { buf = Buffer.concat([buf, c]); if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) { const m = JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0))); console.log('hello ' + m.session.id); s.destroy(); } });
let failed = false;
s.on('error', (e) => { failed = true; console.log('error ' + e.code); });
s.on('close', () => { if (buf.length === 0 && !failed) console.log('closed without hello'); });
`;

/** A module hook that writes every resolved URL to TRACE_FILE. */
const TRACER = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(\${JSON.stringify(TRACE_FILE)}, r.url + '\\\\n');
  return r;
}\`));
`;
