/** Reusable sessions, the pure parts: socket place checks, the key, the fast path's parser, the host's command line, the wire check, policy session.idleSec. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, utimesSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import { linuxInstallation } from '../../core/installation.js';
import { parentDirProblem, privateDirProblem, socketProblem, checkedSocketDir } from '../../orchestrator/session-host/paths.js';
import { layersEnvAllow, sessionKey, type KeyInputs } from '../../orchestrator/session-host/key.js';
import { parseRunArgs } from '../../orchestrator/cli/fast-run.js';
import { hostCommand } from '../../orchestrator/session-host/spawn.js';
import { checkToHost } from '../../orchestrator/session-host/wire.js';
import { resolvePolicy, type ResolveContext } from '../../orchestrator/policy/resolve.js';
import { validateLayer } from '../../orchestrator/policy/load.js';
import type { KeyedTarget } from '../../orchestrator/session-host/target.js';

const dirStat = (uid: number, mode: number, dir = true, link = false) => ({ uid, mode, isDirectory: () => dir, isSymbolicLink: () => link });

describe('session host: socket place checks (paths.ts)', () => {
  it('a private directory is a real directory of the user with no group or world bits', () => {
    assert.equal(privateDirProblem('/d', dirStat(1000, 0o40700), 1000), null);
    assert.match(privateDirProblem('/d', dirStat(1001, 0o40700), 1000)!, /owned by uid 1001/);
    assert.match(privateDirProblem('/d', dirStat(1000, 0o40750), 1000)!, /mode 750/);
    assert.match(privateDirProblem('/d', dirStat(1000, 0o40701), 1000)!, /mode 701/);
    assert.match(privateDirProblem('/d', dirStat(1000, 0o120777, false, true), 1000)!, /symbolic link/);
    assert.match(privateDirProblem('/d', dirStat(1000, 0o100600, false), 1000)!, /not a directory/);
  });

  it('a parent may be the user\'s or root\'s, never writable by others', () => {
    assert.equal(parentDirProblem('/p', dirStat(1000, 0o40755), 1000), null);
    assert.equal(parentDirProblem('/p', dirStat(0, 0o40755), 1000), null);
    assert.match(parentDirProblem('/p', dirStat(1001, 0o40755), 1000)!, /neither 1000 nor root/);
    assert.match(parentDirProblem('/p', dirStat(1000, 0o40775), 1000)!, /others may write/);
    assert.match(parentDirProblem('/p', dirStat(0, 0o41777), 1000)!, /others may write/);
  });

  it('a socket must be a socket of the user, 0600', () => {
    const sock = (uid: number, mode: number, isSocket = true) => ({ uid, mode, isSocket: () => isSocket });
    assert.equal(socketProblem('/s', sock(1000, 0o140600), 1000), null);
    assert.match(socketProblem('/s', sock(1000, 0o140666), 1000)!, /mode 666/);
    assert.match(socketProblem('/s', sock(0, 0o140600), 1000)!, /owned by uid 0/);
    assert.match(socketProblem('/s', sock(1000, 0o100600, false), 1000)!, /not a socket/);
  });

  it('checkedSocketDir makes the levels 0700 and refuses a level opened to others', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'corral-sh-'));
    try {
      const uid = process.getuid!();
      const env = { XDG_RUNTIME_DIR: undefined };
      // No /run/user/<uid> for a test uid is not guaranteed: use the home fallback only when it is the choice.
      const dir = checkedSocketDir({ uid, home }, 'ctestx', true, env)!;
      assert.ok(dir === path.join(home, '.local', 'state', 'corral', 'sessions', 'ctestx') || dir === `/run/user/${uid}/corral/ctestx`, dir);
      if (dir.startsWith(home)) {
        chmodSync(dir, 0o755);
        assert.throws(() => checkedSocketDir({ uid, home }, 'ctestx', false, env), (e: unknown) => e instanceof CorralError && e.code === 'session_unsafe' && /mode 755/.test(e.message));
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('session host: the key (key.ts)', () => {
  let root = '';
  let inputs: KeyInputs;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'corral-key-'));
    const home = path.join(root, 'home');
    const ws = path.join(home, 'ws');
    mkdirSync(ws, { recursive: true });
    inputs = { installation: linuxInstallation('ctestk'), user: { name: 'alice', uid: 1000, gid: 1000, home }, workspace: ws, flags: {}, env: {}, umask: 0o022, groups: [1000, 5] };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is the same for the same inputs, and 32 hex digits', () => {
    assert.match(sessionKey(inputs), /^[0-9a-f]{32}$/);
    assert.equal(sessionKey(inputs), sessionKey({ ...inputs, groups: [5, 1000] }));
  });

  it('changes with each flag that shapes the session, and not with the per-command ones', () => {
    const base = sessionKey(inputs);
    for (const flags of [{ network: 'online' }, { allowHost: ['a.example'] }, { denyHost: ['b.example'] }, { publish: ['3000'] }, { timeout: '5' }]) {
      assert.notEqual(sessionKey({ ...inputs, flags }), base, JSON.stringify(flags));
    }
    assert.equal(sessionKey({ ...inputs, flags: { cwd: 'sub', json: true } as never }), base);
    // --workspace counts by the canonical workspace it names (inputs.workspace), not by its spelling.
    assert.equal(sessionKey({ ...inputs, flags: { workspace: '.' } }), base);
  });

  it('changes with the user, the workspace, the umask, the groups and the instance', () => {
    const base = sessionKey(inputs);
    assert.notEqual(sessionKey({ ...inputs, user: { ...inputs.user, uid: 1001 } }), base);
    assert.notEqual(sessionKey({ ...inputs, workspace: path.join(inputs.user.home) }), base);
    assert.notEqual(sessionKey({ ...inputs, umask: 0o077 }), base);
    assert.notEqual(sessionKey({ ...inputs, groups: [1000] }), base);
    assert.notEqual(sessionKey({ ...inputs, groups: undefined }), base);
    assert.notEqual(sessionKey({ ...inputs, installation: linuxInstallation('ctestl') }), base);
  });

  it('changes when a layer file appears, changes, or is rewritten with the same bytes; and when a read root appears', () => {
    const base = sessionKey(inputs);
    const cfgDir = path.join(inputs.workspace, '.ctestk');
    mkdirSync(cfgDir);
    const file = path.join(cfgDir, 'config.json');
    writeFileSync(file, '{}');
    const withLayer = sessionKey(inputs);
    assert.notEqual(withLayer, base);
    writeFileSync(file, '{"network":"offline"}');
    const edited = sessionKey(inputs);
    assert.notEqual(edited, withLayer);
    utimesSync(file, new Date(0), new Date(0));
    assert.notEqual(sessionKey(inputs), edited, 'same bytes, new times');
    const before = sessionKey(inputs);
    mkdirSync(path.join(inputs.user.home, '.local', 'bin'), { recursive: true });
    assert.notEqual(sessionKey(inputs), before, '~/.local/bin appeared');
    const stable = sessionKey(inputs);
    writeFileSync(path.join(inputs.user.home, '.local', 'bin', 'tool'), '');
    assert.equal(sessionKey(inputs), stable, 'a file added inside a read root changes nothing');
  });
});

describe('session host: what of the environment a client sends (key.ts layersEnvAllow)', () => {
  it('the built-in allowlist and every env.allow of the layer files, read as data', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'corral-env-'));
    try {
      const home = path.join(root, 'home');
      const ws = path.join(home, 'ws');
      mkdirSync(path.join(home, '.config', 'ctestk'), { recursive: true });
      mkdirSync(path.join(ws, '.ctestk'), { recursive: true });
      writeFileSync(path.join(home, '.config', 'ctestk', 'config.json'), JSON.stringify({ env: { allow: ['MY_API_TOKEN', 'FOO_*'] } }));
      writeFileSync(path.join(ws, '.ctestk', 'config.json'), 'not json');
      const allow = layersEnvAllow(linuxInstallation('ctestk'), home, ws);
      for (const name of ['PATH', 'LANG', 'LC_*', 'MY_API_TOKEN', 'FOO_*']) assert.ok(allow.includes(name), name);
      assert.ok(!allow.includes('HOME'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('session host: the fast path parser (fast-run.ts parseRunArgs)', () => {
  it('reads the options commander reads, up to -- or the first operand', () => {
    assert.deepEqual(parseRunArgs(['--', 'ls', '-la']), { flags: {}, command: ['ls', '-la'] });
    assert.deepEqual(parseRunArgs(['ls', '-la']), { flags: {}, command: ['ls', '-la'] });
    assert.deepEqual(parseRunArgs(['--json', '--cwd', 'sub', '--timeout=5', '--', 'x']), { flags: { json: true, cwd: 'sub', timeout: '5' }, command: ['x'] });
    assert.deepEqual(parseRunArgs(['--allow-host', 'a', '--allow-host=b', '--publish', '3000', 'x', '--json']), {
      flags: { allowHost: ['a', 'b'], publish: ['3000'] },
      command: ['x', '--json'],
    });
    assert.deepEqual(parseRunArgs(['--fresh', '--quiet-violations', '--explain', 'x']), { flags: { fresh: true, quietViolations: true, explain: true }, command: ['x'] });
    assert.deepEqual(parseRunArgs(['--pty', 'x']), { flags: { pty: true }, command: ['x'] });
    assert.deepEqual(parseRunArgs(['--pty', '--no-pty', 'x']), { flags: { pty: false }, command: ['x'] });
  });

  it('answers null (the full CLI) for anything else', () => {
    for (const args of [[], ['--'], ['--help'], ['--pty=1', 'x'], ['-h', 'x'], ['--bogus', 'x'], ['--cwd'], ['--cwd', '--json', 'x'], ['--json=1', 'x'], ['-x', 'y']]) {
      assert.equal(parseRunArgs(args), null, JSON.stringify(args));
    }
  });
});

describe('session host: its command line (spawn.ts hostCommand)', () => {
  const target = { user: { name: 'alice', uid: 1000, gid: 1001, home: '/home/alice' } } as unknown as KeyedTarget;
  const spec = { key: 'k', flags: {}, cwd: '/w', spawnerUid: 0 };

  it('as the user: this node, the spec in one variable', () => {
    const c = hostCommand(target, spec, 1000, { PATH: '/bin', XDG_RUNTIME_DIR: '/run/user/1000' })!;
    assert.equal(c.file, process.execPath);
    assert.equal(c.env.XDG_RUNTIME_DIR, '/run/user/1000');
    assert.deepEqual(JSON.parse(Buffer.from(c.env.CORRAL_SESSION_HOST_SPEC!, 'base64').toString()), spec);
  });

  it('as root for the user: setpriv to the user, their groups and HOME, none of root\'s pointers', () => {
    const c = hostCommand(target, spec, 0, { PATH: '/bin', HOME: '/root', XDG_RUNTIME_DIR: '/run/user/0', GIT_CONFIG_GLOBAL: '/root/g', SUDO_USER: 'alice' });
    if (c === null) return; // no setpriv on this machine: reuse is off for root (acquire.ts)
    assert.match(c.file, /setpriv$/);
    assert.deepEqual(c.args.slice(0, 4), ['--reuid=1000', '--regid=1001', '--init-groups', '--']);
    assert.equal(c.env.HOME, '/home/alice');
    assert.equal(c.env.USER, 'alice');
    for (const gone of ['XDG_RUNTIME_DIR', 'GIT_CONFIG_GLOBAL', 'SUDO_USER']) assert.equal(c.env[gone], undefined, gone);
  });

  it('another user: none', () => {
    assert.equal(hostCommand(target, spec, 1002, {}), null);
  });
});

describe('session host: client frames are checked (wire.ts)', () => {
  it('accepts the known frames and refuses the rest', () => {
    assert.deepEqual(checkToHost({ type: 'run', key: 'k', argv: ['x'], cwd: '/w', env: { A: 'b' }, stdin: true }), { type: 'run', key: 'k', argv: ['x'], cwd: '/w', env: { A: 'b' }, stdin: true });
    assert.deepEqual(checkToHost({ type: 'stop', extra: 1 }), { type: 'stop' });
    for (const bad of [null, 1, { type: 'run', key: 'k', argv: [1], cwd: '/w', env: {}, stdin: true }, { type: 'run', key: 'k', argv: [], cwd: '/w', env: { A: 1 }, stdin: true }, { type: 'stdin' }, { type: 'nope' }]) {
      assert.throws(() => checkToHost(bad), TypeError, JSON.stringify(bad));
    }
  });
});

describe('policy session.idleSec', () => {
  const ctx: ResolveContext = { platform: 'linux', installation: 'corral', home: '/home/alice', cwd: '/home/alice/proj', workspace: '/home/alice/proj' };
  it('defaults to 0 (reuse opted into); the user layer sets it; the workspace layer may only lower it', () => {
    assert.equal(resolvePolicy([], ctx).policy.session.idleSec, 0);
    assert.equal(resolvePolicy([{ kind: 'user', label: 'u.json', data: { session: { idleSec: 600 } } }], ctx).policy.session.idleSec, 600);
    assert.equal(resolvePolicy([{ kind: 'user', label: 'u.json', data: { session: { idleSec: 600 } } }, { kind: 'workspace', label: 'w.json', data: { session: { idleSec: 60 } } }], ctx).policy.session.idleSec, 60);
    assert.throws(() => resolvePolicy([{ kind: 'workspace', label: 'w.json', data: { session: { idleSec: 60 } } }], ctx), /session\.idleSec/);
    assert.throws(() => resolvePolicy([{ kind: 'user', label: 'u.json', data: { session: { idleSec: 10 } } }, { kind: 'workspace', label: 'w.json', data: { session: { idleSec: 60 } } }], ctx), /session\.idleSec/);
  });

  it('the schema takes whole seconds >= 0 and no other key', () => {
    assert.doesNotThrow(() => validateLayer({ session: { idleSec: 0 } }, 'x.json'));
    for (const bad of [{ session: { idleSec: -1 } }, { session: { idleSec: 1.5 } }, { session: { other: 1 } }]) {
      assert.throws(() => validateLayer(bad, 'x.json'), (e: unknown) => e instanceof CorralError && e.code === 'config_invalid', JSON.stringify(bad));
    }
  });

  it('a machine lock holds it', () => {
    assert.throws(
      () => resolvePolicy([{ kind: 'machine', label: 'm.json', data: { session: { idleSec: 0 }, locked: ['session'] } }, { kind: 'user', label: 'u.json', data: { session: { idleSec: 60 } } }], ctx),
      (e: unknown) => e instanceof CorralError && e.code === 'config_locked',
    );
  });
});
