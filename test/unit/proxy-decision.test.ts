/** The filtering proxy's parsing and decisions with hostile inputs (core/proxy/decision.ts, request-parse.ts). */
import assert from 'node:assert/strict';
import { chooseAddress, compileRules, decideTarget } from '../../core/proxy/decision.js';
import { parseAbsoluteHttpUrl, parseConnectAuthority, parseSocksGreeting, parseSocksRequest } from '../../core/proxy/request-parse.js';

const rules = compileRules({ allow: ['allowed.test', '*.pkg.test', 'git.test:8443', '10.9.9.9:8080', '[fd00::9]', '127.0.0.1:5000'], deny: ['bad.pkg.test'] });

describe('proxy decision', () => {
  it('admits listed names on their ports, by the rule that matched', () => {
    assert.deepEqual(
      { ...decideTarget(rules, 'allowed.test', 443), target: undefined },
      { allowed: true, host: 'allowed.test', port: 443, rule: 'network.allow: allowed.test', target: undefined },
    );
    assert.equal(decideTarget(rules, 'a.pkg.test', 80).rule, 'network.allow: *.pkg.test');
    assert.equal(decideTarget(rules, 'git.test', 8443).allowed, true);
  });
  it('decides on the normalised name: case and one trailing dot', () => {
    const d = decideTarget(rules, 'ALLOWED.Test.', 443);
    assert.equal(d.allowed, true);
    assert.equal(d.host, 'allowed.test');
    assert.equal(decideTarget(rules, 'allowed.test..', 443).allowed, false);
  });
  it('refuses a listed name on an unlisted port', () => {
    assert.deepEqual([decideTarget(rules, 'allowed.test', 8080).allowed, decideTarget(rules, 'allowed.test', 8080).rule], [false, 'port 8080 not in network.allow']);
    assert.equal(decideTarget(rules, 'git.test', 443).allowed, false);
  });
  it('deny wins over allow; the suffix does not admit its apex', () => {
    assert.equal(decideTarget(rules, 'bad.pkg.test', 443).rule, 'network.deny: bad.pkg.test');
    assert.equal(decideTarget(rules, 'pkg.test', 443).allowed, false);
    assert.equal(decideTarget(rules, 'evilpkg.test', 443).allowed, false);
  });
  for (const [raw, why] of [
    ['allowed.test\0.evil', /control/],
    ['allowed.test\r\nHost: x', /control/],
    ['allowed.test\x7f', /control/],
    ['allowed\u2024test', /ASCII/],
    ['ａllowed.test', /ASCII/],
    ['xn--allowed.test'.padStart(300, 'a'), /longer/],
    [`${'a'.repeat(64)}.test`, /label longer/],
    ['-allowed.test', /invalid label/],
    ['allowed_test', /invalid label/],
    ['allowed..test', /empty label/],
    ['', /empty/],
    ['.', /empty/],
    ['127.1', /numeric/],
    ['0x7f000001', /numeric/],
    ['2130706433', /numeric/],
    ['allowed.test%2e', /invalid label/],
  ] as const) {
    it(`refuses the host name ${JSON.stringify(raw).slice(0, 40)}`, () => {
      const d = decideTarget(rules, raw, 443);
      assert.equal(d.allowed, false);
      assert.match(d.rule, why);
      assert.doesNotMatch(d.host, /[^\x21-\x7e…]/, 'the shown host is printable');
    });
  }
  it('refuses unlisted IP literals and admits listed ones only on their port', () => {
    assert.equal(decideTarget(rules, '10.9.9.8', 8080).rule, 'IP literal not in network.allow');
    assert.equal(decideTarget(rules, '10.9.9.9', 8080).allowed, true);
    assert.equal(decideTarget(rules, '10.9.9.9', 443).allowed, false);
    assert.equal(decideTarget(rules, '[fd00:0::9]', 443).allowed, true);
    assert.equal(decideTarget(rules, '[::ffff:10.9.9.9]', 8080).allowed, true, 'mapped v6 is the v4 it stands for');
    assert.equal(decideTarget(rules, '[::ffff:127.0.0.1]', 443).allowed, false);
  });
  it('refuses bad ports', () => {
    for (const port of [0, -1, 65536, 1.5, NaN]) assert.equal(decideTarget(rules, 'allowed.test', port).allowed, false);
  });
  it('never dials a loopback or link-local answer for a name unless that address is listed', () => {
    assert.deepEqual(chooseAddress(rules, ['127.0.0.1'], 443), { ok: false, reason: 'resolves to a loopback address 127.0.0.1 not in network.allow' });
    assert.equal(chooseAddress(rules, ['169.254.169.254'], 80).ok, false);
    assert.equal(chooseAddress(rules, ['fe80::1'], 443).ok, false);
    assert.equal(chooseAddress(rules, ['::1'], 443).ok, false);
    assert.equal(chooseAddress(rules, ['0.0.0.0'], 443).ok, false);
    assert.deepEqual(chooseAddress(rules, ['127.0.0.1', '10.1.2.3'], 443), { ok: true, address: '10.1.2.3', family: 4 });
    assert.deepEqual(chooseAddress(rules, ['127.0.0.1'], 5000), { ok: true, address: '127.0.0.1', family: 4 });
    assert.equal(chooseAddress(rules, ['evil.example'], 443).ok, false, 'a resolver answer that is not an address');
    assert.equal(chooseAddress(rules, [], 443).ok, false);
  });
  it('compileRules refuses a bad entry instead of dropping it', () => {
    assert.throws(() => compileRules({ allow: ['a..b'], deny: [] }), /network\.allow/);
  });
});

describe('proxy request parsing', () => {
  it('CONNECT needs host:port', () => {
    assert.deepEqual(parseConnectAuthority('allowed.test:443'), { ok: true, value: { host: 'allowed.test', port: 443 } });
    assert.deepEqual(parseConnectAuthority('[fd00::9]:443'), { ok: true, value: { host: '[fd00::9]', port: 443 } });
    assert.equal(parseConnectAuthority('allowed.test').ok, false);
    assert.equal(parseConnectAuthority('allowed.test:0').ok, false);
    assert.equal(parseConnectAuthority('allowed.test:99999').ok, false);
    assert.equal(parseConnectAuthority('allowed.test:443:1').ok, false);
  });
  it('absolute http URLs: host cut out by hand, no decoding, no credentials', () => {
    assert.deepEqual(parseAbsoluteHttpUrl('http://allowed.test:8080/a?b'), { ok: true, value: { host: 'allowed.test', port: 8080, path: '/a?b' } });
    assert.deepEqual(parseAbsoluteHttpUrl('HTTP://allowed.test'), { ok: true, value: { host: 'allowed.test', port: 80, path: '/' } });
    assert.equal(parseAbsoluteHttpUrl('http://allowed.test@evil.example/').ok, false);
    assert.equal(parseAbsoluteHttpUrl('http://evil%2eexample/').ok, false);
    assert.equal(parseAbsoluteHttpUrl('https://allowed.test/').ok, false);
    assert.equal(parseAbsoluteHttpUrl('/relative').ok, false);
    const fw = parseAbsoluteHttpUrl('http://ｅvil.example/');
    assert.ok(fw.ok && decideTarget(rules, fw.value.host, 80).allowed === false, 'a full-width host is not IDNA-mapped to an allowed name');
  });
  it('SOCKS5: greeting, CONNECT with a domain (latin1: NUL reaches the decision), v4, v6; other commands refused', () => {
    assert.deepEqual(parseSocksGreeting(Buffer.from([5])), { ok: 'more' });
    assert.deepEqual(parseSocksGreeting(Buffer.from([5, 1, 0])), { ok: true, length: 3, method: 0 });
    assert.deepEqual(parseSocksGreeting(Buffer.from([5, 1, 2])), { ok: true, length: 3, method: 0xff });
    assert.equal(parseSocksGreeting(Buffer.from([4, 1, 0])).ok, false);
    const name = Buffer.from('allowed.test\0x', 'latin1');
    const req = Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([1, 187])]);
    const parsed = parseSocksRequest(req);
    assert.ok(parsed.ok === true);
    assert.equal(parsed.target.port, 443);
    assert.equal(decideTarget(rules, parsed.target.host, 443).allowed, false);
    assert.deepEqual(parseSocksRequest(req.subarray(0, req.length - 1)), { ok: 'more' });
    const v4 = parseSocksRequest(Buffer.from([5, 1, 0, 1, 10, 9, 9, 9, 0x1f, 0x90]));
    assert.ok(v4.ok === true && v4.target.host === '10.9.9.9' && v4.target.port === 8080);
    const v6 = parseSocksRequest(Buffer.from([5, 1, 0, 4, 0xfd, 0, ...Array(13).fill(0), 9, 1, 187]));
    assert.ok(v6.ok === true && decideTarget(rules, v6.target.host, 443).allowed);
    const bind = parseSocksRequest(Buffer.from([5, 2, 0, 1, 1, 2, 3, 4, 0, 80]));
    assert.ok(bind.ok === false && bind.reply === 7);
    const udp = parseSocksRequest(Buffer.from([5, 3, 0, 1, 1, 2, 3, 4, 0, 80]));
    assert.ok(udp.ok === false);
    const atyp = parseSocksRequest(Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80]));
    assert.ok(atyp.ok === false && atyp.reply === 8);
  });
});
