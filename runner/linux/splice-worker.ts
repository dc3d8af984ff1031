/**
 * The splice relay's worker thread (started by splice-relay.ts inside the proxy process): one
 * epoll loop moving the bytes of every established tunnel socket → pipe → socket with
 * splice(2), so they never enter user space and never touch the proxy's event loop.
 *
 * It owns the descriptors it is given: each tunnel's two sockets (duplicates the main thread
 * made before it closed its own) and the two pipes it makes for them. It closes each exactly
 * once, when the tunnel ends:
 *  - cleanly, when both directions have seen end-of-stream and passed it on (shutdown(SHUT_WR)
 *    of the other socket once its pipe is empty: a half-close is relayed as a half-close);
 *  - on any error of either socket (reset, EPIPE, EPOLLERR): both sockets close at once.
 * The session side controls the bytes and their timing. Nothing here reads them: the relay
 * only moves them between two sockets whose peers were decided before they were handed over,
 * so a hostile client can slow its own tunnel down, never reach another address.
 *
 * The loop blocks in epoll_wait. New tunnels arrive as messages on parentPort, pulled with
 * receiveMessageOnPort after the main thread writes to the wake eventfd; the main thread sets
 * the stop flag (and wakes the loop) when the process exits, and epoll_wait's timeout bounds
 * how long a worker termination waits for the loop to return to JavaScript. If this thread
 * throws, the main thread ends the whole proxy process, and the kernel closes every socket.
 *
 * Edge-triggered epoll: each readiness edge runs both directions of its tunnel until each
 * is stuck (EAGAIN) or done, which is what edge triggering needs (an edge comes only after an
 * EAGAIN). splice from a socket into a pipe reports EAGAIN both for an empty socket and for a
 * full pipe; a full pipe always has bytes to write out, and after any write the read is tried
 * again, so a stall on a full pipe resolves on the writable edge of the other socket.
 */
import { constants as osConstants } from 'node:os';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { errnoName, lastErrno, libcFunction } from '../../os/linux/libc.js';

export interface SpliceWorkerData {
  /** eventfd the main thread writes to after posting a message or setting the stop flag. */
  wakeFd: number;
  /** Int32Array over a SharedArrayBuffer; [0] = 1 asks the loop to return. */
  stop: SharedArrayBuffer;
  /** Each pipe's capacity (F_SETPIPE_SZ; the kernel default stays when refused). */
  pipeBytes: number;
}

/** main → worker: a tunnel to relay; a and b are socket fds the worker now owns. */
export interface TunnelMessage {
  type: 'tunnel';
  id: number;
  a: number;
  b: number;
  /** Bytes the main thread had already read from b (to be written to a first), and from a. */
  toA: Uint8Array;
  toB: Uint8Array;
}

/** worker → main: a tunnel ended and its descriptors are closed. */
export interface ClosedMessage {
  type: 'closed';
  id: number;
  /** Bytes relayed a → b and b → a. */
  bytes: [number, number];
  /** null for a clean end (both directions closed in order), else what failed. */
  error: string | null;
}

const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLLERR = 0x8;
const EPOLLRDHUP = 0x2000;
const EPOLLET = 0x80000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const F_GETFL = 3;
const F_SETFL = 4;
const F_SETPIPE_SZ = 1031;
const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const SHUT_WR = 1;
const EAGAIN = osConstants.errno.EAGAIN;
const EINTR = osConstants.errno.EINTR;
/** struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EVENT_DATA = process.arch === 'x64' ? 4 : 8;
const MAX_EVENTS = 64;
/** epoll_wait's timeout: the longest a terminate request waits for the loop to see it. */
const WAIT_MS = 500;

const epollCreate1 = libcFunction('int epoll_create1(int flags)');
const epollCtl = libcFunction('int epoll_ctl(int epfd, int op, int fd, void *event)');
const epollWait = libcFunction('int epoll_wait(int epfd, void *events, int maxevents, int timeout)');
const splice = libcFunction('intptr_t splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)');
const pipe2 = libcFunction('int pipe2(_Out_ int *fds, int flags)');
const fcntl = libcFunction('int fcntl(int fd, int cmd, ...)');
const write = libcFunction('intptr_t write(int fd, const void *buf, size_t count)');
const read = libcFunction('intptr_t read(int fd, void *buf, size_t count)');
const shutdown = libcFunction('int shutdown(int fd, int how)');
const close = libcFunction('int close(int fd)');

interface Direction {
  src: number;
  dst: number;
  pipeR: number;
  pipeW: number;
  /** Bytes in the pipe, read from src and not yet written to dst. */
  inPipe: number;
  /** Bytes to write to dst before anything in the pipe (read by the main thread before the hand-over). */
  pending: Buffer | null;
  eof: boolean;
  shut: boolean;
  moved: number;
}

interface Tunnel {
  id: number;
  a: number;
  b: number;
  dirs: [Direction, Direction];
  fds: number[];
  ended: boolean;
}

const data = workerData as SpliceWorkerData;
const stop = new Int32Array(data.stop);
const port = parentPort!;
const epfd = epollCreate1(O_CLOEXEC) as number;
if (epfd < 0) throw new Error(`epoll_create1 failed: ${errnoName(lastErrno())}`);
const bySocket = new Map<number, Tunnel>();
const eventBuf = Buffer.alloc(EVENT_SIZE * MAX_EVENTS);
const ctlBuf = Buffer.alloc(EVENT_SIZE);
const wakeBuf = Buffer.alloc(8);

const sysError = (call: string) => `${call}: ${errnoName(lastErrno())}`;

function watch(fd: number, events: number): boolean {
  ctlBuf.fill(0);
  ctlBuf.writeUInt32LE(events >>> 0, 0);
  ctlBuf.writeUInt32LE(fd, EVENT_DATA);
  return (epollCtl(epfd, EPOLL_CTL_ADD, fd, ctlBuf) as number) === 0;
}

function setNonBlocking(fd: number): boolean {
  const flags = fcntl(fd, F_GETFL) as number;
  return flags >= 0 && (fcntl(fd, F_SETFL, 'int', flags | O_NONBLOCK) as number) === 0;
}

function newPipe(): [number, number] | null {
  const fds = [0, 0];
  if ((pipe2(fds, O_NONBLOCK | O_CLOEXEC) as number) < 0) return null;
  fcntl(fds[1]!, F_SETPIPE_SZ, 'int', data.pipeBytes); // refused over the user's pipe quota: the default size still works
  return [fds[0]!, fds[1]!];
}

/** Close every descriptor of the tunnel, once, and report it. */
function end(t: Tunnel, error: string | null): void {
  if (t.ended) return;
  t.ended = true;
  for (const fd of [t.a, t.b]) {
    bySocket.delete(fd);
    epollCtl(epfd, EPOLL_CTL_DEL, fd, null);
  }
  for (const fd of t.fds) close(fd);
  const msg: ClosedMessage = { type: 'closed', id: t.id, bytes: [t.dirs[0].moved, t.dirs[1].moved], error };
  port.postMessage(msg);
}

/** Move what can be moved in one direction now; an error text when the tunnel must end. */
function pump(d: Direction): string | null {
  for (;;) {
    let progressed = false;
    if (d.pending !== null) {
      const n = Number(write(d.dst, d.pending, d.pending.length));
      if (n > 0) {
        d.pending = n === d.pending.length ? null : d.pending.subarray(n);
        d.moved += n;
        progressed = true;
      } else if (lastErrno() !== EAGAIN) return sysError('write');
    } else if (d.inPipe > 0) {
      const n = Number(splice(d.pipeR, null, d.dst, null, d.inPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
      if (n > 0) {
        d.inPipe -= n;
        d.moved += n;
        progressed = true;
      } else if (n === 0 || lastErrno() !== EAGAIN) return n === 0 ? 'splice to socket: 0' : sysError('splice to socket');
    }
    if (!d.eof) {
      const n = Number(splice(d.src, null, d.pipeW, null, data.pipeBytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
      if (n > 0) {
        d.inPipe += n;
        progressed = true;
      } else if (n === 0) {
        d.eof = true;
        progressed = true;
      } else if (lastErrno() !== EAGAIN) return sysError('splice from socket');
    }
    if (d.eof && !d.shut && d.pending === null && d.inPipe === 0) {
      if ((shutdown(d.dst, SHUT_WR) as number) < 0) return sysError('shutdown');
      d.shut = true;
    }
    if (!progressed) return null;
  }
}

function run(t: Tunnel, events: number): void {
  for (const d of t.dirs) {
    const error = pump(d);
    if (error !== null) return end(t, error);
  }
  if ((events & EPOLLERR) !== 0) return end(t, 'socket error');
  if (t.dirs[0].shut && t.dirs[1].shut) end(t, null);
}

function add(m: TunnelMessage): void {
  const direction = (src: number, dst: number, pipe: [number, number], pending: Uint8Array): Direction => ({
    src,
    dst,
    pipeR: pipe[0],
    pipeW: pipe[1],
    inPipe: 0,
    pending: pending.length > 0 ? Buffer.from(pending.buffer, pending.byteOffset, pending.length) : null,
    eof: false,
    shut: false,
    moved: 0,
  });
  const fds = [m.a, m.b];
  const empty: Direction = direction(m.a, m.b, [-1, -1], new Uint8Array());
  const t: Tunnel = { id: m.id, a: m.a, b: m.b, dirs: [empty, empty], fds, ended: false };
  const p1 = newPipe();
  if (p1 !== null) fds.push(...p1);
  const p2 = p1 === null ? null : newPipe();
  if (p2 !== null) fds.push(...p2);
  if (p1 === null || p2 === null) return end(t, sysError('pipe2'));
  t.dirs = [direction(m.a, m.b, p1, m.toB), direction(m.b, m.a, p2, m.toA)];
  if (!setNonBlocking(m.a) || !setNonBlocking(m.b)) return end(t, sysError('fcntl(O_NONBLOCK)'));
  bySocket.set(m.a, t);
  bySocket.set(m.b, t);
  const events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  if (!watch(m.a, events) || !watch(m.b, events)) return end(t, sysError('epoll_ctl'));
  run(t, 0);
}

function drainMessages(): void {
  read(data.wakeFd, wakeBuf, 8); // eventfd: one read resets the counter (EAGAIN when it was already 0)
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message as TunnelMessage;
    if (msg.type === 'tunnel') add(msg);
  }
}

if (!watch(data.wakeFd, EPOLLIN)) throw new Error(`epoll_ctl(wake) failed: ${errnoName(lastErrno())}`);
while (Atomics.load(stop, 0) === 0) {
  const n = epollWait(epfd, eventBuf, MAX_EVENTS, WAIT_MS) as number;
  if (n < 0) {
    if (lastErrno() === EINTR) continue;
    throw new Error(`epoll_wait failed: ${errnoName(lastErrno())}`);
  }
  for (let i = 0; i < n; i++) {
    const events = eventBuf.readUInt32LE(i * EVENT_SIZE);
    const fd = eventBuf.readUInt32LE(i * EVENT_SIZE + EVENT_DATA);
    if (fd === data.wakeFd) {
      drainMessages();
      continue;
    }
    const t = bySocket.get(fd);
    if (t !== undefined) run(t, events);
  }
}
for (const t of new Set(bySocket.values())) end(t, 'relay stopped');
close(epfd); // the wake eventfd is the main thread's to close
