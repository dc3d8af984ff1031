/**
 * Layering of the `network` key (resolve.ts calls this once per layer).
 *
 * - `"offline"` / `"online"` replace whatever was below.
 * - `{ allow, deny }`: `allow` replaces the list below (when absent, the list below is kept);
 *   `deny` is additive — no layer removes a deny entry, like `denyRead`. Entries are kept in
 *   their canonical spelling (core/hosts.ts), each with the layer it came from.
 * - A deny-only layer narrows an allowlist; on `offline` it changes nothing (there is nothing
 *   to narrow); on `online` it is an error: Corral filters by allowlist, not by denylist.
 *
 * Threat model for the workspace layer (it comes with the repository): it may only narrow.
 * It may choose `offline`, turn `online` into an allowlist, add deny entries, or list allow
 * entries that the allowlist below already covers (`a.example.org` under `*.example.org`,
 * one port of a bare entry); it may never open a host, a port or the network itself.
 */
import { CorralError } from '../../core/errors.js';
import { parseHostRule, ruleCovered, type HostRule } from '../../core/hosts.js';
import type { NetworkAllowlist, NetworkPolicy } from '../../core/vocabulary.js';

/** Where one allow or deny entry came from (`corral policy show`). */
export interface HostSource {
  list: 'allow' | 'deny';
  entry: string;
  from: string;
}

export interface NetworkState {
  network: NetworkPolicy;
  hostSources: HostSource[];
}

type LayerNetwork = NetworkPolicy | { allow?: string[] | undefined; deny?: string[] | undefined };

function rule(entry: string, where: string): HostRule {
  const parsed = parseHostRule(entry);
  if (!parsed.ok) throw new CorralError('config_invalid', `${where}: ${JSON.stringify(entry)}: ${parsed.reason}`, { details: { path: where, entry } });
  return parsed.value;
}

function refuseWorkspace(label: string, why: string): never {
  throw new CorralError(
    'config_invalid',
    `${label}: network: a workspace config may only tighten the policy; ${why}. Set it in your user config or with a flag instead.`,
    { details: { file: label, key: 'network' } },
  );
}

function unique(sources: HostSource[]): HostSource[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    const key = `${s.list}\0${s.entry}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The network after one more layer. */
export function mergeNetwork(current: NetworkState, value: LayerNetwork, layer: { kind: string; label: string }): NetworkState {
  if (typeof value === 'string') {
    if (layer.kind === 'workspace' && value === 'online') refuseWorkspace(layer.label, 'online is not allowed here');
    return { network: value, hostSources: [] };
  }
  const below = current.network;
  const allowRules = (value.allow ?? []).map((e, i) => rule(e, `${layer.label}: network.allow[${i}]`));
  const denyRules = (value.deny ?? []).map((e, i) => rule(e, `${layer.label}: network.deny[${i}]`));

  if (typeof below === 'string' && value.allow === undefined) {
    if (below === 'offline') return current;
    throw new CorralError(
      'config_invalid',
      `${layer.label}: network.deny: the network below is online; Corral filters by allowlist, so list network.allow as well (or choose offline)`,
      { details: { file: layer.label, key: 'network' } },
    );
  }
  if (layer.kind === 'workspace') {
    if (below === 'offline') refuseWorkspace(layer.label, 'the network is offline, and an allowlist would open it');
    if (typeof below !== 'string') {
      const broad = below.allow.map((e) => rule(e, 'network.allow'));
      allowRules.forEach((r, i) => {
        if (!ruleCovered(broad, r)) refuseWorkspace(layer.label, `network.allow[${i}] ${r.text} is not covered by the allowlist below`);
      });
    }
  }

  const keptAllow = value.allow === undefined && typeof below !== 'string';
  const belowSources = current.hostSources;
  const allowSources: HostSource[] = keptAllow
    ? belowSources.filter((s) => s.list === 'allow')
    : allowRules.map((r) => ({ list: 'allow', entry: r.text, from: layer.label }));
  const denySources: HostSource[] = [
    ...belowSources.filter((s) => s.list === 'deny'),
    ...denyRules.map((r): HostSource => ({ list: 'deny', entry: r.text, from: layer.label })),
  ];
  const hostSources = unique([...allowSources, ...denySources]);
  const network: NetworkAllowlist = {
    allow: hostSources.filter((s) => s.list === 'allow').map((s) => s.entry),
    deny: hostSources.filter((s) => s.list === 'deny').map((s) => s.entry),
  };
  return { network, hostSources };
}
