import assert from 'node:assert/strict';
import { inodeReport, reaperInput } from '../../runner/linux/reaper.js';
import { adoptSharedPlaceholders, type ProtectionStep } from '../../runner/linux/protected-paths.js';

const targets = (placeholders: { path: string; dirFd: number; name: string; kind: 'dir' | 'file' }[]) => ({
  installation: 'corral',
  sessionId: 'abc123',
  cgroupV2: '/sys/fs/cgroup/corral/abc123',
  cgroupPids: null,
  tmpdir: '/run/corral/sessions/abc123',
  placeholders,
});

describe('reaper input (targets on stdin, placeholders through inherited directory descriptors)', () => {
  it('writes one line per target and numbers parent directories from descriptor 3, in order', () => {
    const text = reaperInput(
      targets([
        { path: '/ws/.git', dirFd: 40, name: '.git', kind: 'dir' },
        { path: '/ws/a b/.env', dirFd: 41, name: '.env', kind: 'file' },
        { path: '/ws/.vscode', dirFd: 40, name: '.vscode', kind: 'dir' },
      ]),
      [40, 41],
    );
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 6), ['sid abc123', 'reg /run/corral/reservations', 'v2 /sys/fs/cgroup/corral/abc123', 'pids -', 'mem -', 'tmp /run/corral/sessions/abc123']);
    assert.match(lines[6]!, /^place 3 [0-9a-f]{32} d$/);
    assert.equal(lines[7], '.git');
    assert.match(lines[8]!, /^place 4 [0-9a-f]{32} f$/);
    assert.equal(lines[9], '.env');
    assert.match(lines[10]!, /^place 3 /);
    assert.equal(text.endsWith('.vscode\nend\n'), true);
  });

  it('refuses a name with a line break or a slash before anything starts', () => {
    assert.throws(() => reaperInput(targets([{ path: '/ws/a\nb', dirFd: 5, name: 'a\nb', kind: 'file' }]), [5]), /line break/);
    assert.throws(() => reaperInput(targets([{ path: '/ws/a/b', dirFd: 5, name: 'a/b', kind: 'file' }]), [5]), /single path component/);
    assert.throws(() => reaperInput(targets([{ path: '/ws/..', dirFd: 5, name: '..', kind: 'dir' }]), [5]), /single path component/);
  });
});

describe('inode report (after the placeholders exist)', () => {
  it('one line per placeholder that exists, numbered from 1 in the order of the targets, digits only', () => {
    assert.equal(inodeReport([{ dev: 2049, ino: 131 }, null, { dev: 64769, ino: 7 }]), 'ino 1 2049:131\nino 3 64769:7\n');
    assert.equal(inodeReport([]), '');
  });
});

describe('adoptSharedPlaceholders', () => {
  it("turns a bind of another session's live placeholder into a reserve of it, and leaves other steps", () => {
    const steps: ProtectionStep[] = [
      { op: 'bind', path: '/ws/.git' },
      { op: 'bind', path: '/ws/real-dir' },
      { op: 'mask-dir', path: '/ws/secret' },
    ];
    const adopted = adoptSharedPlaceholders(steps, (path) => (path === '/ws/.git' ? 'dir' : null));
    assert.deepEqual(adopted, [
      { op: 'reserve', root: '/ws', name: '.git', kind: 'dir' },
      { op: 'bind', path: '/ws/real-dir' },
      { op: 'mask-dir', path: '/ws/secret' },
    ]);
  });
});
