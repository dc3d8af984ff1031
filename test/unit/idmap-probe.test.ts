import assert from 'node:assert/strict';
import { gidMapText } from '../../runner/linux/idmap.js';
import { decideWorkspaceAccess, mountFor, parseMountinfo, type WorkspaceAccessFacts } from '../../runner/linux/idmap-probe.js';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '40 22 0:35 / /home/alice/nfs\\040share rw,relatime shared:20 - nfs4 server:/export rw,vers=4.2',
  '41 22 0:36 / /tmp rw,nosuid,nodev shared:21 - tmpfs tmpfs rw',
  '42 41 0:37 / /tmp/ram rw,relatime - ramfs none rw',
  '43 41 0:38 / /tmp/ram rw,relatime - tmpfs over rw',
  'garbage line',
  '',
].join('\n');

function facts(over: Partial<WorkspaceAccessFacts>): WorkspaceAccessFacts {
  return { path: '/home/alice/ws', realUid: 1000, realGid: 1000, prerequisite: null, fsType: 'ext4', trial: { ok: true }, ...over };
}

describe('idmap probe: mountinfo', () => {
  const entries = parseMountinfo(MOUNTINFO);

  it('parses mount points (unescaped), types and sources, skipping malformed lines', () => {
    assert.equal(entries.length, 6);
    assert.deepEqual(entries[2], { mountPoint: '/home/alice/nfs share', fsType: 'nfs4', source: 'server:/export' });
  });

  it('finds the mount holding a path by the longest mount point, not by string prefix', () => {
    assert.equal(mountFor('/home/alice/ws', entries)?.fsType, 'ext4');
    assert.equal(mountFor('/home/alice/nfs share/repo', entries)?.fsType, 'nfs4');
    assert.equal(mountFor('/home/alice/nfs sharer', entries)?.fsType, 'ext4');
    assert.equal(mountFor('/tmp', entries)?.fsType, 'tmpfs');
    assert.equal(mountFor('/', entries)?.fsType, 'ext4');
  });

  it('takes the mount on top when several share a mount point', () => {
    assert.equal(mountFor('/tmp/ram/x', entries)?.source, 'over');
  });

  it('returns null when nothing is mounted', () => {
    assert.equal(mountFor('/x', []), null);
  });
});

describe('idmap probe: decision', () => {
  it('chooses idmap only when the detached attempt worked', () => {
    assert.deepEqual(decideWorkspaceAccess(facts({})).access, 'idmap');
  });

  it('never idmaps a root real user or a gid 0 primary group', () => {
    const root = decideWorkspaceAccess(facts({ realUid: 0, trial: null }));
    assert.equal(root.access, 'acl');
    assert.match(root.reason, /root/);
    // Even if an attempt were reported as working, uid 0 is refused.
    assert.equal(decideWorkspaceAccess(facts({ realUid: 0 })).access, 'acl');
    assert.equal(decideWorkspaceAccess(facts({ realGid: 0 })).access, 'acl');
  });

  it('falls back when a prerequisite is missing, naming it', () => {
    const d = decideWorkspaceAccess(facts({ prerequisite: 'architecture ia32 is not supported for idmapped mounts', trial: null }));
    assert.equal(d.access, 'acl');
    assert.match(d.reason, /ia32/);
  });

  it('falls back when the attempt was not made', () => {
    assert.equal(decideWorkspaceAccess(facts({ trial: null })).access, 'acl');
  });

  it('explains a filesystem without idmap support, with the API, errno and filesystem', () => {
    const d = decideWorkspaceAccess(
      facts({ fsType: 'nfs4', trial: { ok: false, api: 'mount_setattr', errno: 22, errnoName: 'EINVAL', message: 'mount_setattr failed: EINVAL' } }),
    );
    assert.equal(d.access, 'acl');
    assert.match(d.reason, /does not support idmapped mounts: mount_setattr EINVAL on \/home\/alice\/ws \(nfs4\)/);
  });

  it('explains an old kernel', () => {
    const d = decideWorkspaceAccess(facts({ trial: { ok: false, api: 'open_tree', errno: 38, errnoName: 'ENOSYS', message: 'open_tree failed: ENOSYS' } }));
    assert.equal(d.access, 'acl');
    assert.match(d.reason, /5\.12/);
  });

  it('passes through the message of an unforeseen failure', () => {
    const d = decideWorkspaceAccess(facts({ trial: { ok: false, api: 'unshare --user', errno: -1, errnoName: 'unavailable', message: 'no user namespaces' } }));
    assert.equal(d.access, 'acl');
    assert.match(d.reason, /no user namespaces/);
  });
});

describe('idmap: gid_map text', () => {
  const base = { uid: { real: 1000, identity: 990 }, gid: { real: 1000, identity: 990 } };

  it('maps the real gid to the identity\'s', () => {
    assert.equal(gidMapText(base), '1000 990 1\n');
  });

  it('maps extra groups to themselves, skipping 0, the real and identity gids and duplicates', () => {
    assert.equal(gidMapText({ ...base, extraGids: [27, 0, 1000, 990, 27, 100, -1, 1.5] }), '1000 990 1\n27 27 1\n100 100 1\n');
  });
});
