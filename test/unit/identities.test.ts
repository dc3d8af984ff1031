import assert from 'node:assert/strict';
import { identityName, identityNames, MAX_NAME_LENGTH } from '../../orchestrator/identities.js';
import { linuxInstallation, windowsInstallation } from '../../core/installation.js';

const linux = linuxInstallation();
const windows = windowsInstallation('corral', {});

describe('identity names', () => {
  it('uses a plain user name as it is', () => {
    assert.deepEqual(identityNames(linux, 'alice'), { realUser: 'alice', offline: 'corral-off-alice', online: 'corral-on-alice' });
    assert.equal(identityName(windows, 'alice', 'offline'), 'crl-off-alice');
    assert.equal(identityName(windows, 'alice', 'online'), 'crl-on-alice');
  });

  it('is deterministic', () => {
    assert.equal(identityName(linux, 'some.user', 'offline'), identityName(linux, 'some.user', 'offline'));
  });

  it('hashes names with other characters, and keeps within the limits', () => {
    for (const user of ['john.smith', 'dev_1', 'jörg', 'a b', 'x'.repeat(64), 'DOMAIN\\user', '-x']) {
      for (const inst of [linux, windows]) {
        const name = identityName(inst, user, 'offline');
        assert.ok(name.length <= MAX_NAME_LENGTH[inst.platform], `${name} too long`);
        assert.match(name, /^[a-z0-9-]+$/, name);
        assert.match(name, /-[0-9a-f]{8}$/, `${name} should end in a hash`);
      }
    }
  });

  it('keeps the user part of both identities the same', () => {
    const { offline, online } = identityNames(linux, 'a-very-long-user-name-that-will-not-fit-at-all');
    assert.equal(offline.replace(/^corral-off-/, ''), online.replace(/^corral-on-/, ''));
  });

  it('gives different names to two users whose names truncate the same', () => {
    const a = identityName(linux, 'averyveryverylongusername_one', 'offline');
    const b = identityName(linux, 'averyveryverylongusername_two', 'offline');
    assert.notEqual(a, b);
    assert.equal(a.slice(0, -9), b.slice(0, -9), 'same stem, different hash');
  });

  it('never lets a plain name equal a hashed one', () => {
    // The hashed form of "alice.b" has a "-" in the user part; a plain name never does.
    const hashed = identityName(linux, 'alice.b', 'offline').replace('corral-off-', '');
    assert.ok(hashed.includes('-'));
    assert.throws(() => identityName(linux, '', 'offline'), RangeError);
  });

  it('lower-cases Windows names first (SAM names are case-insensitive)', () => {
    assert.equal(identityName(windows, 'Ann', 'offline'), 'crl-off-ann');
    assert.match(identityName(linux, 'Ann', 'offline'), /^corral-off-ann-[0-9a-f]{8}$/);
    assert.equal(identityName(windows, 'Alice', 'offline'), identityName(windows, 'alice', 'offline'));
    assert.notEqual(identityName(linux, 'Alice', 'offline'), identityName(linux, 'alice', 'offline'));
  });

  it('names test installations after their instance', () => {
    assert.equal(identityName(linuxInstallation('ctest1'), 'bob', 'online'), 'ctest1-on-bob');
  });
});
