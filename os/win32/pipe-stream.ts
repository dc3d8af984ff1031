/**
 * Node streams over the runner's end of a pipe (the launcher hands these to the session
 * client as the runner's stdin/stdout/stderr). Reading polls as in command.ts (pipe.ts says
 * why); writing goes through pipe.ts's async WriteFile, one write at a time.
 */
import { Readable, Writable } from 'node:stream';
import type { Win32Handle } from './handle.js';
import { pollPipe, writePipe } from './pipe.js';
import { nextPollDelay, READ_CHUNK_BYTES } from './poll-schedule.js';

/** A Readable that owns `handle` and closes it at end of stream or on destroy. */
export function pipeReadable(handle: Win32Handle): Readable {
  let timer: NodeJS.Timeout | undefined;
  let delay = 0;
  let reading = false;
  const stream = new Readable({
    highWaterMark: READ_CHUNK_BYTES,
    read() {
      if (reading) return;
      reading = true;
      const tick = () => {
        timer = undefined;
        if (handle.closed) return;
        let r;
        try {
          r = pollPipe(handle, READ_CHUNK_BYTES);
        } catch (err) {
          stream.destroy(err as Error);
          return;
        }
        if (r.kind === 'eof') {
          handle.close();
          stream.push(null);
          return;
        }
        delay = nextPollDelay(delay, r.kind === 'data');
        const more = r.kind === 'data' ? stream.push(r.data) : true;
        if (!more) {
          reading = false; // wait for the next read() call
          return;
        }
        timer = setTimeout(tick, delay);
      };
      tick();
    },
    destroy(err, callback) {
      clearTimeout(timer);
      handle.close();
      callback(err);
    },
  });
  return stream;
}

/** A Writable that owns `handle` and closes it on end() or destroy. */
export function pipeWritable(handle: Win32Handle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writePipe(handle, chunk).then(
        (result) => callback(result === 'closed' ? Object.assign(new Error('EPIPE: the runner closed its stdin'), { code: 'EPIPE' }) : null),
        (err: Error) => callback(err),
      );
    },
    final(callback) {
      handle.close();
      callback();
    },
    destroy(err, callback) {
      handle.close();
      callback(err);
    },
  });
}
