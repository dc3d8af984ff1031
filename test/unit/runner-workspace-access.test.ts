import assert from 'node:assert/strict';
import { makeWorkspaceWritableForIdentity, rootsToIdmap } from '../../runner/linux/workspace-access.js';

describe('runner workspace access: which roots are idmapped', () => {
  it('binds the workspace alone when there are no other writable roots (also read-only sessions)', () => {
    assert.deepEqual(rootsToIdmap('/home/a/ws', []), ['/home/a/ws']);
    assert.deepEqual(rootsToIdmap('/home/a/ws', ['/home/a/ws']), ['/home/a/ws']);
  });

  it('drops roots inside another root (covered by the recursive bind), by path components not string prefix', () => {
    assert.deepEqual(rootsToIdmap('/home/a/ws', ['/home/a/ws', '/home/a/ws/build', '/home/a/ws2']), ['/home/a/ws', '/home/a/ws2']);
    assert.deepEqual(rootsToIdmap('/home/a/ws', ['/home/a/ws', '/home/a']), ['/home/a']);
  });

  it('acl: nothing to mount, and a warning that names the workspace', () => {
    const r = makeWorkspaceWritableForIdentity({
      access: 'acl',
      workspace: '/home/a/ws',
      writableRoots: ['/home/a/ws'],
      realUser: { name: 'a', uid: 1000, gid: 1000 },
      identity: { uid: 990, gid: 990 },
    });
    assert.equal(r.mechanism, 'acl');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /\/home\/a\/ws uses POSIX ACL grants/);
  });
});
