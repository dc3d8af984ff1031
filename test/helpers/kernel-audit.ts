/**
 * The kernel's audit switch and backlog (AUDIT_GET / AUDIT_SET over NETLINK_AUDIT), for tests
 * and the bench of the violation source: Landlock writes its records only while audit is
 * enabled, and Corral never changes either setting itself. Node has no netlink sockets, so a
 * fixed python3 program does the calls; values pass as arguments, never as program text.
 * Callers put back the machine's previous state (`kernelAuditState()` before, `setKernelAudit`
 * after), even when they fail.
 */
import { execFileSync } from 'node:child_process';

const PROGRAM = `
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
if sys.argv[1] == 'get':
    s.send(struct.pack('=IHHII', 16, 1000, 1, 1, 0))
    reply = s.recv(8192)
    mask, enabled, failure, pid, rate, backlog_limit, lost = struct.unpack('=IIIIIII', reply[16:44])
    print(enabled, backlog_limit, lost)
else:
    # mask: AUDIT_STATUS_ENABLED (1) | AUDIT_STATUS_BACKLOG_LIMIT (16)
    status = struct.pack('=IIIIIIII', 1 | 16, int(sys.argv[1]), 0, 0, 0, int(sys.argv[2]), 0, 0) + b'\\0' * 16
    s.send(struct.pack('=IHHII', 16 + len(status), 1001, 1 | 4, 1, 0) + status)
    ack = s.recv(8192)
    sys.exit(0 if struct.unpack('=i', ack[16:20])[0] == 0 else 1)
`;

export interface KernelAudit {
  /** 0 off, 1 on, 2 on and locked. */
  enabled: number;
  /** Records the kernel queues before it drops (and counts as lost). */
  backlogLimit: number;
  /** Records the kernel has dropped since boot. */
  lost: number;
}

export function kernelAuditState(): KernelAudit {
  const [enabled, backlogLimit, lost] = execFileSync('python3', ['-c', PROGRAM, 'get'], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { enabled: enabled!, backlogLimit: backlogLimit!, lost: lost! };
}

export function setKernelAudit(enabled: 0 | 1, backlogLimit: number): void {
  execFileSync('python3', ['-c', PROGRAM, String(enabled), String(backlogLimit)]);
}

/** The backlog the tests and the bench use while they flood the kernel with denials (README: what to set). */
export const FLOOD_BACKLOG = 8192;
