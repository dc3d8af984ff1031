/**
 * The runner's policy floor (core/policy/floor.ts) and the rules it shares with the client:
 * a hand-made request never drops a default or machine protection, never changes a locked
 * key, never raises a machine limit, never writes the home; the env floor; the machine file
 * trust; the client's machine ceilings.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import { floorCtx } from '../helpers/policy-fixtures.js';
import { applyFloor, type FloorContext, type FloorRequest, type MachineLayer } from '../../core/policy/floor.js';
import { floorEnvironment } from '../../core/policy/env.js';
import { readMachineFile } from '../../core/policy/machine-file.js';
import { writableRootProblem } from '../../core/policy/writable-roots.js';
import { posixPaths } from '../../core/paths.js';
import { DEFAULT_HOME_BYTES } from '../../core/vocabulary.js';
import { linuxMachineFileIo, linuxMachineFileTrust } from '../../os/linux/machine-file.js';
import { resolvePolicy, type LayerSource } from '../../orchestrator/policy/resolve.js';

const ctx: FloorContext = floorCtx;

const bare = (over: Partial<FloorRequest> = {}): FloorRequest => ({
  mode: 'workspace-write',
  network: 'offline',
  loopback: 'private',
  workspace: '/home/alice/proj',
  writableRoots: [],
  protected: [],
  denyRead: [],
  limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 4096 },
  ...over,
});
const machine = (data: MachineLayer['data']): MachineLayer => ({ label: '/etc/corral/config.json', data });

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof CorralError ? err.code : `not a CorralError: ${String(err)}`;
  }
}

describe('policy floor (core/policy/floor.ts)', () => {
  it('adds the default protected names and denyRead paths (~ = the real home) to a request that omits them', () => {
    const p = applyFloor(bare(), null, ctx);
    assert.ok(p.protected.includes('.git'));
    assert.ok(p.protected.includes('.corral'));
    assert.ok(p.denyRead.includes('/home/alice/.ssh'));
    assert.ok(p.denyRead.includes('/home/alice/.aws'));
  });

  it('adds the machine layer protected and denyRead entries, expanding ~ with the real home only', () => {
    const p = applyFloor(bare({ denyRead: ['/elsewhere/x'] }), machine({ protected: ['.envrc', '~/proj/keep'], denyRead: ['~/corp', '/srv/secret'] }), ctx);
    for (const e of ['.envrc', '/home/alice/proj/keep']) assert.ok(p.protected.includes(e), e);
    for (const e of ['/home/alice/corp', '/srv/secret', '/elsewhere/x']) assert.ok(p.denyRead.includes(e), e);
  });

  it('refuses every locked key the request changes (config_locked) and accepts the machine value', () => {
    const m = machine({ network: 'offline', mode: 'read-only', loopback: 'deny', limits: { pids: 64 }, writableRoots: ['/srv/shared'], locked: ['network', 'mode', 'loopback', 'limits', 'writableRoots'] });
    const ok = bare({ mode: 'read-only', loopback: 'deny', writableRoots: ['/srv/shared'], limits: { timeoutSec: 600, maxOutputBytes: 64 * 1024 * 1024, pids: 64, memoryBytes: 1 << 30 } });
    assert.equal(codeOf(() => applyFloor(ok, m, ctx)), 'no error');
    assert.equal(codeOf(() => applyFloor({ ...ok, network: 'online' }, m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor({ ...ok, allowlist: { allow: ['example.com'], deny: [] } }, m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor({ ...ok, mode: 'workspace-write' }, m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor({ ...ok, loopback: [8080] }, m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor({ ...ok, writableRoots: ['/srv/other'] }, m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor({ ...ok, limits: { ...ok.limits, pids: 32 } }, m, ctx)), 'config_locked');
  });

  it('a locked allowlist network admits only the same lists (in canonical spelling)', () => {
    const m = machine({ network: { allow: ['Example.COM'] }, locked: ['network'] });
    assert.equal(codeOf(() => applyFloor(bare({ allowlist: { allow: ['example.com'], deny: [] } }), m, ctx)), 'no error');
    assert.equal(codeOf(() => applyFloor(bare(), m, ctx)), 'config_locked');
    assert.equal(codeOf(() => applyFloor(bare({ allowlist: { allow: ['example.com', 'evil.com'], deny: [] } }), m, ctx)), 'config_locked');
  });

  it('clamps limits to the machine ceilings (min of request and machine); unset machine limits are no ceiling', () => {
    const p = applyFloor(bare({ limits: { timeoutSec: 9999, maxOutputBytes: 10, pids: 100000 } }), machine({ limits: { timeoutSec: 5, pids: 32, memoryBytes: 1 << 28 } }), ctx);
    assert.deepEqual(p.limits, { timeoutSec: 5, maxOutputBytes: 10, pids: 32, memoryBytes: 1 << 28 });
    const lower = applyFloor(bare({ limits: { timeoutSec: 2, maxOutputBytes: 10, pids: 16 } }), machine({ limits: { timeoutSec: 5, pids: 32 } }), ctx);
    assert.equal(lower.limits.timeoutSec, 2);
    assert.equal(lower.limits.pids, 16);
    assert.equal(applyFloor(bare({ limits: { timeoutSec: 9999, maxOutputBytes: 10, pids: 100000 } }), null, ctx).limits.timeoutSec, 9999);
  });

  it('limits.homeBytes: min of the request and the machine ceiling; the machine value when the request has none; locked, only the same value', () => {
    const base = { timeoutSec: 600, maxOutputBytes: 10, pids: 64 };
    assert.equal(applyFloor(bare({ limits: { ...base, homeBytes: 2 ** 32 } }), machine({ limits: { homeBytes: 1 << 30 } }), ctx).limits.homeBytes, 1 << 30);
    assert.equal(applyFloor(bare({ limits: { ...base, homeBytes: 1 << 26 } }), machine({ limits: { homeBytes: 1 << 30 } }), ctx).limits.homeBytes, 1 << 26);
    assert.equal(applyFloor(bare({ limits: base }), machine({ limits: { homeBytes: 1 << 30 } }), ctx).limits.homeBytes, 1 << 30);
    assert.equal(applyFloor(bare({ limits: base }), null, ctx).limits.homeBytes, undefined);
    // Locked with no machine value: the documented default is the only value allowed.
    const locked = machine({ locked: ['limits'] });
    assert.equal(codeOf(() => applyFloor(bare({ limits: { ...base, timeoutSec: 600, maxOutputBytes: 64 * 1024 * 1024, pids: 4096, memoryBytes: ctx.defaultMemoryBytes, homeBytes: 1 << 30 } }), locked, ctx)), 'config_locked');
    assert.equal(applyFloor(bare({ limits: { timeoutSec: 600, maxOutputBytes: 64 * 1024 * 1024, pids: 4096, memoryBytes: ctx.defaultMemoryBytes } }), locked, ctx).limits.homeBytes, DEFAULT_HOME_BYTES);
  });

  it('refuses the home, an ancestor of it, its dot entries and a root inside a denyRead path as writable roots (not_permitted)', () => {
    for (const root of ['/home/alice', '/home', '/', '/home/alice/.config', '/home/alice/.local/share', '/home/alice/.ssh', '/home/alice/.ssh/keys']) {
      assert.equal(codeOf(() => applyFloor(bare({ writableRoots: [root] }), null, ctx)), 'not_permitted', root);
    }
    assert.equal(codeOf(() => applyFloor(bare({ workspace: '/home/alice' }), null, ctx)), 'not_permitted');
    assert.equal(codeOf(() => applyFloor(bare({ writableRoots: ['/srv/keys/x'] }), machine({ denyRead: ['/srv/keys'] }), ctx)), 'not_permitted');
    // a denyRead path inside a writable root is masked in place, not a reason to refuse
    assert.equal(codeOf(() => applyFloor(bare({ writableRoots: ['/srv/data'] }), machine({ denyRead: ['/srv/data/keys'] }), ctx)), 'no error');
    assert.equal(codeOf(() => applyFloor(bare({ writableRoots: ['/home/alice/src/.hidden-ok'] }), null, ctx)), 'no error');
    assert.equal(codeOf(() => applyFloor(bare({ writableRoots: ['/home/alice/src', '/tmp/x'] }), null, ctx)), 'no error');
    // read-only sessions write nothing, so nothing is refused or kept
    assert.deepEqual(applyFloor(bare({ mode: 'read-only', workspace: '/home/alice' }), null, ctx).writableRoots, []);
  });

  it('the writable-root rule is the one the client applies', () => {
    assert.match(writableRootProblem('/home', { home: '/home/alice', denyRead: [] }, posixPaths.within) ?? '', /contains the real user's home/);
    assert.equal(writableRootProblem('/home/alice/x', { home: '/home/alice', denyRead: ['/home/alice/.ssh'] }, posixPaths.within), null);
  });

  it('digests what it enforces: the same input gives the same digest, a machine change another', () => {
    const a = applyFloor(bare(), null, ctx).digest;
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(applyFloor(bare(), null, ctx).digest, a);
    assert.notEqual(applyFloor(bare(), machine({ denyRead: ['/srv/x'] }), ctx).digest, a);
  });

  it('env: unlocked keeps the client allow-list and set; locked is the machine allow/set exactly', () => {
    const un = applyFloor(bare({ env: { allow: ['MY_TOKEN'], set: { A: '1' } } }), machine({ env: { allow: ['CORP_*'] } }), ctx);
    assert.ok(un.env.allow.includes('MY_TOKEN') && un.env.allow.includes('CORP_*') && un.env.allow.includes('PATH'));
    assert.equal(un.env.locked, false);
    const lk = applyFloor(bare({ env: { allow: ['MY_TOKEN'], set: { A: '1' } } }), machine({ env: { allow: ['CORP_*'], set: { B: '2' } }, locked: ['env'] }), ctx);
    assert.equal(lk.env.locked, true);
    assert.ok(!lk.env.allow.includes('MY_TOKEN'));
    assert.deepEqual(lk.env.set, { B: '2' });
  });
});

describe('floorEnvironment (core/policy/env.ts)', () => {
  const src = { PATH: '/bin', GITHUB_TOKEN: 'g', MY_TOKEN: 'm', AWS_SECRET_ACCESS_KEY: 'a', PLAIN: 'p', CORP_X: 'c', B: 'client' };
  it('drops secret-looking names unless allowed by exact name; other names pass when unlocked', () => {
    const out = floorEnvironment(src, { allow: ['PATH', 'MY_TOKEN', 'AWS_*'], set: {}, locked: false });
    assert.deepEqual(Object.keys(out).sort(), ['B', 'CORP_X', 'MY_TOKEN', 'PATH', 'PLAIN']);
  });
  it('locked: only names the machine allow admits or set names, with set values winning', () => {
    const out = floorEnvironment(src, { allow: ['PATH', 'CORP_*'], set: { B: 'machine' }, locked: true });
    assert.deepEqual(out, { PATH: '/bin', CORP_X: 'c', B: 'machine' });
  });
});

describe('machine config file trust', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'corral-mfile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a machine config that root alone cannot change (config_invalid naming the culprit); none is null', () => {
    const file = path.join(dir, 'config.json');
    assert.equal(readMachineFile(file, linuxMachineFileIo, linuxMachineFileTrust), null);
    writeFileSync(file, '{}');
    chmodSync(file, 0o666);
    assert.throws(
      () => readMachineFile(file, linuxMachineFileIo, linuxMachineFileTrust),
      (err: unknown) => err instanceof CorralError && err.code === 'config_invalid' && /refusing the machine config/.test(err.message),
    );
    assert.deepEqual(readMachineFile(file, linuxMachineFileIo, { firstUnsafe: () => null }), {});
  });
});

describe('client: machine limits are ceilings', () => {
  const rctx = { platform: 'linux' as const, installation: 'corral', home: '/home/alice', cwd: '/home/alice/proj', workspace: '/home/alice/proj' };
  const l = (kind: LayerSource['kind'], data: LayerSource['data']): LayerSource => ({ kind, label: `${kind}.json`, data });
  it('a later layer may lower a machine limit, never raise it (config_locked naming the machine file)', () => {
    assert.equal(resolvePolicy([l('machine', { limits: { pids: 64 } }), l('user', { limits: { pids: 32 } })], rctx).policy.limits.pids, 32);
    assert.throws(
      () => resolvePolicy([l('machine', { limits: { pids: 64 } }), l('user', { limits: { pids: 128 } })], rctx),
      (err: unknown) => err instanceof CorralError && err.code === 'config_locked' && err.message.includes('machine.json'),
    );
    // a user raise of a default (no machine ceiling) stays allowed
    assert.equal(resolvePolicy([l('user', { limits: { timeoutSec: 7200 } })], rctx).policy.limits.timeoutSec, 7200);
  });
});
