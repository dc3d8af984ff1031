/**
 * Who is on the other end of a connected unix socket: the kernel's SO_PEERCRED record (pid,
 * uid, gid of the process that called connect(), fixed at that moment and translated into our
 * user namespace). The session host (orchestrator/session-host/host.ts) admits a client only on
 * this answer: a uid the client cannot choose, unlike anything it could send.
 *
 * Only a descriptor number crosses in (Node's accepted socket's own fd) and a typed record
 * comes out; a failed call is a LibcError naming getsockopt and the errno.
 */
import { check, libcFunction } from './libc.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields. */
const UCRED_BYTES = 12;

const getsockopt = libcFunction('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)');

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The credentials of the peer of the unix socket `fd`. */
export function peerCredentials(fd: number): PeerCredentials {
  const value = Buffer.alloc(UCRED_BYTES);
  const length = [UCRED_BYTES];
  check(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length), 'getsockopt(SO_PEERCRED)');
  if (length[0] !== UCRED_BYTES) throw new RangeError(`getsockopt(SO_PEERCRED) returned ${length[0]} bytes, expected ${UCRED_BYTES}`);
  return { pid: value.readInt32LE(0), uid: value.readUInt32LE(4), gid: value.readUInt32LE(8) };
}
