/**
 * Landlock denials from the kernel's audit stream: the session's violation source on Linux.
 *
 * Opened in the root phase (CAP_AUDIT_READ for the read-log multicast group, CAP_NET_ADMIN for
 * the receive buffer), in the host's network namespace (the kernel multicasts audit records in
 * the initial one only), before Landlock and the uid drop; read afterwards, in the serving
 * phase, by non-blocking receives. It needs neither auditd nor any change to the machine, and
 * coexists with auditd (a multicast reader takes nothing from auditd's unicast stream). It
 * needs the kernel's audit enabled (`auditctl -e 1`, or auditd running): Corral does not turn
 * it on, and says so in `hello` when it is off.
 *
 * Threat model: once bound, the socket would carry every audit record of the machine, other
 * users' included, to a process that then runs as the sandbox identity. So before binding it
 * gets a classic BPF filter that admits only the two Landlock record types, locked
 * (SO_LOCK_FILTER) so that the dropped runner cannot detach it. The commands of the session,
 * which share the runner's uid, cannot take the descriptor: the uid drop left the runner
 * non-dumpable (creds.ts sets PR_SET_DUMPABLE 0 after the drop), so ptrace, pidfd_getfd and
 * /proc/<runner>/fd are closed to them, and the socket is close-on-exec. Which of the
 * Landlock records are this session's is decided by landlock-audit-records.ts.
 */
import { endianness } from 'node:os';
import { check, errnoName, koffi, lastErrno, libcFunction } from '../../os/linux/libc.js';
import { sockFprogType } from '../../os/linux/sock-fprog.js';
import { encode, type Instruction } from './seccomp-program.js';
import { AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN } from './landlock-audit-records.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const NETLINK_AUDIT = 9;
const AUDIT_NLGRP_READLOG = 1;
const SOL_SOCKET = 1;
const SO_RCVBUFFORCE = 33;
const SO_ATTACH_FILTER = 26;
const SO_LOCK_FILTER = 44;
const MSG_DONTWAIT = 0x40;
const AUDIT_GET = 1000;
const NLM_F_REQUEST = 1;
const NLMSG_ERROR = 2;
const EAGAIN = 11;
const ENOBUFS = 105;
const EINTR = 4;
/** Room for about 16,000 records between two reads (the kernel doubles the value asked for). */
const RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;

const socket = libcFunction('int socket(int domain, int type, int protocol)');
const bind = libcFunction('int bind(int fd, void *addr, uint32_t len)');
const setsockoptInt = libcFunction('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
const send = libcFunction('long send(int fd, void *buf, size_t len, int flags)');
const recv = libcFunction('long recv(int fd, void *buf, size_t len, int flags)');
const close = libcFunction('int close(int fd)');
let setsockoptFilter: ((...args: unknown[]) => number) | undefined;

function netlinkSocket(nonBlocking: boolean): number {
  return check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), NETLINK_AUDIT), 'socket(AF_NETLINK, NETLINK_AUDIT)');
}

/** struct sockaddr_nl: u16 family, u16 pad, u32 pid (0: the kernel assigns), u32 groups. */
function sockaddrNl(groups: number): Buffer {
  const addr = Buffer.alloc(12);
  addr.writeUInt16LE(AF_NETLINK, 0);
  addr.writeUInt32LE(groups, 8);
  return addr;
}

function intOption(fd: number, name: number, value: number, what: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value, 0);
  check(setsockoptInt(fd, SOL_SOCKET, name, v, 4), `setsockopt(${what})`);
}

/**
 * The filter: accept a message whose nlmsg_type (u16 at offset 4, in host order; classic
 * BPF's half-word load reads network order) is LANDLOCK_ACCESS or LANDLOCK_DOMAIN; drop the
 * rest. Pure, for the unit test.
 */
export function landlockRecordFilter(hostOrder: 'LE' | 'BE' = endianness()): Instruction[] {
  const asLoaded = (type: number) => (hostOrder === 'LE' ? ((type & 0xff) << 8) | (type >> 8) : type);
  const BPF_LD_H_ABS = 0x28;
  const BPF_JEQ_K = 0x15;
  const BPF_RET_K = 0x06;
  return [
    { code: BPF_LD_H_ABS, jt: 0, jf: 0, k: 4 },
    { code: BPF_JEQ_K, jt: 2, jf: 0, k: asLoaded(AUDIT_LANDLOCK_ACCESS) },
    { code: BPF_JEQ_K, jt: 1, jf: 0, k: asLoaded(AUDIT_LANDLOCK_DOMAIN) },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0 },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0x40000 },
  ];
}

/** Whether the kernel's audit is enabled (AUDIT_GET; root phase: needs CAP_AUDIT_CONTROL). */
export function kernelAuditEnabled(): boolean | string {
  let fd: number;
  try {
    fd = netlinkSocket(false);
  } catch (err) {
    return `no audit netlink (${(err as Error).message})`;
  }
  try {
    check(bind(fd, sockaddrNl(0), 12), 'bind(NETLINK_AUDIT)');
    const request = Buffer.alloc(16);
    request.writeUInt32LE(16, 0);
    request.writeUInt16LE(AUDIT_GET, 4);
    request.writeUInt16LE(NLM_F_REQUEST, 6);
    request.writeUInt32LE(1, 8);
    check(send(fd, request, 16, 0), 'send(AUDIT_GET)');
    const reply = Buffer.alloc(8192);
    const n = check(recv(fd, reply, reply.length, 0), 'recv(AUDIT_GET)');
    if (n < 16 + 8) return 'no answer to AUDIT_GET';
    const type = reply.readUInt16LE(4);
    if (type === NLMSG_ERROR) return `AUDIT_GET refused: ${errnoName(-reply.readInt32LE(16))}`;
    if (type !== AUDIT_GET) return `unexpected answer ${type} to AUDIT_GET`;
    // struct audit_status: u32 mask, u32 enabled, …
    return reply.readUInt32LE(16 + 4) !== 0;
  } catch (err) {
    return (err as Error).message;
  } finally {
    close(fd);
  }
}

export interface RawAuditRecord {
  type: number;
  text: string;
}

/** The read-log socket of one session (see the header). */
export class LandlockAuditSocket {
  /** Times the kernel dropped records for this socket (ENOBUFS): each time one or more. */
  overflows = 0;
  private readonly buffer = Buffer.alloc(65536);

  private constructor(private fd: number) {}

  /** Root phase, host network namespace. Throws a LibcError when the kernel refuses. */
  static open(): LandlockAuditSocket {
    const fd = netlinkSocket(true);
    try {
      intOption(fd, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES, 'SO_RCVBUFFORCE');
      const program = encode(landlockRecordFilter());
      const fprog = sockFprogType();
      setsockoptFilter ??= libcFunction('int setsockopt(int fd, int level, int name, corral_sock_fprog *value, uint32_t len)');
      check(setsockoptFilter(fd, SOL_SOCKET, SO_ATTACH_FILTER, { len: program.length / 8, filter: program }, koffi.sizeof(fprog)), 'setsockopt(SO_ATTACH_FILTER)');
      intOption(fd, SO_LOCK_FILTER, 1, 'SO_LOCK_FILTER');
      check(bind(fd, sockaddrNl(1 << (AUDIT_NLGRP_READLOG - 1)), 12), 'bind(AUDIT_NLGRP_READLOG)');
      return new LandlockAuditSocket(fd);
    } catch (err) {
      close(fd);
      throw err;
    }
  }

  /** Every record waiting now, without blocking. */
  drain(): RawAuditRecord[] {
    const out: RawAuditRecord[] = [];
    while (this.fd >= 0) {
      const n = Number(recv(this.fd, this.buffer, this.buffer.length, MSG_DONTWAIT));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === ENOBUFS) {
          this.overflows += 1;
          continue;
        }
        if (errno === EINTR) continue;
        if (errno === EAGAIN) break;
        break;
      }
      if (n === 0) break;
      // One datagram may hold several messages, each nlmsg_len long, aligned to 4.
      for (let at = 0; at + 16 <= n; ) {
        const len = this.buffer.readUInt32LE(at);
        const type = this.buffer.readUInt16LE(at + 4);
        if (len < 16 || at + len > n) break;
        out.push({ type, text: this.buffer.toString('utf8', at + 16, at + len).replace(/\0+$/, '') });
        at += (len + 3) & ~3;
      }
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
  }
}
