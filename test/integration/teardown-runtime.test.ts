/**
 * Teardown leaves nothing of the sessions behind (root): after `corral run` has created the
 * run-time directories of sessions (cgroup bases, the session temp parent, /run/<inst>),
 * `corral teardown` removes them too.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { sessionRuntimeDirs } from '../../runner/linux/runtime-dirs.js';
import { requireRoot, show, TestInstallation } from './helpers/e2e.js';

describe('teardown removes what sessions created at run time (root)', function () {
  this.timeout(300_000);
  let inst: TestInstallation | undefined;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
  });
  after(async () => {
    await inst?.teardown();
  });

  it('removes the cgroup bases, the session temp parent and /run/<inst>', async function () {
    const r = await inst!.run(['true']);
    assert.equal(r.status, 0, show(r));
    const { dirs } = sessionRuntimeDirs(inst!.instance);
    const made = dirs.filter((d) => existsSync(d));
    assert.ok(made.length >= 3, `a session creates its run-time directories; found ${made.join(', ')}`);
    const t = await inst!.corral(['teardown', '--yes']);
    assert.equal(t.status, 0, show(t));
    assert.deepEqual(dirs.filter((d) => existsSync(d)), [], 'left after teardown');
  });
});
