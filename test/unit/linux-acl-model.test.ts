import assert from 'node:assert/strict';
import {
  grantDrift,
  needsTraverseEntry,
  parseGetfacl,
  renderRestore,
  revokeAcl,
  unescapePath,
  type FileAcl,
} from '../../orchestrator/provision/linux/acl-model.js';
import { ancestorsOf } from '../../orchestrator/provision/linux/planner.js';
import { identityDrift } from '../../orchestrator/provision/linux/accounts.js';

const acl = (text: string): FileAcl => parseGetfacl(`# file: /w\n# owner: 1000\n# group: 1000\n${text}\n`)[0]!;
const OURS = new Set(['990', '991', '1000']);

describe('ACL model', () => {
  it('parses getfacl -n -E output, effective comments and flags lines included', () => {
    const [a, b] = parseGetfacl(
      '# file: /w/x\\040y\n# owner: 1000\n# group: 1000\n# flags: --t\nuser::rwx\nuser:990:rwx\t#effective:r-x\ngroup::r-x\nmask::r-x\nother::---\ndefault:user::rwx\n\n# file: /w/z\nuser::rw-\ngroup::r--\nother::r--\n',
    );
    assert.equal(unescapePath(a!.path), '/w/x y');
    assert.deepEqual(a!.access[1], { tag: 'user', qualifier: '990', perms: 'rwx' });
    assert.equal(a!.default.length, 1);
    assert.equal(b!.access.length, 3);
    assert.equal(unescapePath('/a\\012b\\\\c'), '/a\nb\\c');
  });

  it('revoking from a file that had no extended ACL gives back the minimal ACL (mask dropped, default removed)', () => {
    const granted = acl(
      'user::rwx\nuser:990:rwx\nuser:991:rwx\nuser:1000:rwx\ngroup::r-x\nmask::rwx\nother::r-x\ndefault:user::rwx\ndefault:user:990:rwx\ndefault:group::r-x\ndefault:mask::rwx\ndefault:other::r-x',
    );
    const out = revokeAcl(granted, OURS, undefined);
    assert.equal(renderRestore([out]), '# file: /w\nuser::rwx\ngroup::r-x\nother::r-x\n');
  });

  it('keeps the user\'s own entries, and an entry of ours that existed before comes back as it was', () => {
    const before = acl('user::rwx\nuser:1000:r-x\nuser:65534:r--\ngroup::r-x\nmask::r-x\nother::---');
    const granted = acl('user::rwx\nuser:990:rwx\nuser:1000:rwx\nuser:65534:r--\ngroup::r-x\nmask::rwx\nother::---');
    const out = revokeAcl(granted, OURS, before);
    assert.equal(renderRestore([out]), renderRestore([before]));
  });

  it('a chmod that narrowed the mask after setup is not widened by teardown', () => {
    const narrowed = acl('user::rw-\nuser:990:rw-\ngroup::r--\nmask::---\nother::---');
    const out = revokeAcl(narrowed, OURS, undefined);
    assert.equal(renderRestore([out]), '# file: /w\nuser::rw-\ngroup::---\nother::---\n');
  });

  it('grantDrift reports a removed entry, a missing default and a mask that narrows the grant', () => {
    const full = acl('user::rwx\nuser:990:rwx\ngroup::r-x\nmask::rwx\nother::r-x\ndefault:user::rwx\ndefault:user:990:rwx\ndefault:group::r-x\ndefault:mask::rwx\ndefault:other::r-x');
    const grants = [{ uid: '990', access: 'rwx', default: 'rwx' }];
    assert.deepEqual(grantDrift(full, grants, String), []);
    assert.equal(grantDrift(acl('user::rwx\ngroup::r-x\nother::r-x'), grants, String).length, 2);
    const masked = acl('user::rwx\nuser:990:rwx\ngroup::r-x\nmask::r-x\nother::r-x\ndefault:user:990:rwx');
    assert.match(grantDrift(masked, grants, String)[0]!, /mask narrows/);
  });

  it('traversal entries are needed only where other lacks x and no named entry gives it', () => {
    assert.equal(needsTraverseEntry(acl('user::rwx\ngroup::r-x\nother::r-x'), null), false);
    assert.equal(needsTraverseEntry(acl('user::rwx\ngroup::r-x\nother::---'), null), true);
    assert.equal(needsTraverseEntry(acl('user::rwx\nuser:990:--x\ngroup::r-x\nmask::r-x\nother::---'), '990'), false);
    assert.equal(needsTraverseEntry(acl('user::rwx\nuser:990:--x\ngroup::r--\nmask::r--\nother::---'), '990'), true);
  });
});

describe('planner decisions', () => {
  it('ancestors run from / down and exclude the workspace', () => {
    assert.deepEqual(ancestorsOf('/home/a/src/p'), ['/', '/home', '/home/a', '/home/a/src']);
  });

  it('identity drift names shell, home and primary group', () => {
    const entry = { name: 'c-off-a', uid: 990, gid: 100, home: '/home/x', shell: '/bin/bash' };
    const spec = { name: 'c-off-a', group: 'c-sandbox', home: '/var/lib/c/home/c-off-a', shell: '/usr/sbin/nologin', comment: '' };
    assert.equal(identityDrift(entry, spec, 995).length, 3);
    assert.deepEqual(identityDrift({ ...entry, gid: 995, home: spec.home, shell: spec.shell }, spec, 995), []);
  });
});
