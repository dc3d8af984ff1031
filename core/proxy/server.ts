/**
 * The filtering proxy: one listener speaking HTTP CONNECT, plain-HTTP forwarding (absolute-form
 * request URLs) and SOCKS5 (CONNECT, remote name resolution), told apart by the first byte
 * (0x05 is SOCKS5). Platform-free: it is handed accepted sockets (handle) and reports each
 * decision (onDecision); where the sockets come from and where decisions go is the caller's.
 *
 * For every attempt: parse (request-parse.ts) → decide on the normalised name (decision.ts) →
 * resolve that name once, here → dial exactly an address of that answer that chooseAddress
 * permits. TLS passes through CONNECT as opaque bytes: the proxy never terminates it. A
 * forwarded plain-HTTP request goes to the admitted address with its Host header set to the
 * admitted authority and `Connection: close`, so a kept-alive client cannot send a second
 * request for another host through an upstream opened for the first.
 */
import http from 'node:http';
import net from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { HostRules } from '../hosts.js';
import { chooseAddress, decideTarget, type TargetDecision } from './decision.js';
import { parseAbsoluteHttpUrl, parseConnectAuthority, parseSocksGreeting, parseSocksRequest, socksReply, SocksReply, SOCKS_NO_ACCEPTABLE, SOCKS_VERSION, type Target } from './request-parse.js';

import type { ConnectionRecord } from '../protocol.js';

export type ProxyVia = ConnectionRecord['via'];

/** One connection attempt, as evidence (the protocol's record: it travels to the client as is). */
export type ProxyDecision = ConnectionRecord;

export interface FilteringProxyOptions {
  rules: HostRules;
  onDecision(decision: ProxyDecision): void;
  /** Name → addresses; the system resolver (getaddrinfo: /etc/hosts, then DNS) unless replaced. */
  resolve?: (name: string) => Promise<string[]>;
  connectTimeoutMs?: number;
  /** How long a client has from its connection to a complete request (CONNECT/HTTP head, SOCKS5 greeting and request). */
  handshakeTimeoutMs?: number;
  /** Relays an established tunnel (CONNECT, SOCKS5); pipeRelay (Node streams) unless replaced. */
  tunnel?: TunnelRelay;
}

/**
 * Relays the bytes of an established tunnel between the client and the upstream it was
 * admitted to, until it ends; `toUpstream` is what the client sent after its request and
 * goes upstream first. Called once the proxy's reply to the client is flushed. Whatever it
 * does, it keeps the tunnel's fail-closed shape: an error or close on either socket ends both.
 */
export type TunnelRelay = (client: net.Socket, upstream: net.Socket, toUpstream: Buffer) => void;

/**
 * The portable relay: stream pipes both ways. A half-close travels as a half-close (end → end);
 * each side is destroyed when the other closes (both directions ended) or errors.
 */
export const pipeRelay: TunnelRelay = (a, b, toUpstream) => {
  a.allowHalfOpen = true;
  b.allowHalfOpen = true;
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  if (a.destroyed || b.destroyed) {
    a.destroy();
    b.destroy();
    return;
  }
  if (toUpstream.length > 0) b.write(toUpstream);
  a.pipe(b);
  b.pipe(a);
};

const HEAD_LIMIT = 64 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * The session's side controls the bytes and their timing: a client that trickles a request head
 * (slowloris) or never finishes a SOCKS greeting would hold its socket forever (the HTTP parser
 * here is not a listening http.Server, so Node's own headersTimeout never runs). After this, the
 * connection is closed. An established tunnel or a forwarded request has no deadline.
 */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
/** Hop-by-hop and proxy headers a forwarded request never carries upstream. */
const DROPPED_HEADERS = new Set(['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'host', 'upgrade', 'te', 'trailer']);

async function systemResolve(name: string): Promise<string[]> {
  const answers = await dnsLookup(name, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

export interface FilteringProxy {
  /** Serve one accepted client connection. */
  handle(socket: net.Socket): void;
}

type Admitted = { ok: true; decision: TargetDecision; address: string; family: 4 | 6 } | { ok: false; decision: ProxyDecision };

export function createFilteringProxy(options: FilteringProxyOptions): FilteringProxy {
  const resolve = options.resolve ?? systemResolve;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const deadlines = new WeakMap<net.Socket, NodeJS.Timeout>();
  /** The client's request is complete: what follows is bounded by the dial's timeout, or is the tunnel's. */
  const handshaken = (socket: net.Socket) => clearTimeout(deadlines.get(socket));
  const record = (via: ProxyVia, d: { host: string; port: number; allowed: boolean; rule: string; address?: string; error?: string }): ProxyDecision => {
    const decision: ProxyDecision = { time: new Date().toISOString(), via, ...d };
    options.onDecision(decision);
    return decision;
  };

  /** Decide, resolve once, choose the address. Records refusals; the caller records the outcome of an admitted one. */
  async function admit(via: ProxyVia, target: Target): Promise<Admitted> {
    const decision = decideTarget(options.rules, target.host, target.port);
    if (!decision.allowed || decision.target === undefined) return { ok: false, decision: record(via, decision) };
    let addresses: string[];
    if (decision.target.kind === 'name') {
      try {
        addresses = await resolve(decision.target.value);
      } catch (err) {
        return { ok: false, decision: record(via, { ...decision, allowed: false, rule: `${decision.rule}, but the name did not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})` }) };
      }
    } else {
      addresses = [decision.target.value];
    }
    const choice = chooseAddress(options.rules, addresses, target.port);
    if (!choice.ok) return { ok: false, decision: record(via, { ...decision, allowed: false, rule: `${decision.rule}, but it ${choice.reason}` }) };
    return { ok: true, decision, address: choice.address, family: choice.family };
  }

  function dial(admitted: { address: string; family: 4 | 6 }, port: number): Promise<net.Socket> {
    return new Promise((resolveDial, reject) => {
      const upstream = net.connect({ host: admitted.address, port, family: admitted.family });
      const timer = setTimeout(() => upstream.destroy(new Error('connect timed out')), connectTimeoutMs);
      upstream.once('connect', () => {
        clearTimeout(timer);
        upstream.removeListener('error', reject);
        resolveDial(upstream);
      });
      upstream.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  const tunnel = options.tunnel ?? pipeRelay;
  /** Reply to the client, then relay once the reply is flushed (so a relay may take the socket's descriptor). */
  function establish(socket: net.Socket, upstream: net.Socket, reply: string | Buffer, toUpstream: Buffer): void {
    upstream.on('error', () => socket.destroy());
    socket.write(reply, (err) => {
      if (err !== null && err !== undefined) {
        socket.destroy();
        upstream.destroy();
      } else tunnel(socket, upstream, toUpstream);
    });
  }

  const refusalText = (d: ProxyDecision) => `corral: blocked connection to ${d.host}:${d.port} (${d.rule})\n`;

  const server = http.createServer({ maxHeaderSize: HEAD_LIMIT }, (req, res) => {
    handshaken(req.socket);
    const parsed = parseAbsoluteHttpUrl(req.url ?? '');
    if (!parsed.ok) {
      const d = record('http', { host: '?', port: 0, allowed: false, rule: `bad request: ${parsed.reason}` });
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end(refusalText(d));
      return;
    }
    const { host, port, path } = parsed.value;
    void admit('http', { host, port }).then((admitted) => {
      if (!admitted.ok) {
        res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end(refusalText(admitted.decision));
        req.resume();
        return;
      }
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.push([name, req.rawHeaders[i + 1]!]);
      }
      const authority = port === 80 ? admitted.decision.host : `${admitted.decision.host}:${port}`;
      headers.push(['Host', authority], ['Connection', 'close']);
      const upstream = http.request({ host: admitted.address, family: admitted.family, port, method: req.method, path, headers: headers.flat(), setHost: false, agent: false, timeout: connectTimeoutMs });
      let recorded = false;
      upstream.once('socket', (s) =>
        s.once('connect', () => {
          recorded = true;
          record('http', { host: admitted.decision.host, port, allowed: true, rule: admitted.decision.rule, address: admitted.address });
        }),
      );
      upstream.on('response', (up) => {
        const raw: string[] = [];
        for (let i = 0; i < up.rawHeaders.length; i += 2) {
          const name = up.rawHeaders[i]!.toLowerCase();
          if (name !== 'connection' && name !== 'keep-alive') raw.push(up.rawHeaders[i]!, up.rawHeaders[i + 1]!);
        }
        raw.push('Connection', 'close');
        res.writeHead(up.statusCode ?? 502, up.statusMessage, raw);
        up.pipe(res);
      });
      upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
      upstream.on('error', (err) => {
        if (!recorded) record('http', { host: admitted.decision.host, port, allowed: true, rule: admitted.decision.rule, address: admitted.address, error: err.message });
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' }).end(`corral: ${admitted.decision.host}:${port}: ${err.message}\n`);
        else res.destroy();
      });
      req.pipe(upstream);
    });
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    handshaken(socket);
    const parsed = parseConnectAuthority(req.url ?? '');
    const refuse = (d: ProxyDecision) => socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refusalText(d)}`);
    socket.on('error', () => socket.destroy());
    if (!parsed.ok) {
      refuse(record('connect', { host: '?', port: 0, allowed: false, rule: `bad request: ${parsed.reason}` }));
      return;
    }
    void admit('connect', parsed.value).then(async (admitted) => {
      if (!admitted.ok) return refuse(admitted.decision);
      const { host, port, rule } = admitted.decision;
      try {
        const upstream = await dial(admitted, port);
        record('connect', { host, port, allowed: true, rule, address: admitted.address });
        establish(socket, upstream, 'HTTP/1.1 200 Connection Established\r\n\r\n', head);
      } catch (err) {
        record('connect', { host, port, allowed: true, rule, address: admitted.address, error: (err as Error).message });
        socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ncorral: ${host}:${port}: ${(err as Error).message}\n`);
      }
    });
  });
  server.on('clientError', (_err, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  function socks(socket: net.Socket): void {
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'busy' = 'greeting';
    const fail = (code: number) => socket.end(socksReply(code));
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 600) return socket.destroy();
      if (stage === 'greeting') {
        const g = parseSocksGreeting(buf);
        if (g.ok === 'more') return;
        if (g.ok === false) return socket.destroy();
        socket.write(Buffer.from([SOCKS_VERSION, g.method]));
        if (g.method === SOCKS_NO_ACCEPTABLE) return socket.end();
        buf = buf.subarray(g.length);
        stage = 'request';
      }
      if (stage !== 'request') return;
      const r = parseSocksRequest(buf);
      if (r.ok === 'more') return;
      stage = 'busy';
      handshaken(socket);
      socket.removeListener('data', onData);
      socket.pause();
      if (r.ok === false) {
        record('socks5', { host: '?', port: 0, allowed: false, rule: `bad request: ${r.reason}` });
        return fail(r.reply);
      }
      const rest = buf.subarray(r.length);
      void admit('socks5', r.target).then(async (admitted) => {
        if (!admitted.ok) return fail(SocksReply.notAllowed);
        const { host, port, rule } = admitted.decision;
        try {
          const upstream = await dial(admitted, port);
          record('socks5', { host, port, allowed: true, rule, address: admitted.address });
          establish(socket, upstream, socksReply(SocksReply.succeeded), Buffer.from(rest));
        } catch (err) {
          record('socks5', { host, port, allowed: true, rule, address: admitted.address, error: (err as Error).message });
          fail(SocksReply.hostUnreachable);
        }
      });
    };
    socket.on('data', onData);
    socket.once('end', () => {
      if (stage !== 'busy') socket.destroy();
    });
  }

  return {
    handle(socket: net.Socket): void {
      // As http.Server's own sockets are: a client's end-of-stream is not our end. The HTTP
      // server answers and closes; a tunnel relays it as a half-close; the SOCKS handshake closes.
      socket.allowHalfOpen = true;
      socket.on('error', () => socket.destroy());
      const deadline = setTimeout(() => socket.destroy(), handshakeTimeoutMs).unref();
      deadlines.set(socket, deadline);
      socket.once('close', () => clearTimeout(deadline));
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null;
        if (first === null) return socket.destroy();
        socket.unshift(first);
        if (first[0] === SOCKS_VERSION) socks(socket);
        else server.emit('connection', socket);
      });
    },
  };
}
