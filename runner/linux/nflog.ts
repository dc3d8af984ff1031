/**
 * The session namespace's refused packets, read from nfnetlink_log: the nft table of the
 * session's own network namespace (refusal-table.ts) logs every packet it refuses to group
 * SESSION_NFLOG_GROUP, and this socket, the group's only listener, receives them.
 *
 * Opened in the root phase, inside the session's network namespace (nflog groups belong to a
 * namespace: the socket is the namespace's because it is created after the unshare), before
 * Landlock and the uid drop: binding a group needs CAP_NET_ADMIN, receiving afterwards needs
 * nothing. Read in the serving phase by non-blocking receives, like the Landlock source.
 *
 * Threat model: the namespace holds only this session's commands, so every message on this
 * socket is this session's — attribution to the session is exact by construction, and to a
 * command by time (violations.ts). The commands cannot unbind, rebind or reconfigure the group
 * (nfnetlink refuses every message without CAP_NET_ADMIN in the namespace's owner, the initial
 * user namespace, and an nflog instance answers only to the socket that bound it), nor send
 * to this socket (NETLINK_NETFILTER has no unprivileged send), nor take the descriptor (the
 * runner is non-dumpable after the drop; the socket is close-on-exec). Messages whose sender
 * is not the kernel (nl_pid ≠ 0) are dropped anyway. What the messages carry is parsed with
 * bounds (nflog-records.ts).
 */
import { check, errnoName, lastErrno, libcFunction } from '../../os/linux/libc.js';
import { NFNL_SUBSYS_ULOG, NFULNL_MSG_CONFIG, parseNflogDatagram, SequenceGaps, type LoggedPacket } from './nflog-records.js';

/** The group the session's table logs to. Groups are per network namespace: one number serves every session. */
export const SESSION_NFLOG_GROUP = 7;
/** Bytes of each refused packet copied: an IPv6 header, a few extension headers and the ports. */
export const COPY_RANGE = 128;

const AF_NETLINK = 16;
const AF_UNSPEC = 0;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_NETFILTER = 12;
const SOL_SOCKET = 1;
const SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLMSG_ERROR = 2;
const ENOBUFS = 105;
const EINTR = 4;
const NFULA_CFG_CMD = 1;
const NFULA_CFG_MODE = 2;
const NFULA_CFG_QTHRESH = 5;
const NFULA_CFG_FLAGS = 6;
const NFULNL_CFG_CMD_BIND = 1;
const NFULNL_COPY_PACKET = 2;
const NFULNL_CFG_F_SEQ = 1;
/** Room for several thousand messages between two reads (the kernel doubles the value asked for). */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** Datagrams read per drain: a command that floods cannot keep the runner in one read forever. */
const MAX_DATAGRAMS_PER_DRAIN = 4096;

const socket = libcFunction('int socket(int domain, int type, int protocol)');
const bind = libcFunction('int bind(int fd, void *addr, uint32_t len)');
const setsockopt = libcFunction('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
const send = libcFunction('long send(int fd, void *buf, size_t len, int flags)');
const recvfrom = libcFunction('long recvfrom(int fd, void *buf, size_t len, int flags, void *from, _Inout_ uint32_t *fromlen)');
const close = libcFunction('int close(int fd)');

function attribute(type: number, value: Buffer): Buffer {
  const a = Buffer.alloc((4 + value.length + 3) & ~3);
  a.writeUInt16LE(4 + value.length, 0);
  a.writeUInt16LE(type, 2);
  value.copy(a, 4);
  return a;
}

/**
 * The NFULNL_MSG_CONFIG request that binds `group` to the sending socket: copy the first
 * `copyRange` bytes of each packet, deliver each message at once (queue threshold 1: the
 * kernel's default batches up to a second), number them (NFULNL_CFG_F_SEQ). Pure, for the test.
 */
export function configRequest(group: number, copyRange: number, seq = 1): Buffer {
  const mode = Buffer.alloc(6);
  mode.writeUInt32BE(copyRange, 0);
  mode[4] = NFULNL_COPY_PACKET;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const flags = Buffer.alloc(2);
  flags.writeUInt16BE(NFULNL_CFG_F_SEQ, 0);
  const body = Buffer.concat([
    attribute(NFULA_CFG_CMD, Buffer.from([NFULNL_CFG_CMD_BIND])),
    attribute(NFULA_CFG_MODE, mode),
    attribute(NFULA_CFG_QTHRESH, u32(1)),
    attribute(NFULA_CFG_FLAGS, flags),
  ]);
  const header = Buffer.alloc(16 + 4);
  header.writeUInt32LE(header.length + body.length, 0);
  header.writeUInt16LE((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, 4);
  header.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  header.writeUInt32LE(seq, 8);
  header[16] = AF_UNSPEC;
  header[17] = 0; // NFNETLINK_V0
  header.writeUInt16BE(group, 18);
  return Buffer.concat([header, body]);
}

/** The session's nflog socket (see the header). */
export class NflogSocket {
  /** Messages the kernel built for this socket and could not deliver (sequence gaps, overflows). */
  lost = 0;
  private readonly gaps = new SequenceGaps();
  private readonly buffer = Buffer.alloc(65536);
  private readonly from = Buffer.alloc(12);

  private constructor(private fd: number) {}

  /** Root phase, inside the session's network namespace. Throws a LibcError when the kernel refuses. */
  static open(group = SESSION_NFLOG_GROUP): NflogSocket {
    const fd = check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), 'socket(AF_NETLINK, NETLINK_NETFILTER)');
    try {
      const size = Buffer.alloc(4);
      size.writeInt32LE(RECEIVE_BUFFER_BYTES, 0);
      check(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4), 'setsockopt(SO_RCVBUFFORCE)');
      const addr = Buffer.alloc(12);
      addr.writeUInt16LE(AF_NETLINK, 0);
      check(bind(fd, addr, 12), 'bind(NETLINK_NETFILTER)');
      const request = configRequest(group, COPY_RANGE);
      check(send(fd, request, request.length, 0), 'send(NFULNL_MSG_CONFIG)');
      const reply = Buffer.alloc(4096);
      const n = check(recvfrom(fd, reply, reply.length, 0, null, null), 'recv(NFULNL_MSG_CONFIG)');
      if (n < 20 || reply.readUInt16LE(4) !== NLMSG_ERROR) throw new Error('nfnetlink_log gave no answer to the group bind');
      const errno = -reply.readInt32LE(16);
      if (errno !== 0) throw new Error(`nfnetlink_log refused the group bind: ${errnoName(errno)}`);
      return new NflogSocket(fd);
    } catch (err) {
      close(fd);
      throw err;
    }
  }

  /** Every packet logged so far, without blocking (at most MAX_DATAGRAMS_PER_DRAIN datagrams). */
  drain(): LoggedPacket[] {
    const out: LoggedPacket[] = [];
    for (let i = 0; this.fd >= 0 && i < MAX_DATAGRAMS_PER_DRAIN; i++) {
      const fromLength = [this.from.length];
      const n = Number(recvfrom(this.fd, this.buffer, this.buffer.length, MSG_DONTWAIT, this.from, fromLength));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === ENOBUFS) {
          this.lost += this.gaps.overflow();
          continue;
        }
        if (errno === EINTR) continue;
        break; // EAGAIN: nothing more; anything else: nothing to read either
      }
      if (n === 0) break;
      // sockaddr_nl.nl_pid at offset 4: 0 is the kernel. Nothing else can send here; dropped all the same.
      if (this.from.readUInt32LE(4) !== 0) continue;
      for (const packet of parseNflogDatagram(this.buffer, n)) {
        this.lost += this.gaps.see(packet.seq);
        out.push(packet);
      }
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }
}
