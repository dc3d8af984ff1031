/**
 * The filtering proxy over real loopback sockets: CONNECT, plain-HTTP forwarding and SOCKS5
 * against a real upstream server, with every decision recorded. Names resolve through a
 * stand-in resolver (the test's own table); the upstream listens on 127.0.0.1, so a name is
 * dialled there only when 127.0.0.1:<port> itself is listed (the loopback rule).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { compileRules } from '../../core/proxy/decision.js';
import { createFilteringProxy, type ProxyDecision } from '../../core/proxy/server.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** Write `data`, collect everything until the proxy closes or `until` matches. */
function exchange(port: number, data: Buffer | string, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (until?.test(got)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

describe('filtering proxy over real sockets', () => {
  const decisions: ProxyDecision[] = [];
  let upstream: http.Server;
  let front: net.Server;
  let upPort = 0;
  let proxyPort = 0;
  const hosts: Record<string, string[]> = {};

  before(async () => {
    upstream = http.createServer((req, res) => res.end(`upstream ${req.method} ${req.url} host=${req.headers.host} proxyauth=${req.headers['proxy-authorization'] ?? '-'}`));
    upPort = await listen(upstream);
    hosts['up.test'] = ['127.0.0.1'];
    hosts['lo.test'] = ['127.0.0.1'];
    const rules = compileRules({ allow: [`up.test:${upPort}`, `lo.test:${upPort + 1}`, `127.0.0.1:${upPort}`, 'gone.test:1'], deny: [] });
    const proxy = createFilteringProxy({
      rules,
      onDecision: (d) => decisions.push(d),
      resolve: async (name) => {
        const a = hosts[name];
        if (a === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        return a;
      },
    });
    front = net.createServer((s) => proxy.handle(s));
    proxyPort = await listen(front);
  });
  after(() => {
    upstream.close();
    front.close();
  });
  beforeEach(() => (decisions.length = 0));

  it('CONNECT to a listed name tunnels bytes to the address it resolved', async () => {
    const got = await exchange(proxyPort, `CONNECT UP.test.:${upPort} HTTP/1.1\r\nHost: x\r\n\r\nGET /t HTTP/1.1\r\nHost: up.test\r\nConnection: close\r\n\r\n`, /upstream GET \/t/);
    assert.match(got, /^HTTP\/1.1 200 /);
    assert.deepEqual(decisions.map((d) => [d.via, d.host, d.port, d.allowed, d.rule, d.address]), [['connect', 'up.test', upPort, true, `network.allow: up.test:${upPort}`, '127.0.0.1']]);
  });
  it('CONNECT to an unlisted name or port is refused with the reason', async () => {
    const got = await exchange(proxyPort, 'CONNECT evil.example:443 HTTP/1.1\r\n\r\n');
    assert.match(got, /^HTTP\/1.1 403 [^]*corral: blocked connection to evil.example:443 \(not in network.allow\)/);
    const port = await exchange(proxyPort, 'CONNECT up.test:443 HTTP/1.1\r\n\r\n');
    assert.match(port, /port 443 not in network.allow/);
    assert.deepEqual(decisions.map((d) => d.allowed), [false, false]);
  });
  it('a listed name that resolves to loopback is refused unless that address is listed', async () => {
    const got = await exchange(proxyPort, `CONNECT lo.test:${upPort + 1} HTTP/1.1\r\n\r\n`);
    assert.match(got, /403[^]*resolves to a loopback address 127.0.0.1/);
  });
  it('plain HTTP is forwarded with the Host set to the admitted authority, proxy headers dropped', async () => {
    const got = await exchange(proxyPort, `GET http://up.test:${upPort}/p?q HTTP/1.1\r\nHost: evil.example\r\nProxy-Authorization: secret\r\n\r\n`);
    assert.match(got, /^HTTP\/1.1 200 [^]*connection: close/i);
    assert.match(got, new RegExp(`upstream GET /p\\?q host=up.test:${upPort} proxyauth=-`));
    assert.deepEqual(decisions.map((d) => [d.via, d.allowed]), [['http', true]]);
  });
  it('plain HTTP to an unlisted host, an origin-form request and a control byte are refused', async () => {
    assert.match(await exchange(proxyPort, 'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n'), /^HTTP\/1.1 403 [^]*evil.example:80 \(not in network.allow\)/);
    assert.match(await exchange(proxyPort, 'GET / HTTP/1.1\r\nHost: up.test\r\n\r\n'), /^HTTP\/1.1 400 /);
    assert.match(await exchange(proxyPort, `CONNECT up.test\x01:${upPort} HTTP/1.1\r\n\r\n`), /^HTTP\/1.1 40[03] /);
  });
  it('SOCKS5 with remote resolution reaches a listed name; an unlisted IP literal and a NUL name are refused', async () => {
    const name = Buffer.from('up.test');
    const port = Buffer.alloc(2);
    port.writeUInt16BE(upPort);
    const req = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, port, Buffer.from('GET /s HTTP/1.1\r\nHost: up.test\r\nConnection: close\r\n\r\n')]);
    const got = Buffer.from(await exchange(proxyPort, req, /upstream GET \/s/), 'latin1');
    assert.deepEqual([...got.subarray(0, 4)], [5, 0, 5, 0]);
    const v4 = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 10, 1, 2, 3]), port]);
    assert.deepEqual([...Buffer.from(await exchange(proxyPort, v4), 'latin1').subarray(0, 4)], [5, 0, 5, 2]);
    const nul = Buffer.from('up.test\0');
    const n = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, nul.length]), nul, port]);
    assert.deepEqual([...Buffer.from(await exchange(proxyPort, n), 'latin1').subarray(0, 4)], [5, 0, 5, 2]);
    assert.deepEqual(decisions.map((d) => [d.via, d.allowed]), [['socks5', true], ['socks5', false], ['socks5', false]]);
    assert.match(decisions[2]!.rule, /control bytes/);
    assert.equal(decisions[2]!.host, 'up.test\\x00');
  });
  it('a listed IP literal is admitted on its port', async () => {
    const got = await exchange(proxyPort, `CONNECT 127.0.0.1:${upPort} HTTP/1.1\r\n\r\n`, /200/);
    assert.match(got, /^HTTP\/1.1 200 /);
  });
  it('an admitted name that does not resolve is refused, and a refused upstream is a 502', async () => {
    assert.match(await exchange(proxyPort, 'CONNECT gone.test:1 HTTP/1.1\r\n\r\n'), /403[^]*did not resolve \(ENOTFOUND\)/);
  });
});

describe('filtering proxy: a client that never finishes its request', () => {
  let upstream: net.Server;
  let front: net.Server;
  let upPort = 0;
  let proxyPort = 0;
  before(async () => {
    upstream = net.createServer((s) => s.on('data', () => s.write('pong')));
    upPort = await listen(upstream);
    const proxy = createFilteringProxy({ rules: compileRules({ allow: [`127.0.0.1:${upPort}`], deny: [] }), onDecision: () => {}, handshakeTimeoutMs: 300 });
    front = net.createServer((s) => proxy.handle(s));
    proxyPort = await listen(front);
  });
  after(() => {
    upstream.close();
    front.close();
  });

  /** Sends `parts` one by one, `gapMs` apart; resolves with what came back and whether the proxy closed before the last part. */
  function trickle(parts: (string | Buffer)[], gapMs: number): Promise<{ got: string; closedEarly: boolean }> {
    return new Promise((resolve) => {
      const s = net.connect(proxyPort, '127.0.0.1');
      let got = '';
      let sent = 0;
      let closed = false;
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => {
        closed = true;
        resolve({ got, closedEarly: sent < parts.length });
      });
      const next = () => {
        if (closed) return;
        if (sent === parts.length) return setTimeout(() => s.destroy(), 100);
        s.write(parts[sent++]!);
        setTimeout(next, gapMs);
      };
      s.on('connect', next);
    });
  }

  it('a CONNECT head trickled past the deadline is closed, no tunnel opened', async () => {
    const r = await trickle(['CONN', 'ECT 127', '.0.0.1:', `${upPort} HTTP/1.1\r\n`, '\r\n'], 150);
    assert.equal(r.closedEarly, true);
    assert.equal(r.got, '');
  });
  it('a SOCKS5 greeting left unfinished is closed', async () => {
    const r = await trickle([Buffer.from([5]), Buffer.from([1]), Buffer.from([0])], 250);
    assert.equal(r.closedEarly, true);
  });
  it('an established tunnel idle past the deadline is not closed', async () => {
    const r = await trickle([`CONNECT 127.0.0.1:${upPort} HTTP/1.1\r\n\r\n`, 'ping'], 600);
    assert.equal(r.closedEarly, false);
    assert.match(r.got, /^HTTP\/1.1 200 [^]*\r\n\r\npong$/);
  });
});
