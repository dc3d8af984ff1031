/**
 * Namespaces of the calling thread. unshare(2) of mount and network namespaces is allowed in
 * a multi-threaded process and applies to the calling thread only; the runner calls it on
 * Node's main thread, the one libuv forks commands from, so every command inherits it.
 */
import { check, libcFunction, LibcError, lastErrno } from '../../os/linux/libc.js';

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWIPC = 0x08000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFNAMSIZ = 16;
/** sizeof(struct ifreq) on Linux: the name, then a 24-byte union (ifr_flags is its first short). */
const IFREQ_BYTES = 40;

const unshare = libcFunction('int unshare(int flags)');
const socket = libcFunction('int socket(int domain, int type, int protocol)');
const ioctl = libcFunction('int ioctl(int fd, unsigned long request, ...)');
const close = libcFunction('int close(int fd)');

export function unshareMountNamespace(): void {
  check(unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)');
}

/**
 * A fresh IPC namespace: SysV shared memory, semaphores and message queues, and POSIX
 * message queues, of the session only — nothing it creates outlives it or is seen by other
 * users, and it cannot attach the host's segments.
 */
export function unshareIpcNamespace(): void {
  check(unshare(CLONE_NEWIPC), 'unshare(CLONE_NEWIPC)');
}

/** A fresh network namespace: only `lo` exists, and it is down until bringLoopbackUp(). */
export function unshareNetworkNamespace(): void {
  check(unshare(CLONE_NEWNET), 'unshare(CLONE_NEWNET)');
}

/** `ip link set lo up` without a process: SIOCSIFFLAGS on a throwaway socket. */
export function bringLoopbackUp(): void {
  const fd = check(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket(AF_INET, SOCK_DGRAM)');
  try {
    const ifreq = Buffer.alloc(IFREQ_BYTES);
    ifreq.write('lo', 0, IFNAMSIZ - 1, 'ascii');
    if ((ioctl(fd, SIOCGIFFLAGS, 'void *', ifreq) as number) < 0) throw new LibcError('ioctl(lo, SIOCGIFFLAGS)', lastErrno());
    ifreq.writeInt16LE(ifreq.readInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
    if ((ioctl(fd, SIOCSIFFLAGS, 'void *', ifreq) as number) < 0) throw new LibcError('ioctl(lo, SIOCSIFFLAGS)', lastErrno());
  } finally {
    close(fd);
  }
}
