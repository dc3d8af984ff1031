/** Parsing /proc/self/mountinfo (runner/linux/mountinfo.ts), pure: runs on any OS. */
import assert from 'node:assert/strict';
import { parseMountInfo, topMountAt } from '../../runner/linux/mountinfo.js';

const TEXT = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '31 27 0:25 / /tmp rw,nosuid shared:5 master:1 - tmpfs tmpfs rw,size=100k',
  '40 27 7:3 / /var/lib/corral/home/corral-u/ws-0123456789abcdef rw,nosuid,nodev,relatime - ext4 /dev/loop3 rw,errors=remount-ro',
  '41 27 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw',
  '42 40 0:31 / /var/lib/corral/home/corral-u/ws-0123456789abcdef rw - tmpfs over rw',
  'garbage line',
  '',
].join('\n');

describe('mountinfo parsing', () => {
  it('reads device, mount point (unescaped), type and source past the optional fields', () => {
    const m = parseMountInfo(TEXT);
    assert.equal(m.length, 5);
    assert.deepEqual(m[1], { majorMinor: '0:25', mountPoint: '/tmp', fstype: 'tmpfs', source: 'tmpfs' });
    assert.deepEqual(m[2], { majorMinor: '7:3', mountPoint: '/var/lib/corral/home/corral-u/ws-0123456789abcdef', fstype: 'ext4', source: '/dev/loop3' });
    assert.equal(m[3]!.mountPoint, '/mnt/with space');
  });

  it('the top mount on a point is the last one listed on it; none: null', () => {
    const m = parseMountInfo(TEXT);
    assert.equal(topMountAt(m, '/var/lib/corral/home/corral-u/ws-0123456789abcdef')?.source, 'over');
    assert.equal(topMountAt(m, '/nowhere'), null);
  });
});
