/**
 * The Linux tunnel relay (runner/linux/splice-relay.ts, splice(2) in a worker thread) under the
 * real filtering proxy, over real loopback sockets: large payloads both ways compared by
 * checksum at both ends, bytes sent before the hand-over (after the CONNECT, and an upstream
 * that speaks first), half-close from either side, a reset from either side, many tunnels at
 * once, SOCKS5, and the process exiting or being killed with tunnels open. The same half-close
 * and reset cases run against the stream relay (pipeRelay), which the other platforms use.
 * Every case also checks that the relay closed its descriptors (the process's fd count).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { compileRules } from '../../core/proxy/decision.js';
import { createFilteringProxy, pipeRelay, type TunnelRelay } from '../../core/proxy/server.js';
import { createSpliceRelay, type SpliceRelay } from '../../runner/linux/splice-relay.js';
import type { ClosedMessage } from '../../runner/linux/splice-worker.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fdCount = () => readdirSync('/proc/self/fd').length;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** Everything a socket receives until its end or close, and how it ended. */
function collect(s: net.Socket, from: Buffer = Buffer.alloc(0)): Promise<{ data: Buffer; ended: boolean; error: string | null }> {
  const chunks = [from];
  let ended = false;
  let error: string | null = null;
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => (ended = true));
  s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  return new Promise((resolve) => s.on('close', () => resolve({ data: Buffer.concat(chunks), ended, error })));
}

/** Open a CONNECT tunnel; `early` goes in the same write as the request. Resolves after the 200, with bytes that followed it. */
function tunnel(proxyPort: number, upPort: number, early = ''): Promise<{ s: net.Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true }, () => s.write(`CONNECT 127.0.0.1:${upPort} HTTP/1.1\r\nHost: x\r\n\r\n${early}`));
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.removeListener('data', onData);
      s.pause();
      if (!head.subarray(0, end).toString().startsWith('HTTP/1.1 200')) return reject(new Error(`proxy said ${head.toString()}`));
      resolve({ s, rest: head.subarray(end + 4) });
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

/** Write random data to `s` as fast as it takes it, until it closes. */
function flood(s: net.Socket): void {
  const chunk = randomBytes(256 << 10);
  const pump = () => {
    while (!s.destroyed && s.writable && s.write(chunk));
  };
  s.on('drain', pump);
  pump();
}

/** Resolves once the process holds at most `n` descriptors (sockets close a moment after their peers see it). */
async function fdsAtMost(n: number): Promise<void> {
  for (let i = 0; i < 100 && fdCount() > n; i++) await new Promise((res) => setTimeout(res, 10));
  assert.ok(fdCount() <= n, `descriptors left open: ${fdCount()} after, ${n} before`);
}

type Handler = (s: net.Socket) => void;

interface Rig {
  proxyPort: number;
  upPort: number;
  /** The next upstream connection is served by this. */
  serve(h: Handler): void;
  close(): Promise<void>;
}

async function rig(relay: TunnelRelay): Promise<Rig> {
  const handlers: Handler[] = [];
  let fallback: Handler = (s) => s.destroy();
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => (handlers.shift() ?? fallback)(s));
  const upPort = await listen(upstream);
  const proxy = createFilteringProxy({ rules: compileRules({ allow: [`127.0.0.1:${upPort}`], deny: [] }), onDecision: () => {}, tunnel: relay });
  const front = net.createServer((s) => proxy.handle(s));
  const proxyPort = await listen(front);
  return {
    proxyPort,
    upPort,
    serve: (h) => handlers.push(h),
    close: async () => {
      fallback = (s) => s.destroy();
      await Promise.all([new Promise((r) => upstream.close(r)), new Promise((r) => front.close(r))]);
    },
  };
}

const onLinux = process.platform === 'linux';

describe('splice tunnel relay (Linux)', function () {
  let relay: SpliceRelay;
  let r: Rig;
  let fds = 0;
  const closed: ClosedMessage[] = [];
  before(async function () {
    if (!onLinux) {
      console.log('      skipped: splice(2) and epoll are Linux system calls');
      this.skip();
    }
    relay = createSpliceRelay({ onFailure: (why) => assert.fail(why), onClosed: (c) => closed.push(c) });
    r = await rig(relay.relay);
    // The first tunnel starts the worker thread, whose own descriptors (its loop, epoll, eventfd) stay.
    r.serve((s) => s.end('warm'));
    const warm = await tunnel(r.proxyPort, r.upPort);
    warm.s.resume();
    warm.s.end();
    await collect(warm.s);
    await relay.idle();
  });
  after(async () => {
    await r?.close();
    await relay?.close();
  });
  beforeEach(() => {
    closed.length = 0;
    fds = fdCount();
  });
  afterEach(async () => {
    await relay.idle();
    await fdsAtMost(fds);
  });

  it('carries 32 MiB each way at once, the checksums equal at both ends', async () => {
    const up = randomBytes(32 << 20);
    const down = randomBytes(32 << 20);
    let serverGot: Promise<{ data: Buffer }> = Promise.resolve({ data: Buffer.alloc(0) });
    r.serve((s) => {
      serverGot = collect(s);
      s.end(down);
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    s.end(up);
    const client = await got;
    assert.equal(sha(client.data), sha(down));
    assert.equal(client.data.length, down.length);
    assert.equal(sha((await serverGot).data), sha(up));
    await relay.idle();
    assert.deepEqual(closed.map((c) => [c.bytes, c.error]), [[[up.length, down.length], null]]);
  });

  it('bytes sent with the CONNECT and bytes the upstream sends first arrive before everything else, in order', async () => {
    let serverGot: Promise<{ data: Buffer }> = Promise.resolve({ data: Buffer.alloc(0) });
    r.serve((s) => {
      s.write('banner;');
      serverGot = collect(s);
      s.once('data', () => s.end('after;'));
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort, 'early;');
    const got = collect(s, rest);
    s.resume();
    s.end('late;');
    assert.equal((await got).data.toString(), 'banner;after;');
    assert.equal((await serverGot).data.toString(), 'early;late;');
  });

  it('a client half-close reaches the upstream as end-of-stream, and the answer still comes back', async () => {
    const answer = randomBytes(4 << 20);
    r.serve((s) => {
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      // Answers only after the client's end: a relay that closed on a half-close loses this.
      s.on('end', () => setTimeout(() => s.end(Buffer.concat([Buffer.from(sha(Buffer.concat(parts))), answer])), 20));
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    const request = randomBytes(1 << 20);
    s.end(request);
    const client = await got;
    assert.equal(client.error, null);
    assert.equal(client.data.subarray(0, 64).toString(), sha(request));
    assert.equal(sha(client.data.subarray(64)), sha(answer));
  });

  it('a client that half-closes in the same breath as its CONNECT still gets the answer', async () => {
    r.serve((s) => {
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('end', () => s.end(`got ${Buffer.concat(parts).toString()}`));
    });
    const s = net.connect({ port: r.proxyPort, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(`CONNECT 127.0.0.1:${r.upPort} HTTP/1.1\r\n\r\nrequest`));
    const got = await collect(s);
    assert.match(got.data.toString(), /^HTTP\/1.1 200 [^]*\r\n\r\ngot request$/);
  });

  it('an upstream half-close reaches the client, which can still send', async () => {
    let serverGot: Promise<{ data: Buffer; ended: boolean }> = Promise.resolve({ data: Buffer.alloc(0), ended: false });
    r.serve((s) => {
      serverGot = collect(s);
      s.end('bye');
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    await new Promise((res) => s.once('end', res));
    const more = randomBytes(2 << 20);
    s.end(more);
    assert.equal((await got).data.toString(), 'bye');
    const server = await serverGot;
    assert.equal(sha(server.data), sha(more));
    assert.ok(server.ended);
  });

  it('a reset from the client mid-transfer closes the upstream side', async () => {
    let serverEnd: Promise<{ data: Buffer; error: string | null }> = Promise.resolve({ data: Buffer.alloc(0), error: null });
    r.serve((s) => {
      serverEnd = collect(s);
      flood(s);
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    await new Promise((res) => s.once('data', res));
    s.resetAndDestroy();
    await got;
    await serverEnd; // the upstream's socket closes (its writes fail): the test would time out otherwise
    await relay.idle();
    assert.notEqual(closed[0]?.error, null);
  });

  it('a reset from the upstream mid-transfer closes the client side', async () => {
    r.serve((s) => {
      s.once('data', () => setTimeout(() => s.resetAndDestroy(), 20));
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    flood(s);
    const client = await got;
    assert.equal(client.ended || client.error !== null, true);
    await relay.idle();
    assert.notEqual(closed[0]?.error, null);
  });

  it('a client that opens a tunnel and sends nothing holds only its own tunnel; others flow meanwhile', async () => {
    r.serve((s) => s.on('end', () => s.end()));
    const idle = await tunnel(r.proxyPort, r.upPort);
    try {
      r.serve((s) => s.end('ok'));
      const other = await tunnel(r.proxyPort, r.upPort);
      const got = collect(other.s, other.rest);
      other.s.resume();
      other.s.end();
      assert.equal((await got).data.toString(), 'ok');
      for (let i = 0; i < 100 && relay.openTunnels() > 1; i++) await new Promise((res) => setTimeout(res, 10));
      assert.equal(relay.openTunnels(), 1);
    } finally {
      idle.s.destroy();
    }
  });

  it('64 tunnels at once each carry 1 MiB each way intact', async () => {
    const n = 64;
    const results: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const up = randomBytes(1 << 20);
      const down = randomBytes(1 << 20);
      let serverGot: Promise<{ data: Buffer }> | null = null;
      const served = new Promise<void>((res) =>
        r.serve((s) => {
          serverGot = collect(s);
          s.end(down);
          res();
        }),
      );
      results.push(
        (async () => {
          const { s, rest } = await tunnel(r.proxyPort, r.upPort);
          const got = collect(s, rest);
          s.resume();
          s.end(up);
          assert.equal(sha((await got).data), sha(down));
          await served;
          assert.equal(sha((await serverGot!).data), sha(up));
        })(),
      );
    }
    await Promise.all(results);
    await relay.idle();
    assert.equal(closed.length, n);
    assert.ok(closed.every((c) => c.error === null));
  });

  it('SOCKS5 tunnels are relayed the same way', async () => {
    const down = randomBytes(8 << 20);
    r.serve((s) => s.end(down));
    const port = Buffer.alloc(2);
    port.writeUInt16BE(r.upPort);
    const s = net.connect({ port: r.proxyPort, host: '127.0.0.1', allowHalfOpen: true });
    s.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1]), port]));
    s.on('end', () => s.end());
    const got = await collect(s);
    // method reply (2 bytes) + request reply (10 bytes), then the payload
    assert.deepEqual([...got.data.subarray(0, 4)], [5, 0, 5, 0]);
    assert.equal(sha(got.data.subarray(12)), sha(down));
  });
});

describe('stream tunnel relay (pipeRelay): the same half-close and reset semantics', () => {
  let r: Rig;
  before(async () => (r = await rig(pipeRelay)));
  after(async () => r.close());

  it('a client half-close reaches the upstream as end-of-stream, and the answer still comes back', async () => {
    r.serve((s) => {
      s.resume();
      s.on('end', () => setTimeout(() => s.end('answer'), 20));
    });
    const { s, rest } = await tunnel(r.proxyPort, r.upPort);
    const got = collect(s, rest);
    s.resume();
    s.end('request');
    assert.equal((await got).data.toString(), 'answer');
  });
  it('a reset from the client closes the upstream side', async () => {
    let serverEnd: Promise<unknown> = Promise.resolve();
    r.serve((s) => {
      serverEnd = collect(s);
      flood(s);
    });
    const { s } = await tunnel(r.proxyPort, r.upPort);
    s.resume();
    await new Promise((res) => s.once('data', res));
    s.resetAndDestroy();
    await serverEnd;
  });
});

describe('splice tunnel relay: the proxy process ending closes its tunnels', function () {
  const script = String.raw`
    import net from 'node:net';
    const { compileRules } = await import(process.argv[1] + '/core/proxy/decision.js');
    const { createFilteringProxy } = await import(process.argv[1] + '/core/proxy/server.js');
    const { createSpliceRelay } = await import(process.argv[1] + '/runner/linux/splice-relay.js');
    const relay = createSpliceRelay({ onFailure: () => process.exit(1) });
    const proxy = createFilteringProxy({ rules: compileRules({ allow: ['127.0.0.1:' + process.argv[2]], deny: [] }), onDecision: () => {}, tunnel: relay.relay });
    const front = net.createServer((s) => proxy.handle(s)).listen(0, '127.0.0.1', () => console.log(front.address().port));
    process.stdin.on('data', () => process.exit(0));
  `;
  const dist = fileURLToPath(new URL('../..', import.meta.url));

  before(function () {
    if (!onLinux) {
      console.log('      skipped: splice(2) and epoll are Linux system calls');
      this.skip();
    }
  });

  for (const how of ['process.exit', 'SIGKILL'] as const) {
    it(`${how} with an open, busy tunnel closes both of its sockets`, async () => {
      let serverEnd: Promise<unknown> = Promise.resolve();
      const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
        serverEnd = collect(s);
        flood(s);
      });
      const upPort = await listen(upstream);
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, dist, String(upPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const exited = new Promise((res) => child.once('exit', res));
      try {
        const proxyPort = Number(await new Promise<string>((res) => child.stdout.once('data', (d: Buffer) => res(d.toString().trim()))));
        const { s, rest } = await tunnel(proxyPort, upPort);
        const got = collect(s, rest);
        s.on('end', () => s.end());
        s.resume();
        await new Promise((res) => s.once('data', res));
        if (how === 'SIGKILL') child.kill('SIGKILL');
        else child.stdin.write('exit\n');
        await exited; // process.exit returns although the relay's thread sits in epoll_wait
        await got;
        await serverEnd;
      } finally {
        child.kill('SIGKILL');
        upstream.close();
      }
    });
  }
});
