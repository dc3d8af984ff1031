/**
 * Published ports (issue 13 item 5), the pure parts: the `publish` key across layers (the
 * workspace layer refused, naming the file, the JSON path and why), the sessions it makes sense
 * for, the --publish flag, the runner's shape check and floor, and the /proc/net/tcp reading
 * of the forwarder's peer check against real sockets of this process.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseSessionRequest } from '../../core/request-shape.js';
import { applyFloor } from '../../core/policy/floor.js';
import { validateLayer } from '../../orchestrator/policy/load.js';
import { resolvePolicy } from '../../orchestrator/policy/resolve.js';
import { flagsLayer } from '../../orchestrator/cli/flags.js';
import { ownerInTable, procAddress } from '../../runner/linux/peer-uid.js';
import { ctx, errorOf, floorCtx, layer } from '../helpers/policy-fixtures.js';

describe('publish: policy', () => {
  it('is empty by default; the user and machine layers set it (a later layer replaces, duplicates go), and flags win', () => {
    assert.deepEqual(resolvePolicy([], ctx).policy.publish, []);
    const r = resolvePolicy([layer('machine', { publish: [8000] }), layer('user', { publish: [3000, 3000, 5173] }, '/home/alice/.config/corral/config.json')], ctx);
    assert.deepEqual(r.policy.publish, [3000, 5173]);
    assert.deepEqual(r.sources.publish, ['/home/alice/.config/corral/config.json']);
    const f = resolvePolicy([layer('user', { publish: [3000] }), layer('flags', { publish: [4000] }, 'command line')], ctx);
    assert.deepEqual(f.policy.publish, [4000]);
    assert.notEqual(f.digest, resolvePolicy([], ctx).digest, 'publish is part of the digest');
  });

  it('a workspace config may not publish, not even an empty list: config_invalid naming the file, $.publish and why', () => {
    for (const publish of [[3000], []]) {
      const e = errorOf(() => resolvePolicy([layer('workspace', { publish }, '/home/alice/proj/.corral/config.json')], ctx));
      assert.equal(e.code, 'config_invalid');
      assert.equal(e.exitCode, 2);
      assert.equal(e.details.file, '/home/alice/proj/.corral/config.json');
      assert.equal(e.details.path, '$.publish');
      assert.match(e.message, /^\/home\/alice\/proj\/\.corral\/config\.json: \$\.publish: a workspace config may not publish ports: it comes with the repository/);
    }
  });

  it('is refused for sessions without a network namespace of their own: online, host loopback ports, loopback deny', () => {
    for (const data of [{ network: 'online' as const }, { loopback: [5432] }, { loopback: 'deny' as const }]) {
      const e = errorOf(() => resolvePolicy([layer('user', { publish: [3000], ...data })], ctx));
      assert.equal(e.code, 'config_invalid', JSON.stringify(data));
      assert.match(e.message, /^publish \(from user\.json\): /);
    }
    // An allowlist session has its own namespace, with lo up even under loopback: deny.
    assert.deepEqual(resolvePolicy([layer('user', { publish: [3000], network: { allow: ['example.com'] }, loopback: 'deny' })], ctx).policy.publish, [3000]);
  });

  it('the schema takes unprivileged ports only, at most 16', () => {
    assert.deepEqual(validateLayer({ publish: [1024, 65535] }, 'u.json').publish, [1024, 65535]);
    for (const bad of [[80], [65536], [3000.5], ['3000'], Array.from({ length: 17 }, (_, i) => 3000 + i)]) {
      assert.equal(errorOf(() => validateLayer({ publish: bad }, 'u.json')).code, 'config_invalid', JSON.stringify(bad));
    }
  });

  it('--publish PORT (repeatable) is the flags layer; a value that is not a number is a usage error', () => {
    assert.deepEqual(flagsLayer({ publish: ['3000', '5173'] }, '/x').publish, [3000, 5173]);
    assert.equal(errorOf(() => flagsLayer({ publish: ['3000x'] }, '/x')).code, 'usage');
    assert.equal(errorOf(() => validateLayer(flagsLayer({ publish: ['80'] }, '/x'), 'command line')).code, 'config_invalid');
  });
});

describe('publish: the runner side of the request', () => {
  const request = (extra: Record<string, unknown>) => ({
    version: 1,
    realUser: 'alice',
    network: 'offline',
    mode: 'workspace-write',
    workspace: '/home/alice/proj',
    writableRoots: [],
    protected: [],
    denyRead: [],
    loopback: 'private',
    limits: { timeoutSec: 600, maxOutputBytes: 1024, pids: 64 },
    policyDigest: 'x',
    ...extra,
  });

  it('the shape check takes unprivileged ports, each once, in offline sessions only', () => {
    assert.deepEqual(parseSessionRequest(request({ publish: [3000] })).publish, [3000]);
    for (const bad of [{ publish: [22] }, { publish: [3000, 3000] }, { publish: ['3000'] }, { publish: [3000], network: 'online' }]) {
      assert.equal(errorOf(() => parseSessionRequest(request(bad))).code, 'request_invalid', JSON.stringify(bad));
    }
  });

  it('the floor enforces a machine lock on publish and puts the ports in the enforced digest', () => {
    const base = { mode: 'workspace-write' as const, network: 'offline' as const, loopback: 'private' as const, workspace: '/home/alice/proj', writableRoots: [], protected: [], denyRead: [], limits: { timeoutSec: 600, maxOutputBytes: 1024, pids: 64 } };
    const machine = { label: '/etc/corral/config.json', data: { publish: [8000], locked: ['publish' as const] } };
    assert.equal(errorOf(() => applyFloor({ ...base, publish: [3000] }, machine, floorCtx)).code, 'config_locked');
    assert.deepEqual(applyFloor({ ...base, publish: [8000] }, machine, floorCtx).publish, [8000]);
    const none = applyFloor(base, null, floorCtx);
    const some = applyFloor({ ...base, publish: [5173, 3000] }, null, floorCtx);
    assert.deepEqual(none.publish, []);
    assert.deepEqual(some.publish, [3000, 5173]);
    assert.notEqual(none.digest, some.digest);
  });
});

describe("publish: the forwarder's peer check reads the kernel's socket table", () => {
  it('spells addresses as /proc/net/tcp{,6} does', () => {
    assert.equal(procAddress('127.0.0.1', true), '0100007F');
    assert.equal(procAddress('127.0.0.1', false), '7F000001');
    assert.equal(procAddress('::1', true), '00000000000000000000000001000000');
    assert.equal(procAddress('fd00::2', true), '000000FD000000000000000002000000');
    assert.equal(procAddress('not an address'), null);
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`finds the owner of the connecting socket of a real loopback connection (${host}), and nothing for a 4-tuple that is not one`, async function () {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve)).catch((err: NodeJS.ErrnoException) => {
        if (host === '::1' && err.code === 'EADDRNOTAVAIL') this.skip(); // no IPv6 loopback on this machine
        throw err;
      });
      const port = (server.address() as net.AddressInfo).port;
      const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
      const client = net.connect(port, host);
      const socket = await accepted;
      try {
        const table = readFileSync(host === '::1' ? '/proc/net/tcp6' : '/proc/net/tcp', 'utf8');
        const peer = { address: socket.remoteAddress!, port: socket.remotePort! };
        const local = { address: socket.localAddress!, port: socket.localPort! };
        assert.equal(ownerInTable(table, peer, local), process.getuid!());
        // The accepted side is not the connecting socket: mirrored, it is not found as one.
        assert.equal(ownerInTable(table, local, { address: host, port: peer.port + 1 === 65536 ? 1 : peer.port + 1 }), null);
      } finally {
        client.destroy();
        socket.destroy();
        server.close();
      }
    });
  }
});
