/**
 * Who listens on which local TCP port (iphlpapi GetExtendedTcpTable with
 * TCP_TABLE_OWNER_PID_LISTENER, IPv4 and IPv6): each listening socket with its local address,
 * port and owning process id. No privilege is needed to read it.
 *
 * Why Corral asks: the allowlist proxy's port on Windows is fixed per installation, so anyone
 * may try to hold it — a sandboxed process of the offline identity that binds it first and
 * answers later sessions as if it were the proxy, or another program of the real user's. Node
 * binds without SO_EXCLUSIVEADDRUSE (libuv src/win/tcp.c uv__tcp_try_bind sets neither that nor
 * SO_REUSEADDR; Node's `exclusive` listen option is about cluster workers sharing a handle, not
 * a socket option), so the launcher reads this table after binding and refuses to serve when any
 * other process holds a socket on the port, on any local address (0.0.0.0 and :: included,
 * which Windows would let coexist with a specific binding). See
 * orchestrator/bridge/windows/proxy-host.ts.
 *
 * The parsing is pure (tested on any OS); the call is the only Win32 part.
 */
import { bindPrototypes, declarePrototypes, type Bound, type Declarations } from './library.js';
import { win32Failure } from './win32-error.js';

export interface TcpListener {
  /** Dotted IPv4 or compressed IPv6 text (`0.0.0.0`, `::` for the wildcard). */
  address: string;
  port: number;
  pid: number;
}

const IPHLPAPI = {
  GetExtendedTcpTable:
    'uint32 __stdcall GetExtendedTcpTable(void *pTcpTable, _Inout_ uint32 *pdwSize, int bOrder, uint32 ulAf, int TableClass, uint32 Reserved)',
} as const;

const AF_INET = 2;
const AF_INET6 = 23;
const TCP_TABLE_OWNER_PID_LISTENER = 3;
const NO_ERROR = 0;
const ERROR_INSUFFICIENT_BUFFER = 122;
/** MIB_TCPROW_OWNER_PID: state, local addr, local port, remote addr, remote port, pid (DWORDs). */
const ROW4_BYTES = 24;
/** MIB_TCP6ROW_OWNER_PID: local addr[16], scope, port, remote addr[16], scope, port, state, pid. */
const ROW6_BYTES = 56;

let api: Bound<typeof IPHLPAPI> | undefined;

export function tcpListenerDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(IPHLPAPI) };
}

/** A port as the table stores it: network byte order in the low 16 bits of a DWORD, i.e. its first two bytes. */
function portAt(buffer: Buffer, offset: number): number {
  return (buffer[offset]! << 8) | buffer[offset + 1]!;
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as net.isIP-style text.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

function checkedCount(buffer: Buffer, rowBytes: number, what: string): number {
  if (buffer.length < 4) throw new RangeError(`${what}: ${buffer.length} bytes, less than the entry count`);
  const count = buffer.readUInt32LE(0);
  if (4 + count * rowBytes > buffer.length) throw new RangeError(`${what}: ${count} rows do not fit in ${buffer.length} bytes`);
  return count;
}

/** MIB_TCPTABLE_OWNER_PID as returned for AF_INET. Pure. */
export function parseTcp4Table(buffer: Buffer): TcpListener[] {
  const count = checkedCount(buffer, ROW4_BYTES, 'MIB_TCPTABLE_OWNER_PID');
  const out: TcpListener[] = [];
  for (let i = 0; i < count; i += 1) {
    const row = 4 + i * ROW4_BYTES;
    const address = [...buffer.subarray(row + 4, row + 8)].join('.');
    out.push({ address, port: portAt(buffer, row + 8), pid: buffer.readUInt32LE(row + 20) });
  }
  return out;
}

/** MIB_TCP6TABLE_OWNER_PID as returned for AF_INET6. Pure. */
export function parseTcp6Table(buffer: Buffer): TcpListener[] {
  const count = checkedCount(buffer, ROW6_BYTES, 'MIB_TCP6TABLE_OWNER_PID');
  const out: TcpListener[] = [];
  for (let i = 0; i < count; i += 1) {
    const row = 4 + i * ROW6_BYTES;
    out.push({ address: ipv6Text(buffer.subarray(row, row + 16)), port: portAt(buffer, row + 20), pid: buffer.readUInt32LE(row + 52) });
  }
  return out;
}

function table(family: number): Buffer {
  api ??= bindPrototypes('iphlpapi.dll', IPHLPAPI);
  // The table can grow between the size query and the read: ask again with the size it says.
  let size = 4096;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const buffer = Buffer.alloc(size);
    const inOut = [size];
    const status = api.GetExtendedTcpTable(buffer, inOut, 0, family, TCP_TABLE_OWNER_PID_LISTENER, 0) as number;
    if (status === NO_ERROR) return buffer;
    if (status !== ERROR_INSUFFICIENT_BUFFER) throw win32Failure('GetExtendedTcpTable', status, `reading the ${family === AF_INET ? 'IPv4' : 'IPv6'} TCP listener table`);
    size = Math.max(inOut[0] ?? 0, size * 2) + 1024;
  }
  throw win32Failure('GetExtendedTcpTable', ERROR_INSUFFICIENT_BUFFER, 'the TCP listener table kept growing');
}

/** Every listening TCP socket of the machine, IPv4 and IPv6, with its owner's process id. */
export function tcpListeners(): TcpListener[] {
  return [...parseTcp4Table(table(AF_INET)), ...parseTcp6Table(table(AF_INET6))];
}

/**
 * The listeners on `port` that are not `ownPid`'s, on any local address. Pure. Empty: this
 * process alone listens there.
 */
export function foreignListeners(listeners: readonly TcpListener[], port: number, ownPid: number): TcpListener[] {
  return listeners.filter((l) => l.port === port && l.pid !== ownPid);
}
