/** Proxy decisions as evidence on the client side: the connection frame's check, and corral run's stderr lines. */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { blockedLines } from '../../orchestrator/cli/blocked.js';
import { checkFromRunner } from '../../orchestrator/session/frames.js';

const frame = { type: 'connection', ids: ['c1'], time: '2026-12-03T07:00:00.000Z', via: 'connect', host: 'evil.example', port: 443, allowed: false, rule: 'not in network.allow' };

describe('proxy evidence', () => {
  it('a connection frame is checked field by field', () => {
    assert.deepEqual(checkFromRunner(frame), frame);
    assert.deepEqual(checkFromRunner({ ...frame, allowed: true, address: '10.0.0.1' }).type, 'connection');
    for (const bad of [{ ...frame, ids: 'c1' }, { ...frame, ids: [1] }, { ...frame, via: 'ftp' }, { ...frame, port: '443' }, { ...frame, allowed: 'no' }, { ...frame, address: 1 }]) {
      assert.throws(() => checkFromRunner(bad), (e: unknown) => isCorralError(e, 'protocol_error'));
    }
  });
  it('corral run prints one line per refused host, port and rule', () => {
    const r = { time: frame.time, via: 'connect' as const, host: 'evil.example', port: 443, allowed: false, rule: 'not in network.allow' };
    assert.deepEqual(blockedLines([r, r, { ...r, allowed: true, rule: 'network.allow: ok.example', host: 'ok.example' }, { ...r, port: 80 }]), [
      'corral: blocked connection to evil.example:443 (not in network.allow)\n',
      'corral: blocked connection to evil.example:80 (not in network.allow)\n',
    ]);
  });
});
