/**
 * Pure decisions of the Linux runner (any OS): protection plans, placeholder kinds, gitdir
 * files, cgroup layout detection, installation from the entry path, command environment,
 * request shape, Landlock rights by ABI.
 */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { placeholderKind } from '../../core/protected-names.js';
import { parseCgroupMounts } from '../../runner/linux/cgroup.js';
import { parseOomKills } from '../../runner/linux/memory-limit.js';
import { commandEnvironment } from '../../runner/linux/environment.js';
import { installationNameFromEntry } from '../../runner/linux/installation-from-path.js';
import { FS, handledWriteRights, rightsFor } from '../../runner/linux/landlock.js';
import { gitdirTarget, planProtection, type Kind, type ProtectionFacts } from '../../runner/linux/protected-paths.js';
import { realUid } from '../../runner/linux/request-validation.js';
import { parseSessionRequest } from '../../core/request-shape.js';

const kindOf = (name: string) => placeholderKind(name, 'corral');

function facts(kinds: Record<string, Kind>, texts: Record<string, string> = {}): ProtectionFacts {
  return {
    kind: (p) => kinds[p] ?? 'missing',
    readText: (p) => texts[p] ?? '',
    canonical: (p) => (kinds[p] !== undefined ? p : null),
  };
}

describe('Linux runner: protection plan', function () {
  it('binds existing protected entries, reserves missing names, masks read-deny paths', function () {
    const steps = planProtection(
      { writableRoots: ['/ws'], protectedNames: ['.git', '.corral', '.mcp.json'], placeholderKind: kindOf, protectedPaths: [], denyRead: ['/h/.ssh', '/h/.npmrc', '/h/.none'] },
      facts({ '/ws': 'dir', '/ws/.git': 'dir', '/h/.ssh': 'dir', '/h/.npmrc': 'file' }),
    );
    assert.deepEqual(steps, [
      { op: 'bind', path: '/ws/.git' },
      { op: 'reserve', root: '/ws', name: '.corral', kind: 'dir' },
      { op: 'reserve', root: '/ws', name: '.mcp.json', kind: 'file' },
      { op: 'mask-dir', path: '/h/.ssh' },
      { op: 'mask-file', path: '/h/.npmrc' },
    ]);
  });

  it('binds a gitdir: file and the directory it names', function () {
    const steps = planProtection(
      { writableRoots: ['/wt'], protectedNames: ['.git'], placeholderKind: kindOf, protectedPaths: [], denyRead: [] },
      facts({ '/wt/.git': 'file', '/repo/.git/worktrees/wt': 'dir' }, { '/wt/.git': 'gitdir: /repo/.git/worktrees/wt\n' }),
    );
    assert.deepEqual(steps, [
      { op: 'bind', path: '/wt/.git' },
      { op: 'bind', path: '/repo/.git/worktrees/wt' },
    ]);
  });

  it('refuses a protected entry that is a symbolic link', function () {
    assert.throws(
      () => planProtection({ writableRoots: ['/ws'], protectedNames: ['.git'], placeholderKind: kindOf, protectedPaths: [], denyRead: [] }, facts({ '/ws/.git': 'symlink' })),
      (err: unknown) => isCorralError(err, 'request_invalid'),
    );
  });

  it('reserves a missing protected path only inside a writable root', function () {
    const steps = planProtection(
      { writableRoots: ['/ws'], protectedNames: [], placeholderKind: kindOf, protectedPaths: ['/ws/sub/.env', '/elsewhere/x'], denyRead: [] },
      facts({ '/ws/sub': 'dir', '/elsewhere': 'dir' }),
    );
    assert.deepEqual(steps, [{ op: 'reserve', root: '/ws/sub', name: '.env', kind: 'file' }]);
  });

  it('resolves relative gitdir targets', function () {
    assert.equal(gitdirTarget('/a/b/.git', 'gitdir: ../main/.git/worktrees/b\n'), '/a/main/.git/worktrees/b');
    assert.equal(gitdirTarget('/a/.git', 'nonsense'), null);
  });
});

describe('Linux runner: cgroup layout', function () {
  const hybrid = [
    '29 25 0:25 / /sys/fs/cgroup/memory rw,relatime shared:8 - cgroup cgroup rw,memory',
    '30 25 0:26 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids',
    '31 25 0:27 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw',
  ].join('\n');
  it('finds v2 for kill and the v1 pids controller on hybrid hosts', function () {
    assert.deepEqual(parseCgroupMounts(hybrid, () => []), { v2: '/sys/fs/cgroup/unified', pids: { kind: 'v1', mount: '/sys/fs/cgroup/pids' }, memory: { kind: 'v1', mount: '/sys/fs/cgroup/memory' } });
  });
  it('prefers pids in v2 when the hierarchy has it', function () {
    assert.deepEqual(parseCgroupMounts(hybrid, () => ['cpu', 'pids']), { v2: '/sys/fs/cgroup/unified', pids: { kind: 'v2', mount: '/sys/fs/cgroup/unified' }, memory: { kind: 'v1', mount: '/sys/fs/cgroup/memory' } });
  });
  it('prefers memory in v2 when the hierarchy has it, else v1 memory, else none', function () {
    assert.deepEqual(parseCgroupMounts(hybrid, () => ['memory', 'pids'])?.memory, { kind: 'v2', mount: '/sys/fs/cgroup/unified' });
    assert.equal(parseCgroupMounts(hybrid.split('\n').filter((l) => !l.includes('memory')).join('\n'), () => [])?.memory, null);
    assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), 3);
    assert.equal(parseOomKills('low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n'), 1);
  });
  it('reports no v2 hierarchy', function () {
    assert.equal(parseCgroupMounts('30 25 0:26 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids', () => []), null);
  });
});

describe('Linux runner: origin, environment, request', function () {
  it('derives the installation only from the installed entry path', function () {
    assert.equal(installationNameFromEntry('/usr/local/lib/corral/app/dist/runner/main.js'), 'corral');
    assert.equal(installationNameFromEntry('/usr/local/lib/ctest1/app/dist/runner/main.js'), 'ctest1');
    assert.equal(installationNameFromEntry('/home/u/corral/dist/runner/main.js'), null);
    assert.equal(installationNameFromEntry('/usr/local/lib/../x/app/dist/runner/main.js'), null);
  });

  it('sets HOME, TMPDIR, USER and safe.directory after any GIT_CONFIG entries of the client', function () {
    const env = commandEnvironment(
      { PATH: '/bin', HOME: '/root', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.pager', GIT_CONFIG_VALUE_0: 'cat' },
      { home: '/h/id', tmpdir: '/tmp/s', identity: 'id', safeDirectories: ['/ws', '/more'] },
    );
    assert.equal(env.HOME, '/h/id');
    assert.equal(env.TMPDIR, '/tmp/s');
    assert.equal(env.USER, 'id');
    assert.equal(env.GIT_CONFIG_COUNT, '3');
    assert.equal(env.GIT_CONFIG_KEY_0, 'core.pager');
    assert.deepEqual([env.GIT_CONFIG_KEY_1, env.GIT_CONFIG_VALUE_1, env.GIT_CONFIG_VALUE_2], ['safe.directory', '/ws', '/more']);
    assert.equal(commandEnvironment({}, { home: '/h', tmpdir: '/t', identity: 'i', safeDirectories: [] }).PATH, '/usr/local/bin:/usr/bin:/bin');
  });

  it('takes the real user from SUDO_UID, else our own uid; refuses a malformed SUDO_UID', function () {
    assert.equal(realUid({ SUDO_UID: '1000' }, 0), 1000);
    assert.equal(realUid({}, 0), 0);
    assert.throws(() => realUid({ SUDO_UID: '1000; rm' }, 0), (err: unknown) => isCorralError(err, 'not_permitted'));
  });

  it('checks the request shape and names the field', function () {
    const good = {
      version: 1, realUser: 'u', network: 'offline', mode: 'workspace-write', workspace: '/ws', writableRoots: [], protected: ['.git', '/abs'],
      denyRead: [], loopback: 'private', limits: { timeoutSec: 1, maxOutputBytes: 1, pids: 8 }, policyDigest: '',
    };
    assert.equal(parseSessionRequest(good).workspace, '/ws');
    for (const [field, bad] of [
      ['workspace', { workspace: 'relative' }],
      ['protected', { protected: ['a/b'] }],
      ['limits', { limits: { timeoutSec: 0, maxOutputBytes: 1, pids: 8 } }],
      ['identity', { identity: 'root' }],
      ['mode', { mode: 'full-access' }],
    ] as const) {
      assert.throws(
        () => parseSessionRequest({ ...good, ...bad }),
        (err: unknown) => isCorralError(err, 'request_invalid') && err.message.includes(field),
        field,
      );
    }
  });
});

describe('Linux runner: Landlock rights', function () {
  it('handles every write-like right the ABI knows, and never read or execute', function () {
    assert.equal(handledWriteRights(1) & (FS.REFER | FS.TRUNCATE | FS.IOCTL_DEV), 0n);
    assert.equal(handledWriteRights(7) & (FS.REFER | FS.TRUNCATE | FS.IOCTL_DEV), FS.REFER | FS.TRUNCATE | FS.IOCTL_DEV);
    assert.equal(handledWriteRights(7) & (FS.READ_FILE | FS.READ_DIR | FS.EXECUTE), 0n);
  });
  it('grants devices only write/truncate/ioctl, and files only file rights', function () {
    const h = handledWriteRights(7);
    assert.equal(rightsFor('device', h, false), FS.WRITE_FILE | FS.TRUNCATE | FS.IOCTL_DEV);
    assert.equal(rightsFor('tree', h, false) & FS.MAKE_REG, 0n);
    assert.equal(rightsFor('tree', h, true), h);
  });
});
