/** The runner's hand-written shape check of the open request: strict at every level, errors name the field. */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { parseSessionRequest } from '../../runner/linux/request-shape.js';
import { PROTOCOL_VERSION } from '../../core/protocol.js';

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
});
