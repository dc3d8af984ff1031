/**
 * Host rules of an allowlist network (`network: { allow: [...], deny: [...] }`): parsing an
 * entry, normalising a host a client asked for, and deciding. Pure and platform-free: the
 * config schema validates entries with it, the policy resolver checks that a workspace layer
 * only narrows with it, and the filtering proxy decides every connection with it — so one
 * spelling of the rules bounds all three.
 *
 * Entry forms, each with an optional `:port` (bare = ports 80 and 443):
 *   `registry.example.com`   exactly that name
 *   `*.example.org`          any name strictly under example.org (not example.org itself)
 *   `10.1.2.3`               that IPv4 address, as an IP literal
 *   `[2001:db8::1]`          that IPv6 address, as an IP literal
 *
 * Threat model for host names: the name comes from a sandboxed client (hostile). It is
 * normalised once (ASCII lower case, one trailing dot dropped) and refused when it is not a
 * plain DNS name: control bytes or NUL, non-ASCII, empty or over-long labels (63) or names
 * (253), characters outside letters/digits/hyphen, hyphens at a label's edge, or a numeric
 * form that a resolver would read as an address (`127.1`, `0x7f000001`, `2130706433`) but
 * that is not a canonical dotted quad. The decision is made on that normalised name, and the
 * proxy dials only an address it resolved for it — never a second lookup.
 */

export const DEFAULT_PORTS: readonly number[] = [80, 443];
const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export type HostKind = 'name' | 'ipv4' | 'ipv6';

/** A host as the proxy decides on it: a normalised name or a canonical IP literal (IPv6 without brackets). */
export interface Host {
  kind: HostKind;
  value: string;
}

export interface HostRule {
  /** The canonical spelling of the entry (what `policy show` prints and decisions name). */
  text: string;
  kind: 'exact' | 'suffix' | 'ipv4' | 'ipv6';
  /** The name, the suffix without `*.`, or the canonical address. */
  host: string;
  ports: readonly number[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const bad = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Canonical IPv6 text (lower case, zeros compressed, as the WHATWG URL parser serialises it)
 * or null; IPv4-mapped forms (`::ffff:10.0.0.1`) become the IPv4 address they stand for.
 */
export function canonicalIpv6(text: string): Host | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://[${text}]/`).hostname;
  } catch {
    return null;
  }
  const value = hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(value);
  if (mapped !== null) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { kind: 'ipv4', value: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.') };
  }
  return { kind: 'ipv6', value };
}

/**
 * Normalise a host a client asked for: a DNS name (lower-cased, one trailing dot dropped), a
 * canonical dotted-quad IPv4 or an IPv6 address (brackets optional). Anything else is refused
 * with the reason.
 */
export function normalizeHost(raw: string): Parsed<Host> {
  if (raw.length === 0) return bad('empty host name');
  if (hasControl(raw)) return bad('host name contains control bytes or NUL');
  if (!/^[\x21-\x7e]+$/.test(raw)) return bad('host name is not plain ASCII');
  let text = raw;
  if (text.startsWith('[') || text.endsWith(']')) {
    if (!(text.startsWith('[') && text.endsWith(']'))) return bad('unbalanced brackets');
    const v6 = canonicalIpv6(text.slice(1, -1));
    return v6 === null ? bad('not an IPv6 address inside brackets') : { ok: true, value: v6 };
  }
  if (text.includes(':')) {
    const v6 = canonicalIpv6(text);
    return v6 === null ? bad('not a host name or address') : { ok: true, value: v6 };
  }
  text = text.toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (DOTTED_QUAD.test(text)) return { ok: true, value: { kind: 'ipv4', value: text } };
  if (text.length === 0) return bad('empty host name');
  if (text.length > MAX_NAME) return bad(`host name longer than ${MAX_NAME} characters`);
  const labels = text.split('.');
  for (const label of labels) {
    if (label.length === 0) return bad('empty label in host name');
    if (label.length > MAX_LABEL) return bad(`label longer than ${MAX_LABEL} characters`);
    if (!LABEL.test(label)) return bad(`invalid label ${JSON.stringify(label)} (letters, digits and inner hyphens only)`);
  }
  const last = labels[labels.length - 1]!;
  if (/^\d+$/.test(last) || /^0x[0-9a-f]*$/.test(last)) return bad('numeric host that is not a canonical IPv4 address');
  return { ok: true, value: { kind: 'name', value: text } };
}

function parsePort(text: string): number | null {
  if (!/^[1-9]\d{0,4}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** Split `host[:port]` / `[v6][:port]`; port null when absent. */
export function splitHostPort(text: string): Parsed<{ host: string; port: number | null }> {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return bad('unbalanced brackets');
    const rest = text.slice(close + 1);
    if (rest === '') return { ok: true, value: { host: text.slice(0, close + 1), port: null } };
    if (!rest.startsWith(':')) return bad('unexpected text after "]"');
    const port = parsePort(rest.slice(1));
    return port === null ? bad('port must be 1–65535') : { ok: true, value: { host: text.slice(0, close + 1), port } };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { ok: true, value: { host: text, port: null } };
  if (text.indexOf(':') !== colon) return bad('an IPv6 address must be in brackets');
  const port = parsePort(text.slice(colon + 1));
  return port === null ? bad('port must be 1–65535') : { ok: true, value: { host: text.slice(0, colon), port } };
}

/** Parse one allow/deny entry. */
export function parseHostRule(entry: string): Parsed<HostRule> {
  const split = splitHostPort(entry);
  if (!split.ok) return split;
  const { port } = split.value;
  let hostText = split.value.host;
  const ports = port === null ? DEFAULT_PORTS : [port];
  const portSuffix = port === null ? '' : `:${port}`;
  const wildcard = hostText.startsWith('*.');
  if (wildcard) hostText = hostText.slice(2);
  if (hostText.includes('*')) return bad('"*" is allowed only as a leading "*." label');
  const host = normalizeHost(hostText);
  if (!host.ok) return host;
  const { kind, value } = host.value;
  if (wildcard && kind !== 'name') return bad('"*." takes a domain name, not an address');
  if (wildcard) return { ok: true, value: { text: `*.${value}${portSuffix}`, kind: 'suffix', host: value, ports } };
  if (kind === 'name') return { ok: true, value: { text: `${value}${portSuffix}`, kind: 'exact', host: value, ports } };
  const shown = kind === 'ipv6' ? `[${value}]` : value;
  return { ok: true, value: { text: `${shown}${portSuffix}`, kind, host: value, ports } };
}

/** Does `rule` match this (normalised) host and port? */
export function ruleMatches(rule: HostRule, host: Host, port: number): boolean {
  if (!rule.ports.includes(port)) return false;
  switch (rule.kind) {
    case 'exact':
      return host.kind === 'name' && host.value === rule.host;
    case 'suffix':
      return host.kind === 'name' && host.value.endsWith(`.${rule.host}`);
    case 'ipv4':
    case 'ipv6':
      return host.kind === rule.kind && host.value === rule.host;
  }
}

/** Does `rule` name this host at all (any port)? Tells an unlisted port apart when the host itself is listed. */
function ruleNamesHost(rule: HostRule, host: Host): boolean {
  return rule.ports.some((p) => ruleMatches(rule, host, p));
}

export interface HostRules {
  allow: readonly HostRule[];
  deny: readonly HostRule[];
}

export interface HostDecision {
  allowed: boolean;
  /** The entry that decided (`network.allow: x`, `network.deny: y`), or why none did. */
  rule: string;
}

/** Decide a (normalised) host and port: deny wins, then allow, else refused. */
export function decideHost(rules: HostRules, host: Host, port: number): HostDecision {
  const denied = rules.deny.find((r) => ruleMatches(r, host, port));
  if (denied !== undefined) return { allowed: false, rule: `network.deny: ${denied.text}` };
  const allowed = rules.allow.find((r) => ruleMatches(r, host, port));
  if (allowed !== undefined) return { allowed: true, rule: `network.allow: ${allowed.text}` };
  if (rules.allow.some((r) => ruleNamesHost(r, host))) return { allowed: false, rule: `port ${port} not in network.allow` };
  if (host.kind !== 'name') return { allowed: false, rule: 'IP literal not in network.allow' };
  return { allowed: false, rule: 'not in network.allow' };
}

/** The address classes a listed name may not resolve to unless the address itself is listed. */
export function specialAddress(address: Host): string | null {
  if (address.kind === 'ipv4') {
    const o = address.value.split('.').map(Number);
    if (o[0] === 127) return 'loopback';
    if (o[0] === 169 && o[1] === 254) return 'link-local';
    if (o[0] === 0) return 'unspecified';
    if (o[0]! >= 224) return 'multicast or reserved';
    return null;
  }
  const v = address.value;
  if (v === '::1') return 'loopback';
  if (v === '::') return 'unspecified';
  if (/^fe[89ab]/.test(v)) return 'link-local';
  if (v.startsWith('ff')) return 'multicast';
  return null;
}

/**
 * May a name the allowlist admitted be dialled at `address` (one it resolved to)? Loopback,
 * link-local, unspecified and multicast addresses only when that address is itself listed
 * (as an IP literal, for this port) — otherwise an allowed name pointed at 127.0.0.1 would
 * reach the host's own services.
 */
export function addressPermitted(rules: HostRules, address: Host, port: number): { ok: true } | { ok: false; reason: string } {
  const special = specialAddress(address);
  if (special === null) return { ok: true };
  const listed = rules.allow.some((r) => ruleMatches(r, address, port)) && !rules.deny.some((r) => ruleMatches(r, address, port));
  return listed ? { ok: true } : { ok: false, reason: `resolves to a ${special} address ${address.value} not in network.allow` };
}

/**
 * Is every (host, port) that `narrow` matches also matched by one of `broad`? The workspace
 * layer may only list entries covered by the allowlist below it.
 */
export function ruleCovered(broad: readonly HostRule[], narrow: HostRule): boolean {
  return narrow.ports.every((port) =>
    broad.some((b) => {
      if (!b.ports.includes(port)) return false;
      switch (narrow.kind) {
        case 'exact':
          return ruleMatches(b, { kind: 'name', value: narrow.host }, port);
        case 'suffix':
          return b.kind === 'suffix' && (narrow.host === b.host || narrow.host.endsWith(`.${b.host}`));
        case 'ipv4':
        case 'ipv6':
          return b.kind === narrow.kind && b.host === narrow.host;
      }
    }),
  );
}
