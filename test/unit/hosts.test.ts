import assert from 'node:assert/strict';
import {
  addressPermitted,
  decideHost,
  normalizeHost,
  parseHostRule,
  ruleCovered,
  splitHostPort,
  type Host,
  type HostRule,
  type HostRules,
} from '../../core/hosts.js';

function rule(text: string): HostRule {
  const r = parseHostRule(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.reason}`);
  return r.value;
}
function host(text: string): Host {
  const h = normalizeHost(text);
  assert.ok(h.ok, `${text}: ${h.ok ? '' : h.reason}`);
  return h.value;
}
const rules = (allow: string[], deny: string[] = []): HostRules => ({ allow: allow.map(rule), deny: deny.map(rule) });

describe('host rules (core/hosts.ts)', () => {
  it('parses the entry forms into canonical text, bare entries meaning 80 and 443', () => {
    const cases: [string, string, HostRule['kind'], readonly number[]][] = [
      ['Registry.Example.COM', 'registry.example.com', 'exact', [80, 443]],
      ['registry.example.com.', 'registry.example.com', 'exact', [80, 443]],
      ['*.packages.example.org', '*.packages.example.org', 'suffix', [80, 443]],
      ['git.example.net:443', 'git.example.net:443', 'exact', [443]],
      ['10.1.2.3', '10.1.2.3', 'ipv4', [80, 443]],
      ['10.1.2.3:8080', '10.1.2.3:8080', 'ipv4', [8080]],
      ['[2001:DB8:0:0::1]:8443', '[2001:db8::1]:8443', 'ipv6', [8443]],
      ['[::ffff:10.0.0.1]', '10.0.0.1', 'ipv4', [80, 443]],
    ];
    for (const [text, canonical, kind, ports] of cases) {
      const r = rule(text);
      assert.equal(r.text, canonical, text);
      assert.equal(r.kind, kind, text);
      assert.deepEqual(r.ports, ports, text);
    }
  });

  it('refuses malformed entries with a reason', () => {
    for (const bad of [
      '',
      'a..b',
      '-a.example',
      'a-.example',
      'under_score.example',
      'exa mple.com',
      'a.example:0',
      'a.example:65536',
      'a.example:08',
      'a.example:',
      '*.10.0.0.1',
      'a.*.example',
      '*',
      '::1',
      '[::1',
      '[::1]x',
      '[not-v6]',
      'x'.repeat(64) + '.example',
      ('a'.repeat(60) + '.').repeat(5) + 'example',
      'münchen.example',
      'evil.example\0.allowed.test',
      'allowed.test\r\n',
      '127.1',
      '0x7f000001',
      '2130706433',
      '010.0.0.1',
    ]) {
      const r = parseHostRule(bad);
      assert.equal(r.ok, false, `accepted ${JSON.stringify(bad)}`);
      if (!r.ok) assert.ok(r.reason.length > 0);
    }
  });

  it('normalises what a client asks for: case and one trailing dot, never more', () => {
    assert.deepEqual(host('ALLOWED.Test.'), { kind: 'name', value: 'allowed.test' });
    assert.deepEqual(host('[::1]'), { kind: 'ipv6', value: '::1' });
    assert.deepEqual(host('0:0:0:0:0:0:0:1'), { kind: 'ipv6', value: '::1' });
    assert.deepEqual(host('::ffff:127.0.0.1'), { kind: 'ipv4', value: '127.0.0.1' });
    for (const bad of ['allowed.test..', '.allowed.test', 'allowed.test\x00', 'allowed\x07.test', 'allowed.test\x7f', 'allowеd.test' /* Cyrillic е */]) {
      assert.equal(normalizeHost(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('splits host and port, refusing an unbracketed IPv6 with a port', () => {
    assert.deepEqual(splitHostPort('a.example:443'), { ok: true, value: { host: 'a.example', port: 443 } });
    assert.deepEqual(splitHostPort('[::1]:22'), { ok: true, value: { host: '[::1]', port: 22 } });
    assert.equal(splitHostPort('::1:22').ok, false);
  });

  it('decides: exact names, subdomains only for *., ports, deny wins, literals only when listed', () => {
    const r = rules(['registry.example.com', '*.packages.example.org', 'git.example.net:8443', '10.0.0.5:8080'], ['evil.packages.example.org']);
    const d = (h: string, port: number) => decideHost(r, host(h), port);
    assert.deepEqual(d('registry.example.com', 443), { allowed: true, rule: 'network.allow: registry.example.com' });
    assert.deepEqual(d('REGISTRY.example.com.', 80), { allowed: true, rule: 'network.allow: registry.example.com' });
    assert.equal(d('registry.example.com', 8080).allowed, false);
    assert.equal(d('registry.example.com', 8080).rule, 'port 8080 not in network.allow');
    assert.equal(d('sub.registry.example.com', 443).allowed, false);
    assert.equal(d('a.packages.example.org', 443).allowed, true);
    assert.equal(d('a.b.packages.example.org', 443).allowed, true);
    assert.equal(d('packages.example.org', 443).allowed, false, '*. means subdomains only');
    assert.equal(d('xpackages.example.org', 443).allowed, false);
    assert.deepEqual(d('EVIL.packages.example.org.', 443), { allowed: false, rule: 'network.deny: evil.packages.example.org' });
    assert.equal(d('git.example.net', 8443).allowed, true);
    assert.equal(d('git.example.net', 443).allowed, false);
    assert.equal(d('10.0.0.5', 8080).allowed, true);
    assert.deepEqual(d('10.0.0.6', 8080), { allowed: false, rule: 'IP literal not in network.allow' });
    assert.deepEqual(d('evil.example', 443), { allowed: false, rule: 'not in network.allow' });
    assert.equal(decideHost(rules([]), host('a.example'), 443).allowed, false, 'an empty allowlist admits nothing');
  });

  it('lets a listed name dial loopback or link-local only when that address is listed too', () => {
    const r = rules(['allowed.test:8080', '127.0.0.1:9000']);
    assert.equal(addressPermitted(r, host('10.203.1.2'), 8080).ok, true);
    for (const a of ['127.0.0.1', '127.8.9.1', '169.254.169.254', '0.0.0.0', '::1', 'fe80::1', '::ffff:127.0.0.1', '224.0.0.1']) {
      const p = addressPermitted(r, host(a), 8080);
      assert.equal(p.ok, false, a);
    }
    assert.equal(addressPermitted(r, host('127.0.0.1'), 9000).ok, true);
    assert.equal(addressPermitted(rules(['127.0.0.1:9000'], ['127.0.0.1:9000']), host('127.0.0.1'), 9000).ok, false, 'deny wins');
  });

  it('tells whether an entry narrows an allowlist (workspace layer)', () => {
    const broad = ['*.example.org', 'registry.example.com', 'git.example.net:443', '10.0.0.5'].map(rule);
    for (const yes of ['a.example.org', '*.a.example.org', '*.example.org:443', 'registry.example.com:443', 'git.example.net:443', '10.0.0.5:80']) {
      assert.equal(ruleCovered(broad, rule(yes)), true, yes);
    }
    for (const no of ['example.org', 'evil.example', 'registry.example.com:8080', 'git.example.net', '10.0.0.6', '*.com', 'a.example.org:22']) {
      assert.equal(ruleCovered(broad, rule(no)), false, no);
    }
  });
});
