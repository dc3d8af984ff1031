/**
 * System-call failures are CorralErrors where they happen (issue 14): a failing libc call and a
 * refused credential drop carry a stable code and the call's name, never a bare Error.
 */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { check, libcFunction, LibcError } from '../../os/linux/libc.js';
import { dropTo } from '../../runner/linux/creds.js';

describe('libc and credential errors are CorralErrors at their source', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('a failing libc call is a LibcError and a CorralError (runner_failed) naming the call and errno', () => {
    const close = libcFunction('int close(int fd)');
    assert.throws(
      () => check(close(-1), 'close(-1)'),
      (err: unknown) => {
        assert.ok(err instanceof LibcError);
        assert.ok(isCorralError(err, 'runner_failed'));
        assert.equal(err.message, 'close(-1) failed: EBADF (errno 9)');
        assert.deepEqual(err.details, { call: 'close(-1)', errno: 'EBADF' });
        assert.equal(err.exitCode, 1);
        return true;
      },
    );
  });

  it('a LibcError may carry the caller\'s code', () => {
    assert.ok(isCorralError(new LibcError('getpwnam_r(x)', 5, 'internal'), 'internal'));
  });

  it('refuses to "drop" to uid 0 with a CorralError, before any call', () => {
    const before = process.getuid?.();
    assert.throws(() => dropTo({ uid: 0, gid: 1000, groups: [] }), (err: unknown) => isCorralError(err, 'runner_failed'));
    assert.equal(process.getuid?.(), before);
  });
});
