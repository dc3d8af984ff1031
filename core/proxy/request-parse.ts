/**
 * Parsing what a client sends the proxy, pure: the CONNECT authority, the absolute-form URL of a
 * plain-HTTP request, and the two SOCKS5 messages (RFC 1928) the proxy accepts. Every input is
 * hostile; each function either returns the raw host text and port (for decideTarget) or a refusal.
 *
 * The host text is cut out of the URL by hand, never through the WHATWG URL parser, which
 * percent-decodes and IDNA-maps hosts (`ｅvil.example` → `evil.example`): the decision must be
 * on what the client wrote, refused when it is not already a plain name.
 */
import { splitHostPort, type Parsed } from '../hosts.js';

export interface Target {
  host: string;
  port: number;
}

const bad = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** `host:port` of a CONNECT request line: the port is required. */
export function parseConnectAuthority(authority: string): Parsed<Target> {
  const split = splitHostPort(authority);
  if (!split.ok) return split;
  if (split.value.port === null) return bad('CONNECT needs host:port');
  return { ok: true, value: { host: split.value.host, port: split.value.port } };
}

/** `http://host[:port]/path` of a forwarded request: host, port (80 by default) and origin-form path. */
export function parseAbsoluteHttpUrl(url: string): Parsed<Target & { path: string }> {
  const m = /^http:\/\/([^/?#]*)([/?][^#]*)?$/i.exec(url);
  if (m === null) return bad('only absolute http:// URLs are forwarded (use CONNECT for TLS)');
  const authority = m[1]!;
  if (authority.includes('@')) return bad('credentials in the URL are refused');
  if (authority.includes('%')) return bad('percent-encoded host refused');
  const split = splitHostPort(authority);
  if (!split.ok) return split;
  let path = m[2] ?? '/';
  if (path.startsWith('?')) path = `/${path}`;
  return { ok: true, value: { host: split.value.host, port: split.value.port ?? 80, path } };
}

export const SOCKS_VERSION = 5;
export const SOCKS_NO_AUTH = 0;
export const SOCKS_NO_ACCEPTABLE = 0xff;
export const SOCKS_CONNECT = 1;
export const SocksReply = { succeeded: 0, generalFailure: 1, notAllowed: 2, hostUnreachable: 4, refused: 5, commandNotSupported: 7, addressNotSupported: 8 } as const;

export type Incomplete = { ok: 'more' };

/** The greeting: version 5, N methods. Chooses "no authentication" or none. */
export function parseSocksGreeting(buf: Buffer): Incomplete | { ok: true; length: number; method: number } | { ok: false; reason: string } {
  if (buf.length < 2) return { ok: 'more' };
  if (buf[0] !== SOCKS_VERSION) return bad('not SOCKS5');
  const n = buf[1]!;
  if (n === 0) return bad('SOCKS5 greeting without methods');
  if (buf.length < 2 + n) return { ok: 'more' };
  const methods = buf.subarray(2, 2 + n);
  return { ok: true, length: 2 + n, method: methods.includes(SOCKS_NO_AUTH) ? SOCKS_NO_AUTH : SOCKS_NO_ACCEPTABLE };
}

export type SocksRequest = Incomplete | { ok: true; length: number; target: Target } | { ok: false; reason: string; reply: number };

/**
 * The request: CONNECT only; an IPv4 or IPv6 address, or a domain name (remote resolution) taken
 * as latin1 bytes so that NUL, control and non-ASCII bytes reach normalizeHost and are refused there.
 */
export function parseSocksRequest(buf: Buffer): SocksRequest {
  if (buf.length < 5) return { ok: 'more' };
  if (buf[0] !== SOCKS_VERSION) return { ok: false, reason: 'not SOCKS5', reply: SocksReply.generalFailure };
  if (buf[1] !== SOCKS_CONNECT) return { ok: false, reason: `SOCKS5 command ${buf[1]} not supported (CONNECT only)`, reply: SocksReply.commandNotSupported };
  if (buf[2] !== 0) return { ok: false, reason: 'SOCKS5 reserved byte not zero', reply: SocksReply.generalFailure };
  const atyp = buf[3];
  let host: string;
  let end: number;
  if (atyp === 1) {
    end = 4 + 4;
    if (buf.length < end + 2) return { ok: 'more' };
    host = Array.from(buf.subarray(4, end)).join('.');
  } else if (atyp === 4) {
    end = 4 + 16;
    if (buf.length < end + 2) return { ok: 'more' };
    const groups: string[] = [];
    for (let i = 4; i < end; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
    host = `[${groups.join(':')}]`;
  } else if (atyp === 3) {
    const len = buf[4]!;
    if (len === 0) return { ok: false, reason: 'empty host name', reply: SocksReply.notAllowed };
    end = 5 + len;
    if (buf.length < end + 2) return { ok: 'more' };
    host = buf.subarray(5, end).toString('latin1');
  } else {
    return { ok: false, reason: `SOCKS5 address type ${atyp} not supported`, reply: SocksReply.addressNotSupported };
  }
  return { ok: true, length: end + 2, target: { host, port: buf.readUInt16BE(end) } };
}

/** A SOCKS5 reply with a zero IPv4 bound address. */
export function socksReply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}
