/**
 * Allowlist network, Linux: the filtering proxy outside the session and the one way to it inside.
 *
 *  - startProxy (root, before the runner leaves the host's mount and network namespaces): a
 *    child process (proxy-main.ts) that drops to the online identity before it serves, in the
 *    host network namespace, where the online identity's nft rule lets it out.
 *  - listenInSession (after the runner has unshared the network namespace and brought `lo` up):
 *    listeners on 127.0.0.1:PROXY_PORT and [::1]:PROXY_PORT inside the session's namespace.
 *    Each accepted connection is handed, unread, to the proxy over the IPC channel (a unix
 *    socketpair made by libuv, close-on-exec, held only by the runner and the proxy).
 *
 * Why this bridge: the session has no way to the host's namespace except these listeners. A
 * unix socket on a path would have to be visible in the session's view (which puts private
 * tmpfs over /tmp and /run) and would be reachable by every session process, so the proxy
 * would have to trust whoever connects; an abstract socket is per network namespace and, on
 * Landlock ABI ≥ 6, scoped. Passing the accepted sockets over a socketpair needs no name at
 * all: the commands never hold the proxy's end, and seccomp's AF_UNIX allowance is not needed
 * by them for it.
 *
 * Fail closed: if the proxy dies, the channel closes, the runner closes the listeners, and a
 * connection to the port is refused; the session has no route, so nothing else works either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProxyDecision } from '../../core/proxy/server.js';
import type { NetworkAllowlist } from '../../core/vocabulary.js';
import type { ProxyStart } from './proxy-main.js';

/** The session's namespace is its own: this port is free when the runner binds it. */
export const PROXY_PORT = 3128;

export interface SessionProxy {
  port: number;
  /** Every decision, in order; listener set by the session loop. */
  onDecision(listener: (d: ProxyDecision) => void): void;
  /** Why the proxy is gone (the session is then closed to the network), or null. */
  readonly failure: string | null;
  listenInSession(warn: (text: string) => void): void;
  close(): void;
}

export function startProxy(rules: NetworkAllowlist, identity: { uid: number; gid: number }): SessionProxy {
  const main = fileURLToPath(new URL('./proxy-main.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [main], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: {}, cwd: '/', serialization: 'json' });
  const start: ProxyStart = { type: 'start', uid: identity.uid, gid: identity.gid, allow: rules.allow, deny: rules.deny };
  child.send(start);
  let listener: (d: ProxyDecision) => void = () => {};
  let failure: string | null = null;
  const servers: net.Server[] = [];
  const fail = (why: string) => {
    if (failure !== null) return;
    failure = why;
    for (const s of servers) s.close();
    process.stderr.write(`corral runner: the filtering proxy is gone (${why}); the session has no network\n`);
  };
  child.on('message', (m: { type?: string; decision?: ProxyDecision }) => {
    if (m.type === 'decision' && m.decision !== undefined) listener(m.decision);
  });
  child.on('exit', (code, signal) => fail(signal === null ? `exit ${code}` : `killed by ${signal}`));
  child.on('error', (err) => fail(err.message));
  child.unref();
  child.channel?.unref();

  return {
    port: PROXY_PORT,
    onDecision: (l) => (listener = l),
    get failure() {
      return failure;
    },
    listenInSession(warn) {
      for (const host of ['127.0.0.1', '::1']) {
        const server = net.createServer({ pauseOnConnect: true }, (socket) => {
          if (failure !== null || !child.connected) return socket.destroy();
          child.send({ type: 'connection' }, socket, { keepOpen: false }, (err) => {
            if (err !== null) socket.destroy();
          });
        });
        server.on('error', (err) => warn(`network.allow: no proxy listener on ${host}:${PROXY_PORT}: ${err.message}`));
        server.listen({ host, port: PROXY_PORT, ipv6Only: host === '::1' });
        servers.push(server);
      }
    },
    close() {
      for (const s of servers) s.close();
      if (child.connected) child.disconnect();
    },
  };
}
