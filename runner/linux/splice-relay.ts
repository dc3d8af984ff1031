/**
 * The filtering proxy's tunnel relay on Linux: once a CONNECT or SOCKS5 request is decided and
 * its upstream dialled, the two sockets leave Node's streams and their bytes move through the
 * kernel with splice(2) in one worker thread (splice-worker.ts). A user-space relay (read into
 * a Buffer, write it out) reached ~0.3× of a direct download in bench/allowlist.ts and spent
 * the proxy's CPU on copies; splice moves pages socket → pipe → socket without copying them
 * into the process.
 *
 * The hand-over, all in one synchronous step so that libuv cannot read in between:
 *  1. both sockets get TCP_NODELAY (the relay writes what it has when it has it; Nagle would
 *     only delay the endpoints' small writes) and half-open semantics;
 *  2. whatever Node had already read from each socket is taken from its stream (it goes to the
 *     other side first, before any spliced byte) and reading on the handle is stopped;
 *  3. each descriptor is duplicated (F_DUPFD_CLOEXEC), then the net.Socket is destroyed, which
 *     closes libuv's descriptor and removes it from libuv's epoll set; the duplicate is the
 *     only one left, and the worker owns it from here and closes it exactly once.
 * Writes the proxy made before (the 200 reply) are flushed before the hand-over: the caller
 * hands over from the write's callback.
 *
 * Fail closed: if the worker thread fails, the process exits (onFailure), and the kernel closes
 * every tunnel with it; a proxy killed outright closes them the same way.
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { pipeRelay, type TunnelRelay } from '../../core/proxy/server.js';
import { check, libcFunction } from '../../os/linux/libc.js';
import type { ClosedMessage, SpliceWorkerData, TunnelMessage } from './splice-worker.js';

const F_DUPFD_CLOEXEC = 1030;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
/** Each direction's pipe: 256 KiB holds a few TCP windows' worth; pipes count against the user's pipe quota (fs.pipe-user-pages-soft). */
const PIPE_BYTES = 256 * 1024;

const fcntl = libcFunction('int fcntl(int fd, int cmd, ...)');
const eventfd = libcFunction('int eventfd(unsigned int initval, int flags)');
const write = libcFunction('intptr_t write(int fd, const void *buf, size_t count)');
const close = libcFunction('int close(int fd)');

/** libuv's stream handle under a net.Socket (not public API: checked for shape before use). */
interface StreamHandle {
  fd?: number;
  readStop?: () => number;
}

function handleOf(socket: net.Socket): { fd: number; readStop: () => number } | null {
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle === null || handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.readStop !== 'function') return null;
  return { fd: handle.fd, readStop: handle.readStop.bind(handle) };
}

/** Take what the stream has buffered, stop reading, duplicate the descriptor (the socket is destroyed by the caller). */
function detach(socket: net.Socket, handle: { fd: number; readStop: () => number }): { fd: number; buffered: Buffer } {
  const chunks: Buffer[] = [];
  for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) chunks.push(c);
  handle.readStop();
  const fd = check(fcntl(handle.fd, F_DUPFD_CLOEXEC, 'int', 0) as number, 'fcntl(F_DUPFD_CLOEXEC)');
  return { fd, buffered: Buffer.concat(chunks) };
}

export interface SpliceRelay {
  relay: TunnelRelay;
  /** Tunnels handed to the worker and not yet closed by it. */
  openTunnels(): number;
  /** Resolves when no tunnel is open (for tests). */
  idle(): Promise<void>;
  /** Stop the thread; tunnels still open are closed (for tests: the proxy's relay lives as long as its process). */
  close(): Promise<void>;
}

export interface SpliceRelayOptions {
  /** The worker thread failed: every tunnel must go. The proxy ends its process here. */
  onFailure(why: string): void;
  /** Each tunnel's end (bytes each way, the error or null), for tests and diagnostics. */
  onClosed?(closed: ClosedMessage): void;
}

export function createSpliceRelay(options: SpliceRelayOptions): SpliceRelay {
  let worker: Worker | null = null;
  let wakeFd = -1;
  let stop: Int32Array | null = null;
  let nextId = 1;
  const open = new Set<number>();
  let idleWaiters: (() => void)[] = [];
  const wake = () => write(wakeFd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), 8);
  const stopLoop = () => {
    if (stop === null) return;
    Atomics.store(stop, 0, 1);
    wake();
  };

  function start(): Worker {
    wakeFd = check(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) as number, 'eventfd');
    const shared = new SharedArrayBuffer(4);
    stop = new Int32Array(shared);
    const workerData: SpliceWorkerData = { wakeFd, stop: shared, pipeBytes: PIPE_BYTES };
    // No inherited flags: the thread runs one known file (an --eval parent's --input-type would break it).
    const w = new Worker(new URL('./splice-worker.js', import.meta.url), { workerData, execArgv: [] });
    w.on('message', (m: ClosedMessage) => {
      if (m.type !== 'closed') return;
      open.delete(m.id);
      options.onClosed?.(m);
      if (open.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
    w.on('error', (err) => options.onFailure(`splice relay thread: ${err.message}`));
    w.on('exit', (code) => {
      if (stop !== null && Atomics.load(stop, 0) === 0) options.onFailure(`splice relay thread exited (${code})`);
    });
    w.unref();
    // The loop returns when asked; without this, process exit would wait on a thread blocked in epoll_wait.
    process.once('exit', stopLoop);
    return w;
  }

  const relay: TunnelRelay = (client, upstream, toUpstream) => {
    const a = handleOf(client);
    const b = handleOf(upstream);
    if (a === null || b === null || client.destroyed || upstream.destroyed) {
      // Not a descriptor-backed socket (or one side is already gone): the stream relay keeps the same semantics.
      pipeRelay(client, upstream, toUpstream);
      return;
    }
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.allowHalfOpen = true;
    }
    let first: { fd: number; buffered: Buffer } | null = null;
    let second: { fd: number; buffered: Buffer } | null = null;
    try {
      worker ??= start();
    } catch (err) {
      client.destroy();
      upstream.destroy();
      options.onFailure(`splice relay: ${(err as Error).message}`);
      return;
    }
    try {
      first = detach(client, a);
      second = detach(upstream, b);
    } catch {
      // Out of descriptors (EMFILE): this tunnel is refused, closed on both sides, nothing leaks.
      if (first !== null) close(first.fd);
      return;
    } finally {
      client.destroy();
      upstream.destroy();
    }
    const id = nextId++;
    open.add(id);
    const message: TunnelMessage = { type: 'tunnel', id, a: first.fd, b: second.fd, toA: second.buffered, toB: Buffer.concat([toUpstream, first.buffered]) };
    worker.postMessage(message);
    wake();
  };

  return {
    relay,
    openTunnels: () => open.size,
    idle: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    async close() {
      if (worker === null || stop === null) return;
      const w = worker;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      process.removeListener('exit', stopLoop);
      stopLoop();
      await exited;
      close(wakeFd);
      worker = null;
      stop = null;
    },
  };
}
