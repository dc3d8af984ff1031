import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES, type Message } from '../../core/protocol.js';

describe('runner protocol framing', () => {
  const messages: Message[] = [
    { type: 'shutdown' },
    { type: 'stdin', id: '1', data: Buffer.from('héllo\0').toString('base64') },
    { type: 'error', code: 'usage', message: 'x'.repeat(70_000) },
  ];

  it('round-trips messages split at every byte boundary', () => {
    const wire = Buffer.concat(messages.map(encodeFrame));
    for (const cut of [1, 3, 4, 5, 17, wire.length - 1]) {
      const d = new FrameDecoder();
      const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      assert.deepEqual(got, messages);
      assert.equal(d.pending, 0);
    }
  });

  it('decodes byte by byte', () => {
    const d = new FrameDecoder();
    const got: unknown[] = [];
    for (const byte of encodeFrame(messages[1]!)) got.push(...d.push(Buffer.from([byte])));
    assert.deepEqual(got, [messages[1]]);
  });

  it('uses a 4-byte little-endian length', () => {
    const frame = encodeFrame({ type: 'shutdown' });
    assert.equal(frame.readUInt32LE(0), frame.length - 4);
    assert.equal(frame.subarray(4).toString(), '{"type":"shutdown"}');
  });

  it('refuses frames over 8 MiB, both ways', () => {
    const d = new FrameDecoder();
    const head = Buffer.alloc(4);
    head.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
    assert.throws(() => d.push(head), FrameError);
    assert.throws(() => encodeFrame({ type: 'error', code: 'x', message: 'y'.repeat(MAX_FRAME_BYTES) }), RangeError);
  });

  it('refuses a frame that is not JSON', () => {
    const body = Buffer.from('{nope');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length, 0);
    assert.throws(() => new FrameDecoder().push(Buffer.concat([head, body])), FrameError);
  });
});
