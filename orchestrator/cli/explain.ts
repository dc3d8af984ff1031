/**
 * `corral run --explain`: for each access the sandbox refused (the kernel's violation reports,
 * the proxy's refused connections), the smallest policy change that would have allowed it —
 * printed, never applied. Some refusals no setting changes (a directory the user does not own
 * can never be a writable root; a session never signals outside itself): those say so.
 *
 * Pure but for `ownerOf` (a stat by the caller, as the real user). The target is a name the
 * sandboxed command chose: escaped before it is shown (violations.ts).
 */
import path from 'node:path';
import type { ConnectionRecord, ViolationRecord } from '../../core/protocol.js';
import { writableRootProblem } from '../../core/policy/writable-roots.js';
import { posixPaths } from '../../core/paths.js';
import { actionOf, escapeForTerminal } from './violations.js';

export interface ExplainContext {
  /** The real user's uid and home. */
  uid: number;
  home: string;
  /** The user's config file (the layer that may widen a session). */
  userConfig: string;
  /** The owner of a directory, or null when it does not exist or cannot be seen. */
  ownerOf: (dir: string) => number | null;
}

/** The directory a write refusal is about: the target itself for a creation or removal in it, else the file's directory. */
export function directoryOf(v: Pick<ViolationRecord, 'operation' | 'target'>): string {
  const op = v.operation.split(',')[0] ?? '';
  return /^fs\.(make_|remove_|refer)/.test(op) ? v.target : path.posix.dirname(v.target);
}

/** The port of a refused packet's target (`10.0.0.1:80`, `[2001:db8::1]:53`), or null. */
function portOf(target: string): number | null {
  const m = /:(\d{1,5})$/.exec(target);
  return m === null ? null : Number(m[1]);
}

/**
 * A packet the offline session's namespace refused (source nflog). The allowlist is the
 * narrowest opening: its proxy carries TCP connections (HTTP CONNECT) to the hosts listed, so
 * a TCP target gets its entry; a name lookup gets the allowlist too (the proxy resolves the
 * names it allows, outside the session); other UDP and other protocols only `--network online`.
 */
function forPacket(v: ViolationRecord, ctx: ExplainContext): string {
  const port = portOf(v.target);
  if (v.operation === 'packet.udp' && port === 53) {
    return 'a name lookup: an offline session has no name server; with --allow-host HOST (or "network.allow") the proxy resolves the hosts it allows, or --network online';
  }
  if (v.operation === 'packet.tcp' && port !== null) {
    const entry = v.target;
    const direct = v.rule.startsWith('a direct connection');
    return `add ${JSON.stringify(entry)} to "network.allow" in ${ctx.userConfig}, or pass --allow-host ${escapeForTerminal(entry)}` +
      (direct ? ', and let the tool use the session\'s proxy (HTTPS_PROXY)' : ' (the session then reaches it through the allowlist proxy: tools that honour HTTPS_PROXY)') +
      ', or --network online';
  }
  return 'the allowlist proxy carries TCP only: --network online, or "network": "online" in a config file';
}

function forViolation(v: ViolationRecord, ctx: ExplainContext): string {
  if (v.source === 'nflog') return forPacket(v, ctx);
  if (v.kind === 'signal' || v.kind === 'ptrace') return 'no setting allows it: a session never reaches processes outside itself';
  if (v.kind !== 'write') return 'no setting changes this';
  const dir = directoryOf(v);
  if (!dir.startsWith('/')) return 'no setting changes this';
  const owner = ctx.ownerOf(dir);
  if (owner === null) return `no setting allows it: ${escapeForTerminal(dir)} is not visible to you`;
  if (owner !== ctx.uid) return `no setting allows it: ${escapeForTerminal(dir)} is not yours (a writable root must be a directory you own)`;
  const problem = writableRootProblem(dir, { home: ctx.home, denyRead: [] }, posixPaths.within);
  if (problem !== null) return `no setting allows it: ${escapeForTerminal(dir)} ${problem}`;
  return `add ${JSON.stringify(dir)} to "writableRoots" in ${ctx.userConfig}`;
}

function forConnection(c: ConnectionRecord, ctx: ExplainContext): string {
  const entry = `${c.host}:${c.port}`;
  if (c.rule.startsWith('network.deny')) return `remove the matching entry from "network.deny" (${c.rule}), in the layer that set it`;
  return `add ${JSON.stringify(entry)} to "network.allow" in ${ctx.userConfig}, or pass --allow-host ${entry}`;
}

/** One `corral: explain:` line per distinct refusal. */
export function explainLines(violations: readonly ViolationRecord[], connections: readonly ConnectionRecord[], ctx: ExplainContext): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  const add = (what: string, how: string) => {
    const line = `corral: explain: ${what} — ${how} (not applied)\n`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  };
  for (const v of violations) add(`${actionOf(v)}${v.target === '' ? '' : ` ${escapeForTerminal(v.target)}`}`, forViolation(v, ctx));
  for (const c of connections) if (!c.allowed) add(`connect to ${c.host}:${c.port}`, forConnection(c, ctx));
  return lines;
}
