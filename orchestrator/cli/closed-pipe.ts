/**
 * What the CLI does when the reader of its stdout or stderr goes away (`corral … | head`):
 * stop writing there, never crash with a stack trace, and end as a writer into a closed pipe
 * ends outside Corral — status 141 (128 + SIGPIPE), the status a shell shows for it.
 *
 * Node ignores SIGPIPE, so a write to a closed pipe is an EPIPE `error` event on the stream;
 * without a listener that event is an uncaught exception. `guardStdio` installs the listener once
 * for the whole CLI; `corral run` also subscribes, to stop the command (run-stream.ts).
 */
import { constants } from 'node:os';

/** 128 + SIGPIPE: how a shell reports a writer killed by a closed pipe. */
export const CLOSED_PIPE_STATUS = 128 + constants.signals.SIGPIPE;

export type StdioName = 'stdout' | 'stderr';

const closed: Record<StdioName, boolean> = { stdout: false, stderr: false };
const listeners = new Set<(name: StdioName) => void>();
let installed = false;

/** Listen for EPIPE (and any other write failure) on stdout and stderr. Idempotent. */
export function guardStdio(streams: Record<StdioName, NodeJS.WritableStream> = process): void {
  if (installed) return;
  installed = true;
  for (const name of ['stdout', 'stderr'] as const) {
    // Any write failure means nothing more can be delivered there; EPIPE is the usual one.
    streams[name].on('error', () => {
      if (closed[name]) return;
      closed[name] = true;
      for (const listener of [...listeners]) listener(name);
    });
  }
}

export function isClosed(name: StdioName): boolean {
  return closed[name];
}

/** Called once per stream the first time it fails; returns the unsubscribe function. */
export function onClosed(listener: (name: StdioName) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The CLI's exit status once stdout may have closed: a command that would have succeeded but
 * could not deliver its output ends as a closed pipe would (141); a failure keeps its own code.
 */
export function closedPipeStatus(code: number): number {
  return code === 0 && closed.stdout ? CLOSED_PIPE_STATUS : code;
}

/**
 * Resolves once what was written to stdout and stderr has been handed to the kernel or failed:
 * a closed reader's EPIPE then has been seen before closedPipeStatus decides (a kept session
 * closes at once, so nothing else gives the error event the time to arrive).
 */
export function stdioSettled(streams: Record<StdioName, NodeJS.WritableStream> = process): Promise<void> {
  const flushed = (s: NodeJS.WritableStream) => new Promise<void>((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  });
  return Promise.all([flushed(streams.stdout), flushed(streams.stderr)]).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
}
