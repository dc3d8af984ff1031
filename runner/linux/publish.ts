/**
 * Published ports (dev servers), Linux: the host's 127.0.0.1:PORT and [::1]:PORT forwarded to
 * 127.0.0.1:PORT inside the session's own network namespace, so that the developer can open
 * what the agent started. The other way round from `loopback: [ports]`.
 *
 *  - publishPorts (root, in the host's namespaces, before the runner unshares its own): binds
 *    the host listeners synchronously (listen-socket.ts; a port in use is port_in_use, and the
 *    session does not start), starts the forwarder (publish-main.ts) with them as its
 *    descriptors 4 and up, and closes the runner's copies: from then on only the forwarder,
 *    dropped to the real user, holds a socket in the host's network namespace.
 *  - serveSession (after the runner has unshared the network namespace and brought `lo` up):
 *    for each connection the forwarder accepted and admitted, it asks over the IPC channel for
 *    one inside; the runner connects to 127.0.0.1:PORT (then [::1]:PORT) in the session's
 *    namespace and passes that socket back, unread, closing its own copy.
 *
 * Threat model. The session (every command, and the runner once dropped) lives in a network
 * namespace with only `lo`: it cannot reach the host listeners at all, and the forwarder never
 * dials — its only outbound sockets are the ones the runner connected inside — so the session
 * cannot turn it into a way to any host address. The port is chosen by the forwarder's own
 * listener, and the runner connects only to its own list of ports. Who may connect on the host
 * side: the forwarder serves connections whose socket belongs to the real user or root
 * (peer-uid.ts) and resets the rest unread (SECURITY.md).
 *
 * Lifetime: the forwarder is the runner's child and in the session's cgroup; it exits when the
 * IPC channel closes (close(), or the runner's death) and is killed by PR_SET_PDEATHSIG if the
 * runner dies first; the listeners close with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { closeSocket, listenOnLoopback, type LoopbackAddress } from './listen-socket.js';
import type { PublishStart } from './publish-main.js';

/** The first descriptor of the listeners in the forwarder (0–2 stdio, 3 the IPC channel). */
const FIRST_FD = 4;

export interface PublishedPorts {
  /** The host addresses listened on: `127.0.0.1:3000`, `[::1]:3000`. */
  addresses: string[];
  serveSession(warn: (text: string) => void): void;
  close(): void;
}

export function shownAddress(address: LoopbackAddress, port: number): string {
  return address === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`;
}

/**
 * Bind the host listeners and start the forwarder, which runs as `owner` and serves the uids in
 * `peers`. Throws port_in_use (nothing left open) when a port is taken.
 */
export function publishPorts(ports: readonly number[], owner: { uid: number; gid: number }, peers: readonly number[]): PublishedPorts {
  const bound: { fd: number; address: LoopbackAddress; port: number }[] = [];
  try {
    for (const port of ports) {
      for (const address of ['127.0.0.1', '::1'] as const) {
        const fd = listenOnLoopback(address, port);
        if (fd !== null) bound.push({ fd, address, port });
      }
    }
  } catch (err) {
    for (const b of bound) closeSocket(b.fd);
    throw err;
  }
  const main = fileURLToPath(new URL('./publish-main.js', import.meta.url));
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [main], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc', ...bound.map((b) => b.fd)],
      env: {},
      cwd: '/',
      serialization: 'json',
    });
  } finally {
    // The child has its copies (spawn returns after exec); the runner keeps none.
    for (const b of bound) closeSocket(b.fd);
  }
  const start: PublishStart = {
    type: 'start',
    uid: owner.uid,
    gid: owner.gid,
    peers: [...peers],
    listeners: bound.map((b, i) => ({ fd: FIRST_FD + i, address: b.address, port: b.port })),
  };
  child.send(start);
  let gone: string | null = null;
  child.on('exit', (code, signal) => {
    gone = signal === null ? `exit ${code}` : `killed by ${signal}`;
  });
  child.on('error', (err) => {
    gone = err.message;
  });
  child.unref();
  child.channel?.unref();
  const allowed = new Set(ports);
  let closing = false;

  return {
    addresses: bound.map((b) => shownAddress(b.address, b.port)),
    serveSession(warn) {
      child.on('exit', () => {
        if (!closing) warn(`the forwarder of published ports is gone (${gone ?? 'exited'}); ${bound.map((b) => shownAddress(b.address, b.port)).join(', ')} are closed`);
      });
      child.on('message', (m: { type?: unknown; id?: unknown; port?: unknown }) => {
        if (m.type !== 'open' || typeof m.id !== 'number' || typeof m.port !== 'number' || !allowed.has(m.port)) return;
        const id = m.id;
        connectInside(m.port, (socket) => {
          if (socket === null || !child.connected) {
            socket?.destroy();
            if (child.connected) child.send({ type: 'refused', id });
            return;
          }
          child.send({ type: 'opened', id }, socket, { keepOpen: false }, (err) => {
            if (err !== null) socket.destroy();
          });
        });
      });
    },
    close() {
      closing = true;
      if (child.connected) child.disconnect();
    },
  };
}

/** A connection to `port` on the session's loopback: 127.0.0.1 first, then ::1 (a server bound to `localhost` may have either). */
function connectInside(port: number, done: (socket: net.Socket | null) => void): void {
  const attempt = (hosts: string[]) => {
    const host = hosts[0];
    if (host === undefined) return done(null);
    const socket = net.connect({ host, port });
    const failed = () => {
      socket.destroy();
      attempt(hosts.slice(1));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      socket.on('error', () => socket.destroy());
      socket.pause();
      done(socket);
    });
  };
  attempt(['127.0.0.1', '::1']);
}
