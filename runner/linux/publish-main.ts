/**
 * The forwarder of published ports (started by publish.ts, one per session that publishes).
 * It starts as root in the host's namespaces with the host listeners the runner bound as
 * descriptors 4 and up, takes its start message over the IPC channel, drops for good to the
 * real user (creds.ts: gid, uid, no groups, not dumpable; the online identity when the real
 * user is root), sets no_new_privs and asks to be killed when the runner dies, and only then
 * accepts.
 *
 * What it does, and nothing else: it accepts on the host listeners; it serves a connection
 * only when the connecting socket belongs to an allowed uid (the real user, root: peer-uid.ts),
 * else resets it unread; for a served one it asks the runner, over the channel, for a
 * connection to the same port inside the session, and splices the two when the runner passes
 * one back (SCM_RIGHTS). It never dials anything itself, so neither the session nor a host
 * client can make it connect anywhere; it never passes a host socket to the runner, so the
 * sandboxed side never holds one.
 *
 * The channel is hostile-adjacent (its other end is the runner, which runs as the sandbox
 * identity after its drop): messages are checked for shape and matched to a pending
 * connection; anything else is dropped. It exits when the channel closes, i.e. with the
 * session, and is killed if the runner dies first (PR_SET_PDEATHSIG).
 */
import net from 'node:net';
import { check, libcFunction } from '../../os/linux/libc.js';
import { dropTo, setNoNewPrivs } from './creds.js';
import { loopbackPeerUid } from './peer-uid.js';

export interface PublishStart {
  type: 'start';
  uid: number;
  gid: number;
  /** Uids whose connections are served. */
  peers: number[];
  /** The host listeners: descriptor, address and port. */
  listeners: { fd: number; address: string; port: number }[];
}

/** How long a host connection waits for the session side before it is reset. */
const PENDING_MS = 10_000;
const MAX_PENDING = 256;
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const prctl = libcFunction('int prctl(int option, ...)');

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function startMessage(m: Record<string, unknown>): PublishStart {
  const listeners = m.listeners;
  if (!isInt(m.uid) || !isInt(m.gid) || !Array.isArray(m.peers) || !m.peers.every(isInt) || !Array.isArray(listeners) || listeners.length === 0) throw new Error('bad start message');
  for (const l of listeners as Record<string, unknown>[]) {
    if (!isInt(l.fd) || l.fd < 4 || !isInt(l.port) || (l.address !== '127.0.0.1' && l.address !== '::1')) throw new Error('bad listener in start message');
  }
  return m as unknown as PublishStart;
}

/** Splice two sockets both ways; either one failing or closing ends both. */
function splice(host: net.Socket, inside: net.Socket): void {
  const end = () => {
    host.destroy();
    inside.destroy();
  };
  for (const s of [host, inside]) {
    s.on('error', end);
    s.on('close', end);
  }
  host.pipe(inside);
  inside.pipe(host);
  host.resume();
}

let started = false;
let nextId = 1;
const pending = new Map<number, { socket: net.Socket; timer: NodeJS.Timeout }>();

function take(id: unknown): net.Socket | null {
  if (!isInt(id)) return null;
  const entry = pending.get(id);
  if (entry === undefined) return null;
  pending.delete(id);
  clearTimeout(entry.timer);
  return entry.socket.destroyed ? null : entry.socket;
}

function serve(start: PublishStart): void {
  const peers = new Set(start.peers);
  for (const l of start.listeners) {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      const uid = loopbackPeerUid(peer, { address: l.address, port: l.port });
      // Another local user (or a connection whose owner cannot be told): reset, nothing read or forwarded.
      if (uid === null || !peers.has(uid) || pending.size >= MAX_PENDING || !process.connected) {
        socket.resetAndDestroy();
        return;
      }
      const id = nextId++;
      socket.on('error', () => socket.destroy());
      // The client gave up while the session side was being connected: forget it.
      socket.once('close', () => take(id));
      const timer = setTimeout(() => take(id)?.resetAndDestroy(), PENDING_MS);
      timer.unref();
      pending.set(id, { socket, timer });
      process.send?.({ type: 'open', id, port: l.port });
    });
    server.on('error', (err) => process.stderr.write(`corral forwarder: ${l.address}:${l.port}: ${err.message}\n`));
    server.listen({ fd: l.fd });
  }
}

process.on('message', (raw: unknown, handle: unknown) => {
  const m = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  try {
    if (!started) {
      if (m.type !== 'start') throw new Error('first message must be start');
      const start = startMessage(m);
      const ppid = process.ppid;
      dropTo({ uid: start.uid, gid: start.gid, groups: [] });
      setNoNewPrivs();
      // After the drop: a change of credentials clears the parent-death signal.
      check(prctl(PR_SET_PDEATHSIG, 'unsigned long', SIGKILL, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0), 'prctl(PR_SET_PDEATHSIG)');
      if (process.ppid !== ppid) process.exit(0); // the runner is already gone
      started = true;
      serve(start);
      process.send?.({ type: 'ready', pid: process.pid });
      return;
    }
    if (m.type === 'opened' && handle instanceof net.Socket) {
      const host = take(m.id);
      if (host === null) handle.destroy();
      else splice(host, handle);
    } else if (m.type === 'refused') {
      take(m.id)?.resetAndDestroy();
    } else if (handle instanceof net.Socket) {
      handle.destroy();
    }
  } catch (err) {
    process.stderr.write(`corral forwarder: ${(err as Error).message}\n`);
    process.exit(1);
  }
});
process.on('disconnect', () => process.exit(0));
