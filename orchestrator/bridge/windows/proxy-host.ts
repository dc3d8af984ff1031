/**
 * The allowlist proxy on Windows, served by the launcher (this process: the real user's
 * `corral run` or library call, unelevated) for one session, on the installation's loopback
 * port (core/proxy/port.ts; the offline identity's firewall rules admit that port and no other
 * loopback port, and block everything beyond loopback).
 *
 * Why here and not in the runner: the runner runs as the offline identity (the launcher logs it
 * on), which the firewall keeps off the network — a proxy there could dial nothing — and the
 * runner holds no credentials to start anything as another account. The proxy code is the
 * shared one (core/proxy/server.ts: the same decisions, the same evidence as on Linux); it runs
 * outside the restricted token, as the real user, and lives exactly as long as the session's
 * runner (closed when the runner ends; gone with this process).
 *
 * Threat model of the fixed port (SECURITY.md, "the proxy's port"):
 *  - someone holds the port before the session starts: a process of an offline identity left
 *    running by another session (it would answer this session's commands as if it were the
 *    proxy, and see their requests), or another program of the real user's. Binding then fails
 *    (EADDRINUSE/EACCES) or succeeds beside a socket bound to another local address of the same
 *    port (Windows lets a specific and a wildcard binding coexist): so after binding, the
 *    listener table (os/win32/tcp-listeners.ts) must show no socket of any other process on the
 *    port, on any address. Either way: port_in_use, the runner is never started (fail closed).
 *  - someone binds it while the proxy holds it: Node binds without SO_EXCLUSIVEADDRUSE (libuv
 *    sets neither it nor SO_REUSEADDR on Windows; `exclusive: true` is a cluster option), so
 *    Windows' default applies: a second bind of the same address fails unless both sockets set
 *    SO_REUSEADDR (and, per Microsoft's "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", another
 *    account's bind fails even then since Windows Server 2003; not verified here).
 *    A wildcard binding beside ours does not receive connections to 127.0.0.1/[::1] (the more
 *    specific binding wins). What remains (another program of the real user's binding the same
 *    address with SO_REUSEADDR while the session runs) is the real user's own software.
 *  - any local process may connect to the port while the session runs (loopback is open to every
 *    account; the firewall admits this port for every user's offline identity). See SECURITY.md:
 *    the proxy does not tell its own session's commands from another offline session's.
 */
import net from 'node:net';
import { CorralError } from '../../../core/errors.js';
import { compileRules } from '../../../core/proxy/decision.js';
import { createFilteringProxy, type ProxyDecision } from '../../../core/proxy/server.js';
import type { NetworkAllowlist } from '../../../core/vocabulary.js';
import { foreignListeners, type TcpListener } from '../../../os/win32/tcp-listeners.js';

/** The loopback addresses the proxy listens on: the two the firewall's port rule admits. */
export const PROXY_HOSTS = ['127.0.0.1', '::1'] as const;

export interface ProxyHostSeams {
  /** Every listening TCP socket of the machine with its owner (GetExtendedTcpTable). */
  listeners(): TcpListener[];
  /** This process's id (the listeners it may find on the port). */
  pid: number;
  /** Replaces the system resolver (tests). */
  resolve?: (name: string) => Promise<string[]>;
}

export interface SessionProxyHost {
  port: number;
  /** Every decision, in order, as evidence (ConnectionRecord). */
  onDecision(listener: (decision: ProxyDecision) => void): void;
  close(): Promise<void>;
}

function inUse(port: number, what: string): CorralError {
  return new CorralError('port_in_use', `the allowlist proxy's port ${port} is not free: ${what}; the session was not started`, {
    details: { port },
    remedy: `One allowlist session at a time holds the installation's proxy port on Windows: end the other one. If another program holds port ${port} (\`netstat -ano -p tcp\` names its process id), stop it or choose another port with \`corral setup --proxy-port PORT\`.`,
  });
}

function listen(server: net.Server, host: string, port: number): Promise<'listening' | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once('error', onError);
    // `exclusive` only keeps a cluster worker from sharing the primary's handle; said for the reader.
    server.listen({ host, port, ipv6Only: host === '::1', exclusive: true }, () => {
      server.off('error', onError);
      resolve('listening');
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Bind the proxy's port on 127.0.0.1 and [::1] and check that no other process holds it;
 * port_in_use (nothing left listening) otherwise. [::1] may be absent (IPv6 disabled): then no
 * one can hold it either, and commands use 127.0.0.1 (core/proxy/environment.ts).
 */
export async function startProxyHost(port: number, rules: NetworkAllowlist, seams: ProxyHostSeams): Promise<SessionProxyHost> {
  let listener: (d: ProxyDecision) => void = () => {};
  const proxy = createFilteringProxy({
    rules: compileRules(rules),
    onDecision: (d) => listener(d),
    ...(seams.resolve === undefined ? {} : { resolve: seams.resolve }),
  });
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const closeAll = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map(closeServer));
  };
  try {
    for (const host of PROXY_HOSTS) {
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        proxy.handle(socket);
      });
      const result = await listen(server, host, port);
      if (result !== 'listening') {
        if (host === '::1' && result.code === 'EADDRNOTAVAIL') continue;
        throw inUse(port, `binding ${host === '::1' ? '[::1]' : host}:${port} failed (${result.code ?? result.message})`);
      }
      servers.push(server);
    }
    const foreign = foreignListeners(seams.listeners(), port, seams.pid);
    if (foreign.length > 0) {
      throw inUse(port, `process ${[...new Set(foreign.map((l) => l.pid))].join(', ')} also listens on it (${foreign.map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`).join(', ')})`);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    port,
    onDecision: (l) => (listener = l),
    close: closeAll,
  };
}
