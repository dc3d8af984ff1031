/**
 * Per-command cgroups of a real session (root only). The runner moves into the next command's
 * group ahead of time (runner/linux/cgroup.ts): each command is still born in a group of its own,
 * groups of finished commands are removed, commands started in the same tick get separate groups,
 * and a command's timeout kills only that command's group, never the runner.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';

describe('runner per-command cgroups (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;
  let sessionDir = '';

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
    c = RunnerClient.start(f.request(), f.env);
    const hello = await c.hello();
    sessionDir = `/sys/fs/cgroup/unified/${f.installation.name}/${basename(hello.tmpdir)}`;
  });
  after(function () {
    c?.killNow();
    f?.cleanup();
  });

  const groupOf = (text: string) => text.split('\n').find((l) => l.startsWith('0::'))!.slice(3);
  const commandGroups = () => readdirSync(sessionDir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'runner');

  it('gives each command a group of its own, and removes the groups of finished commands', async function () {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await c!.sh('cat /proc/self/cgroup', { cwd: f!.workspace });
      assert.equal(r.code, 0, r.err);
      const group = groupOf(r.out);
      assert.match(group, /\/c\d+$/, `command ran in ${group}`);
      assert.equal(seen.has(group), false, `two commands shared ${group}`);
      seen.add(group);
    }
    // At most the one group the runner waits in for the next command remains. A group emptied a
    // moment ago may still refuse rmdir (EBUSY) until the kernel marks it unpopulated; the
    // runner tries it again shortly, so this waits up to ~3 s for it.
    for (let i = 0; i < 60 && commandGroups().length > 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(commandGroups().length <= 1, `groups left: ${commandGroups().map((e) => e.name).join(', ')}`);
  });

  it('starts commands sent together in separate groups', async function () {
    const results = await Promise.all([1, 2, 3].map(() => c!.sh('cat /proc/self/cgroup', { cwd: f!.workspace })));
    const groups = results.map((r) => groupOf(r.out));
    assert.equal(new Set(groups).size, 3, `groups: ${groups.join(', ')}`);
  });

  it('a timeout kills the command, not the runner waiting in the next group', async function () {
    const slow = await c!.sh('sleep 600', { cwd: f!.workspace, timeoutMs: 500 });
    assert.equal(slow.result.exit?.timedOut, true);
    const runnerGroup = groupOf(readFileSync(`/proc/${c!.child.pid}/cgroup`, 'utf8'));
    assert.ok(runnerGroup.startsWith(`/${f!.installation.name}/`), `runner left its session: ${runnerGroup}`);
    const after = await c!.exec(['/bin/echo', 'alive'], { cwd: f!.workspace });
    assert.equal(after.stdout.toString(), 'alive\n');
  });
});
