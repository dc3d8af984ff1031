/**
 * The kernel's no-route counters of the runner's network namespace: IPv4 `OutNoRoutes`
 * (/proc/self/net/snmp) plus IPv6 `Ip6OutNoRoutes` (/proc/self/net/snmp6). In an offline
 * session's namespace (no interface but `lo`) every connect(2) or datagram to an address
 * outside it fails with ENETUNREACH and counts once — also a name lookup, whose name server
 * is unreachable by design (session-view.ts, offline resolv.conf). The counters belong to the
 * namespace, which only the session's commands (and the runner, which sends nothing) use;
 * the value is a count, never read from anything the session can write.
 */
import { readFileSync } from 'node:fs';

/** The field `name` of the `prefix` table in /proc/net/snmp's two-line layout, or 0. */
export function snmpField(text: string, prefix: string, name: string): number {
  const rows = text.split('\n').filter((l) => l.startsWith(`${prefix}:`));
  if (rows.length < 2) return 0;
  const names = rows[0]!.split(/\s+/).slice(1);
  const values = rows[1]!.split(/\s+/).slice(1);
  const at = names.indexOf(name);
  const value = at < 0 ? NaN : Number(values[at]);
  return Number.isFinite(value) ? value : 0;
}

/** A field of /proc/net/snmp6 (`name value` per line), or 0. */
export function snmp6Field(text: string, name: string): number {
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === name) {
      const n = Number(value);
      return Number.isFinite(n) ? n : 0;
    }
  }
  return 0;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // IPv6 disabled: no snmp6
  }
}

/** OutNoRoutes + Ip6OutNoRoutes of the calling thread's network namespace. */
export function noRouteCount(): number {
  return snmpField(readOr('/proc/self/net/snmp'), 'Ip', 'OutNoRoutes') + snmp6Field(readOr('/proc/self/net/snmp6'), 'Ip6OutNoRoutes');
}

/**
 * The count as a session tracks it: read once per command, at its end (a read is ~0.1 ms, and a
 * spawn need not pay it). A command's baseline is the count last read — at the session's start
 * or the previous command's end — which nothing but the session's own commands moves.
 */
export class NoRouteTally {
  private last: number;

  /**
   * `refused`: the session's refusals counted elsewhere (the nflog source's, violations.ts),
   * added in: once the namespace has a route into its refusal table, a connection no longer
   * fails for want of a route, and the two counts together are the session's attempts.
   */
  constructor(private readonly refused: () => number = () => 0) {
    this.last = this.count();
  }

  private count(): number {
    return noRouteCount() + this.refused();
  }

  /** The count as last read (no system call): a starting command's baseline. */
  seen(): number {
    return this.last;
  }

  /** Read the count now (a command's end). */
  read(): number {
    this.last = this.count();
    return this.last;
  }
}
