/**
 * Refused packets that can be seen: the offline session's own network namespace gets a route
 * for everything (IPv4 and IPv6 `default dev lo`) and one nft table whose output chain lets
 * loopback destinations through and logs every other packet to the session's nflog group
 * (nflog.ts) before refusing it. Without this, a connect(2) to a non-loopback address fails
 * with ENETUNREACH in the routing lookup, before any netfilter hook, and nothing but the
 * namespace's no-route counters sees it (no-route.ts). A `blackhole`/`unreachable`/`prohibit`
 * route would fail the same way, before the hooks; a route into `lo` reaches the output hook.
 *
 * The refusal must fail the command at once, as ENETUNREACH did, never make it hang:
 *  - TCP: `reject with tcp reset` — connect(2) fails with ECONNREFUSED at once. (An ICMP
 *    reject does not: measured on kernel 6.18, an IPv4 connect through `lo` retransmits its
 *    SYN until its timeout, an IPv6 one fails after a second.) The reset, addressed to
 *    127.0.0.1 or ::1, passes the chain's loopback rule.
 *  - everything else (UDP, a name lookup, ICMP): `drop` — a packet dropped in the output
 *    hook fails the send(2)/sendto(2) itself with EPERM, at once, connected or not.
 * IPv4's route carries `src 127.0.0.1`: without it a socket in a namespace whose only address
 * is loopback gets the source 0.0.0.0, and the reset has nowhere to go (connect hangs).
 *
 * Order, so that a failure never leaves a route without the table (packets routed into `lo`
 * with no refusal would be looped back and lost: a connect would hang): the caller opens the
 * nflog socket, then install() loads the table, then adds the routes. A table that cannot be
 * loaded means no routes: the namespace stays as before (ENETUNREACH, counted).
 *
 * The table is loaded through libnftables in this process (measured: ~2 ms from a cold
 * library, against ~5 ms for a `nft -f` child), from a constant text: nothing of the request
 * goes into it. The session's commands have no CAP_NET_ADMIN in the namespace (it belongs to
 * the initial user namespace, and they run as the identity with no capabilities), so they
 * can neither change the table nor the routes: `nft` and `ip route` in a session fail with
 * EPERM (tested in run-refusals.test.ts).
 */
import { check, koffi, libcFunction } from '../../os/linux/libc.js';
import { SESSION_NFLOG_GROUP } from './nflog.js';

export const SESSION_TABLE = 'corral_session';

/** The table (constant but for the group, a number). */
export function refusalTableText(group = SESSION_NFLOG_GROUP): string {
  return [
    `table inet ${SESSION_TABLE} {`,
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    '\t\tip daddr 127.0.0.0/8 accept',
    '\t\tip6 daddr ::1 accept',
    `\t\tlog group ${Math.trunc(group)} goto refuse`,
    '\t}',
    '\tchain refuse {',
    '\t\tmeta l4proto tcp reject with tcp reset',
    '\t\tdrop',
    '\t}',
    '}',
    '',
  ].join('\n');
}

type Fn = (...args: unknown[]) => unknown;
let nftables: { ctxNew: Fn; bufferError: Fn; errorBuffer: Fn; run: Fn; free: Fn } | undefined;

function libnftables(): NonNullable<typeof nftables> {
  if (nftables === undefined) {
    const lib = koffi.load('libnftables.so.1');
    nftables = {
      ctxNew: lib.func('void *nft_ctx_new(uint32_t flags)') as Fn,
      bufferError: lib.func('int nft_ctx_buffer_error(void *ctx)') as Fn,
      errorBuffer: lib.func('const char *nft_ctx_get_error_buffer(void *ctx)') as Fn,
      run: lib.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)') as Fn,
      free: lib.func('void nft_ctx_free(void *ctx)') as Fn,
    };
  }
  return nftables;
}

/** Load `text` into the calling thread's network namespace's ruleset (root). */
export function loadRuleset(text: string): void {
  const nft = libnftables();
  const ctx = nft.ctxNew(0);
  if (ctx === null) throw new Error('nft_ctx_new failed');
  try {
    nft.bufferError(ctx);
    if (nft.run(ctx, text) !== 0) throw new Error(`nft refused the session table: ${String(nft.errorBuffer(ctx) ?? '').trim()}`);
  } finally {
    nft.free(ctx);
  }
}

const AF_NETLINK = 16;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const RTM_NEWROUTE = 24;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLMSG_ERROR = 2;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;
const RTA_OIF = 4;
const RTA_PREFSRC = 7;
/** The loopback device's index in every network namespace (LOOPBACK_IFINDEX). */
const LOOPBACK_IFINDEX = 1;

const socket = libcFunction('int socket(int domain, int type, int protocol)');
const send = libcFunction('long send(int fd, void *buf, size_t len, int flags)');
const recv = libcFunction('long recv(int fd, void *buf, size_t len, int flags)');
const close = libcFunction('int close(int fd)');

function rta(type: number, value: Buffer): Buffer {
  const a = Buffer.alloc((4 + value.length + 3) & ~3);
  a.writeUInt16LE(4 + value.length, 0);
  a.writeUInt16LE(type, 2);
  value.copy(a, 4);
  return a;
}

/** RTM_NEWROUTE for `default dev lo` (IPv4: `scope link src 127.0.0.1`). Pure, for the test. */
export function defaultRouteRequest(family: 4 | 6, seq: number): Buffer {
  const oif = Buffer.alloc(4);
  oif.writeUInt32LE(LOOPBACK_IFINDEX, 0);
  const attrs = [rta(RTA_OIF, oif), ...(family === 4 ? [rta(RTA_PREFSRC, Buffer.from([127, 0, 0, 1]))] : [])];
  const rtmsg = Buffer.from([family === 4 ? AF_INET : AF_INET6, 0, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, family === 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, RTN_UNICAST, 0, 0, 0, 0]);
  const body = Buffer.concat([rtmsg, ...attrs]);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(RTM_NEWROUTE, 4);
  header.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 6);
  header.writeUInt32LE(seq, 8);
  return Buffer.concat([header, body]);
}

/** Add a route through rtnetlink; the errno name the kernel answered, or null when it took it. */
function addRoute(family: 4 | 6): string | null {
  const fd = check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), 'socket(AF_NETLINK, NETLINK_ROUTE)');
  try {
    const request = defaultRouteRequest(family, 1);
    check(send(fd, request, request.length, 0), 'send(RTM_NEWROUTE)');
    const reply = Buffer.alloc(1024);
    const n = check(recv(fd, reply, reply.length, 0), 'recv(RTM_NEWROUTE)');
    if (n < 20 || reply.readUInt16LE(4) !== NLMSG_ERROR) return 'no answer';
    const errno = -reply.readInt32LE(16);
    return errno === 0 ? null : String(errno);
  } finally {
    close(fd);
  }
}

/**
 * Root phase, in the session's fresh network namespace with `lo` up and the nflog socket
 * bound: the table, then the routes. Throws (with nothing of it in force) when the table or
 * the IPv4 route cannot be made; an IPv6 route the kernel refuses (IPv6 disabled) is left out —
 * IPv6 then fails with ENETUNREACH as before, counted by the no-route counters.
 */
export function installRefusalTable(): { ipv6: boolean } {
  loadRuleset(refusalTableText());
  const v4 = addRoute(4);
  if (v4 !== null) {
    loadRuleset(`delete table inet ${SESSION_TABLE}\n`);
    throw new Error(`the kernel refused the session's IPv4 route (errno ${v4})`);
  }
  return { ipv6: addRoute(6) === null };
}
