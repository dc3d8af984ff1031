/** The runner's hand-written shape check of the open request: strict at every level, errors name the field. */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { parseSessionRequest } from '../../core/request-shape.js';
import { encodeFrame, MAX_ECHO_CHARS, PROTOCOL_VERSION } from '../../core/protocol.js';

const good = () => ({
  version: PROTOCOL_VERSION,
  realUser: 'alice',
  network: 'offline',
  mode: 'workspace-write',
  workspace: '/home/alice/ws',
  writableRoots: ['/home/alice/cache'],
  protected: ['.git', '/home/alice/ws/secret'],
  denyRead: ['/home/alice/.ssh'],
  loopback: 'private',
  limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 4096 },
  policyDigest: 'abc',
});

function refused(raw: unknown, field: string): void {
  assert.throws(
    () => parseSessionRequest(raw),
    (err: unknown) => isCorralError(err, 'request_invalid') && err.message.includes(field),
    `expected request_invalid naming ${field}`,
  );
}

describe('runner: open request shape', function () {
  it('accepts a well-formed request and returns only the known fields', function () {
    const r = parseSessionRequest(good());
    assert.deepEqual(r, good());
    assert.deepEqual(parseSessionRequest({ ...good(), loopback: [8080, 5432], capabilitySids: ['S-1-5-21-1'] }).loopback, [8080, 5432]);
  });

  it('refuses unknown keys at the top and in limits, including __proto__', function () {
    refused({ ...good(), identity: 'root' }, 'identity');
    refused({ ...good(), limits: { ...good().limits, cpu: 1 } }, 'cpu');
    refused(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(good()).slice(1)}`), '__proto__');
  });

  it('refuses missing fields and wrong types, naming the path', function () {
    const { workspace: _w, ...noWorkspace } = good();
    refused(noWorkspace, 'request.workspace');
    refused({ ...good(), version: PROTOCOL_VERSION + 1 }, 'request.version');
    refused({ ...good(), realUser: '' }, 'request.realUser');
    refused({ ...good(), network: 'lan' }, 'request.network');
    refused({ ...good(), writableRoots: 'relative' }, 'request.writableRoots');
    refused({ ...good(), writableRoots: ['/ok', 'relative'] }, 'request.writableRoots.1');
    refused({ ...good(), denyRead: ['/a\0b'] }, 'request.denyRead.0');
    refused({ ...good(), protected: ['a/b'] }, 'request.protected.0');
    refused({ ...good(), protected: ['..'] }, 'request.protected.0');
    refused({ ...good(), loopback: 'all' }, 'request.loopback');
    refused({ ...good(), loopback: [0] }, 'request.loopback.0');
    refused({ ...good(), limits: { ...good().limits, timeoutSec: 0 } }, 'request.limits.timeoutSec');
    refused({ ...good(), limits: { ...good().limits, pids: 1.5 } }, 'request.limits.pids');
    refused({ ...good(), limits: { ...good().limits, maxOutputBytes: Number.NaN } }, 'request.limits.maxOutputBytes');
    refused({ ...good(), writableRoots: Array.from({ length: 257 }, (_, i) => `/r${i}`) }, 'request.writableRoots');
    refused(null, 'request');
    refused([], 'request');
  });

  it('refuses full-access: such sessions never go through the runner', function () {
    refused({ ...good(), mode: 'full-access' }, 'request.mode');
  });

  it('echoes a caller-chosen key of a whole frame cut, so the refusal still fits in one error frame (found by the fuzz test)', function () {
    // An 8 MB unknown key, and a 3 MB env name (an env.set key lands in the error's path): before
    // the fix the message held them whole, encodeFrame threw and the runner sent no error frame.
    for (const raw of [{ ...good(), ['k'.repeat(8_000_000)]: 1 }, { ...good(), env: { allow: [], set: { ['-'.repeat(3_000_000)]: 'x' } } }]) {
      assert.throws(
        () => parseSessionRequest(raw),
        (err: unknown) => {
          assert.ok(isCorralError(err, 'request_invalid'), String(err));
          assert.ok(err.message.length < 2 * MAX_ECHO_CHARS + 200, `message of ${err.message.length} characters`);
          assert.match(err.message, /\(\d+ characters\)/, 'says how long the echoed value was');
          assert.doesNotThrow(() => encodeFrame({ type: 'error', code: err.code, message: err.message }));
          return true;
        },
      );
    }
  });
});
