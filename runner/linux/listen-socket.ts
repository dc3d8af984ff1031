/**
 * Listening TCP sockets on the host's loopback, made synchronously with libc in the runner's
 * root phase (published ports: publish.ts). Synchronous so that a port already in use is an
 * error of `confine` itself (port_in_use, before `hello`), not an event after the session
 * started; and made here, in the host's network namespace, before the runner unshares its
 * own, because a socket stays in the namespace it was created in.
 *
 * The descriptors are close-on-exec and owned by the caller, which hands them to the
 * forwarder process and closes its own copies before the runner drops privileges.
 */
import { CorralError } from '../../core/errors.js';
import { errnoName, lastErrno, libcFunction } from '../../os/linux/libc.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const BACKLOG = 511;
const EADDRINUSE = 98;
const EADDRNOTAVAIL = 99;
const EAFNOSUPPORT = 97;

const socket = libcFunction('int socket(int domain, int type, int protocol)');
const setsockopt = libcFunction('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)');
const bind = libcFunction('int bind(int fd, const void *addr, uint32_t length)');
const listen = libcFunction('int listen(int fd, int backlog)');
const close = libcFunction('int close(int fd)');

export type LoopbackAddress = '127.0.0.1' | '::1';

/** struct sockaddr_in / sockaddr_in6 of a loopback address (family in host order, port in network order). */
function sockaddr(address: LoopbackAddress, port: number): Buffer {
  if (address === '127.0.0.1') {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    Buffer.from([127, 0, 0, 1]).copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b[8 + 15] = 1; // ::1
  return b;
}

/**
 * A socket listening on `address`:`port`, or null when the machine has no such address (no
 * IPv6 loopback). A port someone already listens on (on that address or the wildcard) is
 * port_in_use. SO_REUSEADDR only lets the port be bound again while connections of an
 * earlier session linger in TIME_WAIT; on Linux it never lets two sockets listen on one port.
 */
export function listenOnLoopback(address: LoopbackAddress, port: number): number | null {
  const family = address === '127.0.0.1' ? AF_INET : AF_INET6;
  const fd = Number(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) {
    const errno = lastErrno();
    if (family === AF_INET6 && errno === EAFNOSUPPORT) return null;
    throw new CorralError('runner_failed', `publish: socket() for ${address}:${port} failed: ${errnoName(errno)}`);
  }
  const shown = address === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`;
  const fail = (call: string, errno: number): never => {
    close(fd);
    if (errno === EADDRINUSE) {
      throw new CorralError('port_in_use', `publish: port ${port} cannot be published: ${shown} on the host is already in use`, { details: { port, address } });
    }
    throw new CorralError('runner_failed', `publish: ${call}(${shown}) failed: ${errnoName(errno)}`, { details: { port, address, errno: errnoName(errno) } });
  };
  const one = Buffer.alloc(4);
  one.writeInt32LE(1, 0);
  if (Number(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4)) < 0) fail('setsockopt(SO_REUSEADDR)', lastErrno());
  // The IPv6 socket takes IPv6 only: 127.0.0.1 has its own socket.
  if (family === AF_INET6 && Number(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4)) < 0) fail('setsockopt(IPV6_V6ONLY)', lastErrno());
  const addr = sockaddr(address, port);
  if (Number(bind(fd, addr, addr.length)) < 0) {
    const errno = lastErrno();
    if (family === AF_INET6 && errno === EADDRNOTAVAIL) {
      close(fd);
      return null;
    }
    fail('bind', errno);
  }
  if (Number(listen(fd, BACKLOG)) < 0) fail('listen', lastErrno());
  return fd;
}

export function closeSocket(fd: number): void {
  close(fd);
}
