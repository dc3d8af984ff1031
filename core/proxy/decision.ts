/**
 * The filtering proxy's decisions, pure: what a client asked for (raw host text + port) against
 * the allowlist rules (core/hosts.ts), and which resolved address may then be dialled.
 *
 * Threat model: the host text and port come from a sandboxed client (hostile). The decision is
 * made once, on the name as normalizeHost spells it; the proxy then resolves that normalised
 * name itself and dials only an address returned by that one lookup (chooseAddress), so a
 * client cannot be admitted under one spelling and connected under another.
 */
import { addressPermitted, decideHost, normalizeHost, parseHostRule, type Host, type HostRules } from '../hosts.js';
import type { NetworkAllowlist } from '../vocabulary.js';

export interface TargetDecision {
  allowed: boolean;
  /** The normalised host (or the raw text, shown safely, when it could not be normalised). */
  host: string;
  port: number;
  /** The rule that decided, or why nothing could (`invalid host name: …`). */
  rule: string;
  /** Set when allowed: the host to resolve (a name) or to dial (a literal). */
  target?: Host;
}

/** Printable text of a hostile host string: control bytes and non-ASCII escaped, length capped. */
export function shownHost(raw: string): string {
  const capped = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  return capped.replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Compile the policy's allow/deny strings (validated upstream; re-checked here: a bad entry is an error, never ignored). */
export function compileRules(list: NetworkAllowlist): HostRules {
  const compile = (entries: readonly string[], key: string) =>
    entries.map((entry) => {
      const rule = parseHostRule(entry);
      if (!rule.ok) throw new Error(`network.${key}: ${JSON.stringify(entry)}: ${rule.reason}`);
      return rule.value;
    });
  return { allow: compile(list.allow, 'allow'), deny: compile(list.deny, 'deny') };
}

export function decideTarget(rules: HostRules, rawHost: string, port: number): TargetDecision {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { allowed: false, host: shownHost(rawHost), port, rule: 'invalid port' };
  const host = normalizeHost(rawHost);
  if (!host.ok) return { allowed: false, host: shownHost(rawHost), port, rule: `invalid host name: ${host.reason}` };
  const shown = host.value.kind === 'ipv6' ? `[${host.value.value}]` : host.value.value;
  const decision = decideHost(rules, host.value, port);
  return decision.allowed ? { allowed: true, host: shown, port, rule: decision.rule, target: host.value } : { allowed: false, host: shown, port, rule: decision.rule };
}

export type AddressChoice = { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Of the addresses one lookup returned for an admitted name, the first that may be dialled:
 * loopback, link-local, unspecified and multicast only when listed as such (addressPermitted).
 * Addresses are re-normalised (a resolver answer is data too).
 */
export function chooseAddress(rules: HostRules, addresses: readonly string[], port: number): AddressChoice {
  let reason = 'the name did not resolve';
  for (const text of addresses) {
    const host = normalizeHost(text);
    if (!host.ok || host.value.kind === 'name') {
      reason = `resolver returned a non-address ${shownHost(text)}`;
      continue;
    }
    const permitted = addressPermitted(rules, host.value, port);
    if (!permitted.ok) {
      reason = permitted.reason;
      continue;
    }
    return { ok: true, address: host.value.value, family: host.value.kind === 'ipv4' ? 4 : 6 };
  }
  return { ok: false, reason };
}
