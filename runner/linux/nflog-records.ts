/**
 * nfnetlink_log messages (the `log group N` of the session's nft table, nflog.ts) parsed into
 * violation records: pure, unit-tested on any OS.
 *
 * A datagram holds one or more netlink messages (nlmsghdr: u32 len, u16 type, u16 flags, u32
 * seq, u32 pid), each an NFULNL_MSG_PACKET — type NFNL_SUBSYS_ULOG << 8 — with a nfgenmsg (u8
 * family, u8 version, be16 group), then netlink attributes (u16 len, u16 type, value, aligned
 * to 4). Of those this reads NFULA_PAYLOAD (the packet from its IP header, cut to the copy
 * range), NFULA_UID (be32: the sending socket's owner) and NFULA_SEQ (be32: the instance's
 * sequence number, whose gaps count the messages the kernel could not deliver).
 *
 * Threat model: the messages come from the kernel (nflog.ts keeps only those whose sender
 * address is the kernel's, and unprivileged processes cannot send on NETLINK_NETFILTER), but
 * the packet inside was built by the session's network stack for a destination the sandboxed
 * command chose, and the copy is cut at an arbitrary byte. So every length read here — of a
 * message, an attribute, an IP header, an IPv6 extension header — is bounded by what is left
 * of the buffer, and anything that does not parse is skipped, never trusted.
 */
import type { ViolationRecord } from '../../core/protocol.js';

export const NFNL_SUBSYS_ULOG = 4;
export const NFULNL_MSG_PACKET = 0;
export const NFULNL_MSG_CONFIG = 1;
export const NFULA_PACKET_HDR = 1;
export const NFULA_PAYLOAD = 9;
export const NFULA_UID = 11;
export const NFULA_SEQ = 12;
const NLMSG_HDR = 16;
const NFGENMSG = 4;
const NLA_TYPE_MASK = 0x3fff;
/** At most this many IPv6 extension headers are walked before giving up on the upper layer. */
const MAX_IPV6_EXTENSIONS = 8;

/** One logged packet, as far as it parsed. */
export interface LoggedPacket {
  /** 4 or 6; null when the payload is not an IP packet. */
  ipVersion: 4 | 6 | null;
  /** The destination address in its usual text form ('' when unknown). */
  address: string;
  /** The IP protocol number of the upper layer (null when unknown). */
  protocol: number | null;
  /** The destination port (TCP, UDP, UDP-Lite, SCTP, DCCP), when the header was in the copy. */
  port: number | null;
  /** The sending socket's owner, when the kernel said. */
  uid: number | null;
  /** The nflog instance's sequence number, when the kernel said. */
  seq: number | null;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The packets of one datagram from the kernel; messages of other types are skipped. */
export function parseNflogDatagram(buf: Buffer, length = buf.length): LoggedPacket[] {
  const end = Math.min(length, buf.length);
  const out: LoggedPacket[] = [];
  for (let at = 0; at + NLMSG_HDR <= end; ) {
    const len = buf.readUInt32LE(at);
    const type = buf.readUInt16LE(at + 4);
    if (len < NLMSG_HDR || len > end - at) break;
    if (type === ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) && len >= NLMSG_HDR + NFGENMSG) {
      out.push(parsePacketMessage(buf.subarray(at + NLMSG_HDR + NFGENMSG, at + len)));
    }
    at += align4(len);
  }
  return out;
}

/** The attributes of one NFULNL_MSG_PACKET (after its nfgenmsg). */
function parsePacketMessage(attrs: Buffer): LoggedPacket {
  let payload: Buffer | null = null;
  let uid: number | null = null;
  let seq: number | null = null;
  for (let at = 0; at + 4 <= attrs.length; ) {
    const len = attrs.readUInt16LE(at);
    const type = attrs.readUInt16LE(at + 2) & NLA_TYPE_MASK;
    if (len < 4 || len > attrs.length - at) break;
    const value = attrs.subarray(at + 4, at + len);
    if (type === NFULA_PAYLOAD) payload = value;
    else if (type === NFULA_UID && value.length >= 4) uid = value.readUInt32BE(0);
    else if (type === NFULA_SEQ && value.length >= 4) seq = value.readUInt32BE(0);
    at += align4(len);
  }
  return { ...parseIpPacket(payload ?? Buffer.alloc(0)), uid, seq };
}

function portAt(packet: Buffer, offset: number, protocol: number): number | null {
  // TCP 6, UDP 17, DCCP 33, SCTP 132, UDP-Lite 136: the destination port is the second u16.
  if (![6, 17, 33, 132, 136].includes(protocol)) return null;
  return offset + 4 <= packet.length ? packet.readUInt16BE(offset + 2) : null;
}

/** The destination of an IPv4 or IPv6 packet (cut anywhere). */
export function parseIpPacket(packet: Buffer): Pick<LoggedPacket, 'ipVersion' | 'address' | 'protocol' | 'port'> {
  const none = { ipVersion: null, address: '', protocol: null, port: null };
  if (packet.length < 1) return none;
  const version = packet[0]! >> 4;
  if (version === 4) {
    if (packet.length < 20) return { ...none, ipVersion: 4 };
    const ihl = (packet[0]! & 0x0f) * 4;
    const protocol = packet[9]!;
    const address = [...packet.subarray(16, 20)].join('.');
    // A later fragment (offset ≠ 0) carries no upper-layer header.
    const fragmentOffset = packet.readUInt16BE(6) & 0x1fff;
    const port = ihl < 20 || fragmentOffset !== 0 ? null : portAt(packet, ihl, protocol);
    return { ipVersion: 4, address, protocol, port };
  }
  if (version === 6) {
    if (packet.length < 40) return { ...none, ipVersion: 6 };
    const address = ipv6Text(packet.subarray(24, 40));
    let next = packet[6]!;
    let offset = 40;
    for (let i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
      if (next === 0 || next === 43 || next === 60) {
        // Hop-by-hop, routing, destination options: (hdr ext len + 1) * 8 bytes.
        if (offset + 2 > packet.length) return { ipVersion: 6, address, protocol: null, port: null };
        const following = packet[offset]!;
        offset += (packet[offset + 1]! + 1) * 8;
        next = following;
      } else if (next === 44) {
        // Fragment: 8 bytes; only the first fragment carries the upper-layer header.
        if (offset + 8 > packet.length) return { ipVersion: 6, address, protocol: null, port: null };
        const following = packet[offset]!;
        const fragmentOffset = packet.readUInt16BE(offset + 2) >> 3;
        offset += 8;
        next = following;
        if (fragmentOffset !== 0) return { ipVersion: 6, address, protocol: next, port: null };
      } else {
        return { ipVersion: 6, address, protocol: next, port: portAt(packet, offset, next) };
      }
    }
    return { ipVersion: 6, address, protocol: null, port: null };
  }
  return none;
}

/** RFC 5952 text of 16 address bytes (the longest run of two or more zero groups as ::; IPv4-mapped as ::ffff:a.b.c.d). */
export function ipv6Text(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite' };

/** A logged packet as a violation: kind connect, target `address:port` (`[v6]:port`), operation `packet.<protocol>`. */
export function packetViolation(p: LoggedPacket, rule: string, time: string): ViolationRecord {
  const host = p.ipVersion === 6 ? `[${p.address}]` : p.address;
  const target = p.address === '' ? '' : p.port === null ? p.address : `${host}:${p.port}`;
  const protocol = p.protocol === null ? 'ip' : (PROTOCOL_NAMES[p.protocol] ?? `proto-${p.protocol}`);
  return { kind: 'connect', target, operation: `packet.${protocol}`, time, rule, source: 'nflog' };
}

/**
 * Messages lost between two sequence numbers: the kernel numbers each message it builds for
 * the instance, so a jump is how many it built and could not deliver (the socket was full).
 */
export class SequenceGaps {
  /** `first`: the number the next message should carry (0 for an instance just bound: the kernel starts there). */
  constructor(private next: number | null = 0) {}

  /** Losses already counted from an overflow (ENOBUFS) whose gap has not been seen yet. */
  private owed = 0;

  /** The socket reported an overflow: at least one message lost (counted now, settled at the next gap). */
  overflow(): number {
    this.owed += 1;
    return 1;
  }

  /** A message with sequence number `seq`: how many were lost just before it (not yet counted). */
  see(seq: number | null): number {
    if (seq === null) return 0;
    const expected = this.next;
    this.next = (seq + 1) >>> 0;
    if (expected === null) return 0;
    const gap = (seq - expected) >>> 0;
    // A "gap" of more than 2^31 is a message from before (reordering does not happen on one socket): ignore it.
    if (gap === 0 || gap > 0x7fffffff) return 0;
    const counted = Math.min(gap, this.owed);
    this.owed -= counted;
    return gap - counted;
  }
}
