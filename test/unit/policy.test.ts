import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import { linuxInstallation } from '../../core/installation.js';
import { loadPolicy, validateLayer } from '../../orchestrator/policy/load.js';
import { resolvePolicy, type LayerSource, type ResolveContext } from '../../orchestrator/policy/resolve.js';

const ctx: ResolveContext = { platform: 'linux', installation: 'corral', home: '/home/alice', cwd: '/home/alice/proj', workspace: '/home/alice/proj' };
const layer = (kind: LayerSource['kind'], data: LayerSource['data'], label = `${kind}.json`): LayerSource => ({ kind, label, data });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CorralError, `expected a CorralError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

describe('policy resolution', () => {
  it('starts from the defaults, with ~ expanded and the workspace defaulting to cwd', () => {
    const r = resolvePolicy([], ctx);
    assert.equal(r.policy.mode, 'workspace-write');
    assert.equal(r.policy.network, 'offline');
    assert.equal(r.policy.loopback, 'private');
    assert.deepEqual(r.policy.workspaces, ['/home/alice/proj']);
    assert.ok(r.policy.denyRead.includes('/home/alice/.ssh'));
    assert.ok(r.policy.protected.includes('.git'));
    assert.deepEqual(r.sources.network, ['built-in defaults']);
    assert.match(r.digest, /^[0-9a-f]{16}$/);
  });

  it('lets later layers override scalars, and records where each value came from', () => {
    const r = resolvePolicy(
      [layer('machine', { network: 'online' }), layer('user', { network: 'offline', limits: { timeoutSec: 30 } }), layer('flags', { network: 'online' }, 'command line')],
      ctx,
    );
    assert.equal(r.policy.network, 'online');
    assert.deepEqual(r.sources.network, ['command line']);
    assert.equal(r.policy.limits.timeoutSec, 30);
    assert.equal(r.policy.limits.pids, 4096, 'limits merge key by key');
    assert.deepEqual(r.sources.limits, ['user.json']);
  });

  it('adds to protected and denyRead, never removes', () => {
    const r = resolvePolicy([layer('user', { protected: ['secrets', '/home/alice/proj/keep'], denyRead: ['~/.vault'] })], ctx);
    assert.ok(r.policy.protected.includes('.git'));
    assert.ok(r.policy.protected.includes('secrets'));
    assert.ok(r.policy.protected.includes('/home/alice/proj/keep'));
    assert.ok(r.policy.denyRead.includes('/home/alice/.ssh'));
    assert.ok(r.policy.denyRead.includes('/home/alice/.vault'));
    assert.deepEqual(r.sources.denyRead, ['built-in defaults', 'user.json']);
  });

  it('refuses to loosen a locked key, naming both files', () => {
    const machine = layer('machine', { network: 'offline', locked: ['network', 'mode'] }, '/etc/corral/config.json');
    assert.equal(codeOf(() => resolvePolicy([machine, layer('user', { network: 'online' }, '/home/alice/.config/corral/config.json')], ctx)), 'config_locked');
    assert.throws(
      () => resolvePolicy([machine, layer('flags', { mode: 'full-access' }, 'command line')], ctx),
      /command line: mode: locked by \/etc\/corral\/config.json to "workspace-write"; found "full-access"/,
    );
    // Setting a locked key to the locked value is fine.
    const r = resolvePolicy([machine, layer('user', { network: 'offline' })], ctx);
    assert.deepEqual(r.locked, ['network', 'mode']);
  });

  it('only lets the machine layer lock keys', () => {
    assert.equal(codeOf(() => resolvePolicy([layer('user', { locked: ['network'] })], ctx)), 'config_invalid');
  });

  it('lets a workspace config only tighten', () => {
    const ws = (data: LayerSource['data']) => () => resolvePolicy([layer('workspace', data)], ctx);
    for (const data of [
      { mode: 'full-access' as const },
      { network: 'online' as const },
      { writableRoots: ['/'] },
      { readRoots: ['~'] },
      { workspaces: ['/'] },
      { env: { allow: ['GITHUB_TOKEN'] } },
      { loopback: [5432] },
      { limits: { timeoutSec: 100000 } },
    ]) {
      assert.equal(codeOf(ws(data)), 'config_invalid', JSON.stringify(data));
    }
    const r = resolvePolicy([layer('workspace', { mode: 'read-only', protected: ['dist'], limits: { timeoutSec: 60 }, env: { set: { CI: '1' } } })], ctx);
    assert.equal(r.policy.mode, 'read-only');
    assert.equal(r.policy.limits.timeoutSec, 60);
    assert.ok(r.policy.protected.includes('dist'));
  });

  it('resolves relative paths only where there is a base', () => {
    const r = resolvePolicy([layer('workspace', { protected: ['sub/dir'] }), layer('flags', { workspaces: ['other'] })], ctx);
    assert.ok(r.policy.protected.includes('/home/alice/proj/sub/dir'));
    assert.deepEqual(r.policy.workspaces, ['/home/alice/proj/other']);
    assert.equal(codeOf(() => resolvePolicy([layer('user', { writableRoots: ['relative/dir'] })], ctx)), 'config_invalid');
  });

  it('gives the same digest for the same policy and another for another', () => {
    assert.equal(resolvePolicy([], ctx).digest, resolvePolicy([], ctx).digest);
    assert.notEqual(resolvePolicy([], ctx).digest, resolvePolicy([layer('user', { network: 'online' })], ctx).digest);
  });
});

describe('config validation messages', () => {
  const message = (data: unknown) => {
    try {
      validateLayer(data, '/etc/corral/config.json');
    } catch (err) {
      assert.ok(err instanceof CorralError);
      assert.equal(err.code, 'config_invalid');
      assert.equal(err.exitCode, 2);
      return err.message;
    }
    return assert.fail('expected an error');
  };

  it('names file, JSON path, expected and found', () => {
    assert.equal(message({ network: 'wifi' }), '/etc/corral/config.json: $.network: expected one of "offline", "online" or { "allow": [...], "deny": [...] }, found "wifi"');
    assert.equal(message({ limits: { timeoutSec: 'ten' } }), '/etc/corral/config.json: $.limits.timeoutSec: expected number, found "ten"');
    assert.equal(message({ writableRoots: ['/ok', 7] }), '/etc/corral/config.json: $.writableRoots[1]: expected string, found 7');
    assert.equal(message({ netwrk: 'offline' }), '/etc/corral/config.json: $: expected no other keys, found unknown key netwrk');
    assert.equal(message({ env: { allow: ['BAD NAME'] } }).startsWith('/etc/corral/config.json: $.env.allow[0]: expected a variable name'), true);
  });

  it('rejects a non-object', () => {
    assert.match(message([1, 2]), /\$: expected object, found \[1,2\]/);
  });
});

describe('loading layers from disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'corral-policy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const inst = () => ({ ...linuxInstallation('ptest'), machineConfigFile: path.join(dir, 'machine.json') });

  it('reads machine, user and workspace layers in order, and ignores missing files', () => {
    const ws = path.join(dir, 'ws');
    mkdirSync(path.join(ws, '.ptest'), { recursive: true });
    writeFileSync(path.join(dir, 'machine.json'), JSON.stringify({ limits: { pids: 100 }, locked: ['mode'] }));
    writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ network: 'online' }));
    writeFileSync(path.join(ws, '.ptest', 'config.json'), JSON.stringify({ limits: { pids: 50 } }));
    const r = loadPolicy({ installation: inst(), machineFileTrust: { firstUnsafe: () => null }, home: dir, cwd: ws, userConfigFile: path.join(dir, 'user.json') });
    assert.equal(r.policy.network, 'online');
    assert.equal(r.policy.limits.pids, 50);
    assert.deepEqual(r.sources.limits, [path.join(ws, '.ptest', 'config.json')]);
    assert.deepEqual(r.locked, ['mode']);

    const none = loadPolicy({ installation: inst(), machineFileTrust: { firstUnsafe: () => null }, home: dir, cwd: path.join(dir, 'nowhere'), userConfigFile: path.join(dir, 'absent.json') });
    assert.equal(none.policy.network, 'offline');
  });

  it('reports a JSON syntax error with the file', () => {
    writeFileSync(path.join(dir, 'machine.json'), '{ "network": ');
    assert.throws(
      () => loadPolicy({ installation: inst(), machineFileTrust: { firstUnsafe: () => null }, home: dir, cwd: dir, userConfigFile: path.join(dir, 'u.json') }),
      (err: unknown) => err instanceof CorralError && err.code === 'config_invalid' && err.message.startsWith(path.join(dir, 'machine.json')),
    );
  });

  it('validates flags like a file', () => {
    assert.throws(
      () => loadPolicy({ installation: inst(), machineFileTrust: { firstUnsafe: () => null }, home: dir, cwd: dir, userConfigFile: path.join(dir, 'u.json'), flags: { network: 'lan' } as never }),
      /command line: \$\.network: expected one of/,
    );
  });
});
