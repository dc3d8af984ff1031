/**
 * Who is on the other end of a loopback TCP connection: the owner (uid) of the connecting
 * socket, read from the kernel's socket table of the network namespace (/proc/net/tcp and
 * tcp6, which list every socket with its addresses, state and uid). Used by the forwarder of
 * published ports (publish-main.ts) to serve the real user and root only.
 *
 * Why this is sound for loopback: both ends of the connection are sockets of this namespace,
 * so the client's socket is in the same table, found by the 4-tuple mirrored (its local
 * address is our peer address, its remote address our local one), and a 4-tuple names one
 * connection at a time. Only an ESTABLISHED full socket counts: a socket its process has
 * already closed can be shown with no owner (uid 0 for TIME_WAIT), which must not pass as
 * root; such a connection is refused (fail closed), as is one not found at all.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

const TCP_ESTABLISHED = '01';

/** An address as /proc/net/tcp{,6} prints it: the raw 32-bit words of the address, each in host byte order, as hex. */
export function procAddress(address: string, littleEndian = endianness() === 'LE'): string | null {
  const words = addressWords(address);
  if (words === null) return null;
  return words.map((w) => (littleEndian ? Buffer.from(w).reverse() : Buffer.from(w)).toString('hex').toUpperCase()).join('');
}

/** The address's bytes in network order, cut into 4-byte words; null when it is neither IPv4 nor IPv6 text. */
function addressWords(address: string): Uint8Array[] | null {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    const bytes = address.split('.').map(Number);
    return bytes.some((b) => b > 255) ? null : [Uint8Array.from(bytes)];
  }
  const bytes = ipv6Bytes(address);
  return bytes === null ? null : [0, 4, 8, 12].map((i) => bytes.subarray(i, i + 4));
}

function ipv6Bytes(address: string): Uint8Array | null {
  let text = address;
  const out = new Uint8Array(16);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail !== null) {
    const b = tail[1]!.split('.').map(Number);
    text = `${text.slice(0, tail.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export interface Endpoint {
  address: string;
  port: number;
}

/**
 * The uid owning the ESTABLISHED socket whose local end is `peer` and remote end `local`, in
 * the text of /proc/net/tcp or tcp6; null when there is none.
 */
export function ownerInTable(table: string, peer: Endpoint, local: Endpoint, littleEndian = endianness() === 'LE'): number | null {
  const peerAddr = procAddress(peer.address, littleEndian);
  const localAddr = procAddress(local.address, littleEndian);
  if (peerAddr === null || localAddr === null) return null;
  const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const want = { local: `${peerAddr}:${hexPort(peer.port)}`, remote: `${localAddr}:${hexPort(local.port)}` };
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    if (f[1] === want.local && f[2] === want.remote && f[3] === TCP_ESTABLISHED) {
      const uid = Number(f[7]);
      return Number.isInteger(uid) ? uid : null;
    }
  }
  return null;
}

/** The owner of the connecting socket of a loopback connection in this process's network namespace, or null. */
export function loopbackPeerUid(peer: Endpoint, local: Endpoint): number | null {
  const v6 = peer.address.includes(':');
  let table: string;
  try {
    table = readFileSync(v6 ? '/proc/net/tcp6' : '/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  return ownerInTable(table, peer, local);
}
