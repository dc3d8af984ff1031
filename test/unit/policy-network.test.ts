import assert from 'node:assert/strict';
import { validateLayer } from '../../orchestrator/policy/load.js';
import { resolvePolicy, type LayerSource } from '../../orchestrator/policy/resolve.js';
import { ctx, errorOf, layer } from '../helpers/policy-fixtures.js';
import { buildSessionRequest } from '../../orchestrator/session/request.js';
import { flagsLayer } from '../../orchestrator/cli/flags.js';

describe('policy: allowlist network', () => {
  it('resolves {allow, deny} with canonical entries and the layer of each', () => {
    const r = resolvePolicy(
      [
        layer('user', { network: { allow: ['Registry.NPMJS.org', '*.pypi.example'], deny: ['bad.pypi.example'] } }, '/home/alice/.config/corral/config.json'),
        layer('flags', { network: { deny: ['evil.pypi.example:443'] } }, 'command line'),
      ],
      ctx,
    );
    assert.deepEqual(r.policy.network, { allow: ['registry.npmjs.org', '*.pypi.example'], deny: ['bad.pypi.example', 'evil.pypi.example:443'] });
    assert.deepEqual(r.hostSources, [
      { list: 'allow', entry: 'registry.npmjs.org', from: '/home/alice/.config/corral/config.json' },
      { list: 'allow', entry: '*.pypi.example', from: '/home/alice/.config/corral/config.json' },
      { list: 'deny', entry: 'bad.pypi.example', from: '/home/alice/.config/corral/config.json' },
      { list: 'deny', entry: 'evil.pypi.example:443', from: 'command line' },
    ]);
    const request = buildSessionRequest('alice', '/home/alice/proj', r);
    assert.equal(request.network, 'offline', 'an allowlist session runs as the offline identity');
    assert.deepEqual(request.allowlist, r.policy.network);
  });

  it('--allow-host replaces the allow list below; deny entries are never removed; a string network replaces all', () => {
    const user = layer('user', { network: { allow: ['a.example'], deny: ['x.example'] } });
    const flags = layer('flags', flagsLayer({ allowHost: ['allowed.test'] }, '/'), 'command line');
    assert.deepEqual(resolvePolicy([user, flags], ctx).policy.network, { allow: ['allowed.test'], deny: ['x.example'] });
    assert.equal(resolvePolicy([user, layer('flags', { network: 'online' })], ctx).policy.network, 'online');
    assert.deepEqual(resolvePolicy([user, layer('flags', { network: 'offline' })], ctx).hostSources, []);
  });

  it('a deny-only layer on offline changes nothing, on online is an error', () => {
    assert.equal(resolvePolicy([layer('user', { network: { deny: ['a.example'] } })], ctx).policy.network, 'offline');
    assert.equal(errorOf(() => resolvePolicy([layer('user', { network: 'online' }), layer('flags', { network: { deny: ['a.example'] } })], ctx)).code, 'config_invalid');
  });

  it('the workspace layer may only narrow the allowlist', () => {
    const user = layer('user', { network: { allow: ['*.example.org', 'registry.example.com'] } });
    const ws = (data: LayerSource['data']) => () => resolvePolicy([user, layer('workspace', data, '/home/alice/proj/.corral/config.json')], ctx);
    assert.deepEqual(ws({ network: { allow: ['a.example.org:443'] } })().policy.network, { allow: ['a.example.org:443'], deny: [] });
    assert.deepEqual(ws({ network: { deny: ['registry.example.com'] } })().policy.network, {
      allow: ['*.example.org', 'registry.example.com'],
      deny: ['registry.example.com'],
    });
    assert.equal(ws({ network: 'offline' })().policy.network, 'offline');
    for (const widen of [{ network: { allow: ['evil.example'] } }, { network: { allow: ['example.org'] } }, { network: { allow: ['registry.example.com:22'] } }, { network: 'online' as const }]) {
      const err = errorOf(ws(widen));
      assert.equal(err.code, 'config_invalid', JSON.stringify(widen));
      assert.match(err.message, /^\/home\/alice\/proj\/\.corral\/config\.json: network/);
    }
    // offline below: an allowlist would open the network.
    assert.equal(errorOf(() => resolvePolicy([layer('workspace', { network: { allow: ['a.example'] } })], ctx)).code, 'config_invalid');
    // online below: any allowlist narrows it.
    assert.deepEqual(resolvePolicy([layer('user', { network: 'online' }), layer('workspace', { network: { allow: ['a.example'] } })], ctx).policy.network, {
      allow: ['a.example'],
      deny: [],
    });
  });

  it('a machine lock on network holds against an allowlist', () => {
    const machine = layer('machine', { network: 'offline', locked: ['network'] }, '/etc/corral/config.json');
    assert.equal(errorOf(() => resolvePolicy([machine, layer('flags', { network: { allow: ['a.example'] } }, 'command line')], ctx)).code, 'config_locked');
    const locked = layer('machine', { network: { allow: ['registry.example.com'] }, locked: ['network'] }, '/etc/corral/config.json');
    assert.equal(errorOf(() => resolvePolicy([locked, layer('user', { network: { allow: ['evil.example'] } })], ctx)).code, 'config_locked');
    assert.equal(errorOf(() => resolvePolicy([locked, layer('user', { network: { deny: ['x.example'] } })], ctx)).code, 'config_locked');
    assert.deepEqual(resolvePolicy([locked], ctx).policy.network, { allow: ['registry.example.com'], deny: [] });
  });

  it('validation names the file, the JSON path and the entry (exit 2)', () => {
    const err = errorOf(() => validateLayer({ network: { allow: ['ok.example', 'bad_host.example:99999'] } }, '/etc/corral/config.json'));
    assert.equal(err.code, 'config_invalid');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /^\/etc\/corral\/config\.json: \$\.network\.allow\[1\]: expected a host entry .*found "bad_host\.example:99999"$/);
    const unknown = errorOf(() => validateLayer({ network: { allow: [], hosts: [] } }, 'c.json'));
    assert.match(unknown.message, /^c\.json: \$\.network: expected no other keys, found unknown key hosts$/);
    const wifi = errorOf(() => validateLayer({ network: 'wifi' }, 'c.json'));
    assert.match(wifi.message, /^c\.json: \$\.network: expected one of "offline", "online" or \{ "allow": \[\.\.\.\], "deny": \[\.\.\.\] \}, found "wifi"$/);
  });

  it('refuses an allowlist together with host loopback ports, and --network with --allow-host', () => {
    assert.equal(errorOf(() => resolvePolicy([layer('user', { loopback: [5432], network: { allow: ['a.example'] } })], ctx)).code, 'config_invalid');
    assert.equal(errorOf(() => flagsLayer({ network: 'online', allowHost: ['a.example'] }, '/')).code, 'usage');
  });
});
