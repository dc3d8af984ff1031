/**
 * The nftables table `inet <installation>`: outbound traffic of each *offline* identity
 * is rejected, matched by the socket's owner (`meta skuid`), in an output-hook chain.
 * A reject in any base chain is final, so an `accept` in someone else's table cannot
 * re-open it. Loopback per policy:
 *
 * - `private` / `deny`: host loopback is rejected too (a `private` session gets its own
 *   network namespace whose `lo` this host-namespace rule does not see);
 * - a port list: `oif lo` to those TCP and UDP ports is accepted before the reject.
 *
 * The whole table is replaced in one `nft -f` transaction (add, delete, add with its
 * content), so there is never a moment with the table half-built. The script names
 * identities (nft resolves them to uids when it loads); names come from identities.ts
 * and contain only [a-z0-9-]. Read-back compares a signature of `nft -j list table`
 * with the one expected from the uids.
 */
import { CorralError } from '../../../core/errors.js';
import type { Loopback } from '../../policy/schema.js';
import { run } from './exec.js';

export interface OfflineRule {
  /** The offline identity's account name. */
  identity: string;
  loopback: Loopback;
}

const NAME = /^[a-z_][a-z0-9_-]*$/;
const CHAIN = 'output';
const CHAIN_SIGNATURE = `chain ${CHAIN} type=filter hook=output prio=0 policy=accept`;

function ports(loopback: Loopback): number[] {
  return Array.isArray(loopback) ? [...new Set(loopback)].sort((a, b) => a - b) : [];
}

function portMatch(list: number[]): string {
  return list.length === 1 ? String(list[0]) : `{ ${list.join(', ')} }`;
}

/** The nft script that (re)creates the table with exactly these rules. */
export function renderTableScript(table: string, rules: readonly OfflineRule[]): string {
  if (!NAME.test(table)) throw new CorralError('internal', `bad nft table name ${JSON.stringify(table)}`);
  const lines = [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `\tchain ${CHAIN} {`,
    '\t\ttype filter hook output priority filter; policy accept;',
  ];
  for (const r of [...rules].sort((a, b) => a.identity.localeCompare(b.identity))) {
    if (!NAME.test(r.identity)) throw new CorralError('internal', `bad identity name ${JSON.stringify(r.identity)}`);
    const p = ports(r.loopback);
    if (p.length > 0) {
      for (const proto of ['tcp', 'udp']) {
        lines.push(`\t\tmeta skuid "${r.identity}" oif "lo" ${proto} dport ${portMatch(p)} accept`);
      }
    }
    lines.push(`\t\tmeta skuid "${r.identity}" reject with icmpx admin-prohibited`);
  }
  lines.push('\t}', '}', '');
  return lines.join('\n');
}

/** The signature `nft -j list table` must have, given each identity's uid. */
export function expectedSignature(rules: readonly (OfflineRule & { uid: number })[]): string[] {
  const out = [CHAIN_SIGNATURE];
  for (const r of [...rules].sort((a, b) => a.identity.localeCompare(b.identity))) {
    const p = ports(r.loopback);
    const right = p.length === 1 ? String(p[0]) : JSON.stringify({ set: p });
    if (p.length > 0) {
      for (const proto of ['tcp', 'udp']) out.push(`rule ${CHAIN}: meta.skuid==${r.uid} meta.oif=="lo" ${proto}.dport==${right} accept`);
    }
    out.push(`rule ${CHAIN}: meta.skuid==${r.uid} reject:icmpx:admin-prohibited`);
  }
  return out;
}

function exprSignature(e: Record<string, unknown>): string {
  const m = e.match as { op?: string; left?: Record<string, unknown>; right?: unknown } | undefined;
  if (m !== undefined && m.left !== undefined) {
    const meta = m.left.meta as { key?: string } | undefined;
    const payload = m.left.payload as { protocol?: string; field?: string } | undefined;
    const left = meta !== undefined ? `meta.${meta.key}` : payload !== undefined ? `${payload.protocol}.${payload.field}` : JSON.stringify(m.left);
    return `${left}${m.op ?? '?'}${JSON.stringify(m.right)}`;
  }
  if ('accept' in e) return 'accept';
  const rej = e.reject as { type?: string; expr?: string } | undefined;
  if (rej !== undefined) return `reject:${rej.type}:${rej.expr}`;
  return JSON.stringify(e);
}

/** The signature of a live table from `nft -j list table` output (chains and rules, no handles). */
export function liveSignature(json: string): string[] {
  const doc = JSON.parse(json) as { nftables?: Record<string, Record<string, unknown>>[] };
  const out: string[] = [];
  for (const item of doc.nftables ?? []) {
    if (item.chain !== undefined) {
      const c = item.chain;
      out.push(`chain ${String(c.name)} type=${String(c.type)} hook=${String(c.hook)} prio=${String(c.prio)} policy=${String(c.policy)}`);
    } else if (item.rule !== undefined) {
      const r = item.rule as { chain: string; expr: Record<string, unknown>[] };
      out.push(`rule ${r.chain}: ${r.expr.map(exprSignature).join(' ')}`);
    } else if (item.set !== undefined || item.map !== undefined || item.element !== undefined) {
      out.push(`other ${JSON.stringify(item)}`);
    }
  }
  return out;
}

/** The live table's signature, or null when the table does not exist. */
export async function readTable(table: string): Promise<string[] | null> {
  const r = await run('nft', ['-j', 'list', 'table', 'inet', table], { okCodes: [0, 1] });
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return null;
    throw new CorralError('step_failed', `nft -j list table inet ${table} failed: ${r.stderr.trim()}`);
  }
  return liveSignature(r.stdout);
}

export async function applyTable(script: string): Promise<void> {
  await run('nft', ['-f', '-'], { input: script });
}

export async function deleteTable(table: string): Promise<void> {
  const r = await run('nft', ['delete', 'table', 'inet', table], { okCodes: [0, 1] });
  if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) {
    throw new CorralError('step_failed', `nft delete table inet ${table} failed: ${r.stderr.trim()}`);
  }
}

export function sameSignature(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
