/**
 * The session's constructed view, attacked for real (root, real runner process): a relay
 * listening on a world-connectable unix socket in the host's /tmp and /run, a key in the
 * caller's session keyring, a 0644 credential in the real user's home, a host process with a
 * secret in its argv, a SysV shared-memory segment, non-IP socket families. Each attack is
 * paired with a control showing the target is real and reachable from outside the session.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import koffi from 'koffi';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';

const PY = '/usr/bin/python3';

function listen(path: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end('RELAYED\n'));
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o777); // world-connectable, like the daemons' sockets the issue names
      resolve(server);
    });
  });
}

function connectFromHost(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const s = net.connect(path);
    s.on('data', (c) => (data += c.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

/** Python inside the session: connect to a unix socket path, print what came back or the errno name. */
const CONNECT_UNIX = `
import socket, sys, errno
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1]); print("CONNECTED", s.recv(100).decode().strip())
except OSError as e:
    print("REFUSED", errno.errorcode.get(e.errno, e.errno))
`;

describe('session view: host channels are not in the session (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;
  const tag = randomBytes(4).toString('hex');
  const relays: { path: string; server: net.Server }[] = [];
  let argvHolder: ChildProcess | undefined;
  const argvSecret = `CORRAL-ARGV-SECRET-${tag}`;
  const credential = `/root/.ctest-credential-${tag}`;
  let shmId = '';
  let keySerial = -1;

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: creates users, mounts, namespaces
    f = createRunnerFixture();
    for (const path of [`/tmp/ctest-relay-${tag}.sock`, `/run/ctest-relay-${tag}.sock`]) relays.push({ path, server: await listen(path) });
    // A host process of another user (root) with a secret in its argv.
    argvHolder = spawn('/bin/sh', ['-c', 'sleep 300', argvSecret], { stdio: 'ignore' });
    writeFileSync(credential, `[pypi]\npassword = CRED-${tag}\n`, { mode: 0o644 });
    shmId = execFileSync('ipcmk', ['-M', '4096', '-p', '0666'], { encoding: 'utf8' }).match(/(\d+)/)![1]!;
    // A key in the session keyring the runner inherits from us (as a sudo'd runner inherits the caller's).
    const lib = koffi.load('libc.so.6');
    const addKey = lib.func('long syscall(long nr, const char *type, const char *desc, const char *payload, size_t plen, int ring)');
    const payload = `KEY-${tag}`;
    keySerial = Number(addKey(248, 'user', `ctest-${tag}`, payload, payload.length, -3 /* KEY_SPEC_SESSION_KEYRING */));
    assert.ok(keySerial > 0, 'control: a key was added to the caller\'s session keyring');
    c = RunnerClient.start(f.request(), f.env);
    await c.hello();
  });
  after(async function () {
    if (c !== undefined) await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
    c?.killNow();
    for (const r of relays) {
      r.server.close();
      rmSync(r.path, { force: true });
    }
    argvHolder?.kill('SIGKILL');
    rmSync(credential, { force: true });
    if (shmId !== '') execFileSync('ipcrm', ['-m', shmId]);
    f?.cleanup();
  });

  const sh = (script: string) => c!.sh(script, { cwd: f!.workspace });

  it('cannot reach a relay on a world-connectable unix socket in the host\'s /tmp or /run', async function () {
    for (const { path } of relays) {
      assert.equal(await connectFromHost(path), 'RELAYED\n', `control: the relay at ${path} answers outside the session`);
      const r = await sh(`${PY} -c '${CONNECT_UNIX}' '${path}'`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^REFUSED ENOENT/, `${path}: ${r.out}`);
    }
  });

  it('keeps the host\'s /run out of view but for its listed entries, and no socket anywhere in it', async function () {
    const r = await sh('echo LIST; find /run /var/run/ -mindepth 1 2>/dev/null; echo SOCKETS; find /run /tmp /var/tmp /dev/shm -type s 2>/dev/null | wc -l');
    assert.equal(r.code, 0, r.err);
    const listing = r.out.slice(r.out.indexOf('LIST\n') + 5, r.out.indexOf('SOCKETS\n'));
    const sockets = r.out.slice(r.out.indexOf('SOCKETS\n') + 8);
    assert.doesNotMatch(listing, /dbus|systemd|ctest-relay|sudo|postgresql/, listing);
    assert.equal(sockets.trim(), '0');
  });

  it('its own unix sockets in its /tmp work (a test suite\'s own servers)', async function () {
    const r = await sh(`${PY} -c 'import socket,os; s=socket.socket(socket.AF_UNIX); s.bind("/tmp/own.sock"); s.listen(); c=socket.socket(socket.AF_UNIX); c.connect("/tmp/own.sock"); print("OWN-OK")'`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'OWN-OK');
  });

  it('cannot read the caller\'s keyring key, nor use kernel keyrings at all', async function () {
    const script = `
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(256)
n = libc.syscall(250, 11, ${keySerial}, buf, 256)  # KEYCTL_READ
print("READ", n, errno.errorcode.get(ctypes.get_errno(), "ok"), buf.value.decode(errors="replace"))
n = libc.syscall(248, b"user", b"planted", b"x", 1, -3)  # add_key to @s
print("ADD", n, errno.errorcode.get(ctypes.get_errno(), "ok"))
`;
    const r = await sh(`${PY} -c '${script}'`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^READ -1 EPERM/m, r.out);
    assert.doesNotMatch(r.out, /KEY-/);
    assert.match(r.out, /^ADD -1 EPERM/m, r.out);
  });

  it('cannot read a 0644 credential in the real user\'s home (the home is hidden, not denylisted)', async function () {
    const r = await sh(`cat '${credential}'; ls -A /root | wc -l`);
    assert.doesNotMatch(r.out, /CRED-/);
    assert.equal(r.out.trim().split('\n').pop(), '0', `the real user's home shows entries: ${r.out}`);
  });

  it('does not see host processes of other users in /proc (argv secrets stay hidden)', async function () {
    const pid = argvHolder!.pid!;
    // The secret is looked for in two halves joined at run time, so the probe's own argv never holds it.
    const probe = `
import os
needle = ${JSON.stringify(argvSecret.slice(0, 10))} + ${JSON.stringify(argvSecret.slice(10))}
pids = [p for p in os.listdir("/proc") if p.isdigit()]
hits = 0
for p in pids:
    try:
        hits += needle in open("/proc/%s/cmdline" % p).read()
    except OSError:
        pass
try:
    open("/proc/${pid}/cmdline").read(); print("HOLDER VISIBLE")
except OSError as e:
    print("HOLDER", e.errno)
print("HITS", hits)
print("PIDS", len(pids))
`;
    const r = await sh(`${PY} -c '${probe}'`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^HOLDER 2$/m, r.out);
    assert.match(r.out, /^HITS 0$/m, r.out);
    const listed = Number(/^PIDS (\d+)$/m.exec(r.out)?.[1]);
    assert.ok(listed < 50, `the session lists ${listed} processes`);
    assert.match(execFileSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' }), new RegExp(argvSecret), 'control: the host sees it');
  });

  it('has its own SysV IPC: the host\'s segment is not there, and its own does not reach the host', async function () {
    const r = await sh(`ipcs -m; ipcmk -M 4096 -p 0666`);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, new RegExp(`\\b${shmId}\\b\\s+\\S+\\s+666`), r.out);
    const own = r.out.match(/Shared memory id: (\d+)/)?.[1];
    assert.ok(own !== undefined, r.out);
    const hostList = execFileSync('ipcs', ['-m'], { encoding: 'utf8' });
    const ids = [...hostList.matchAll(/^0x[0-9a-f]+\s+(\d+)\s+(\S+)/gm)].filter((m) => m[2] !== 'root').map((m) => m[1]);
    assert.ok(!ids.includes(own), `the session's segment ${own} is on the host: ${hostList}`);
  });

  it('refuses non-IP socket families (AF_VSOCK, AF_PACKET, AF_BLUETOOTH, AF_ALG) and io_uring; IP and unix sockets work', async function () {
    const script = `
import socket, errno, ctypes
for name, fam in [("VSOCK", 40), ("PACKET", 17), ("BLUETOOTH", 31), ("ALG", 38), ("TIPC", 30)]:
    try:
        socket.socket(fam, socket.SOCK_DGRAM if fam != 38 else socket.SOCK_SEQPACKET).close(); print(name, "OPEN")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
for name, fam in [("INET", socket.AF_INET), ("INET6", socket.AF_INET6), ("UNIX", socket.AF_UNIX)]:
    socket.socket(fam, socket.SOCK_STREAM).close(); print(name, "OPEN")
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
print("IO_URING", libc.syscall(425, 8, params), errno.errorcode.get(ctypes.get_errno(), "ok"))
`;
    const r = await sh(`${PY} -c '${script}'`);
    assert.equal(r.code, 0, r.err);
    for (const name of ['VSOCK', 'PACKET', 'BLUETOOTH', 'ALG', 'TIPC']) assert.match(r.out, new RegExp(`^${name} EAFNOSUPPORT$`, 'm'), r.out);
    for (const name of ['INET', 'INET6', 'UNIX']) assert.match(r.out, new RegExp(`^${name} OPEN$`, 'm'), r.out);
    assert.match(r.out, /^IO_URING -1 ENOSYS$/m, r.out);
  });
});
