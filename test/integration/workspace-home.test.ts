/**
 * A home per identity and workspace, attacked for real (root, real runner processes): a
 * session in workspace A plants a `.pth` file in Python's user site-packages under its HOME
 * (Python runs it at every start-up); a session of the same identity in workspace B starts the
 * machine's python3, and the `.pth` must not run there. The control: the next session in A
 * does run it. B also cannot see or write A's home, nor the identity home above them.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';

const PTH = "import os; open(os.path.join(os.getcwd(), 'PTH-RAN'), 'w').close()";

describe('a home per workspace for the identity (root, real runner processes)', function () {
  let f: RunnerFixture | undefined;
  let a = '';
  let b = '';
  const clients: RunnerClient[] = [];

  before(function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
    a = f.workspace;
    b = f.addWorkspace('other');
  });
  after(async function () {
    for (const c of clients) {
      await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
      c.killNow();
    }
    f?.cleanup();
  });

  /** One session in `workspace`: run `script` there, then close it. */
  async function session(workspace: string, script: string) {
    const c = RunnerClient.start(f!.request({ workspace }), f!.env);
    clients.push(c);
    const hello = await c.hello();
    const r = await c.sh(script, { cwd: workspace });
    await c.shutdown();
    return { ...r, hello };
  }

  it('gives each workspace its own HOME under the identity\'s home, owned by the identity, 0700', async function () {
    const ra = await session(a, 'echo "$HOME"');
    const rb = await session(b, 'echo "$HOME"');
    assert.equal(ra.code, 0, ra.err);
    const homeA = `${f!.offline.home}/${workspaceHomeName(a)}`;
    const homeB = `${f!.offline.home}/${workspaceHomeName(b)}`;
    assert.equal(ra.out.trim(), homeA);
    assert.equal(rb.out.trim(), homeB);
    assert.notEqual(homeA, homeB);
    assert.equal(ra.hello.home, homeA);
    for (const home of [homeA, homeB]) {
      const st = lstatSync(home);
      assert.equal(st.isDirectory(), true);
      assert.equal(st.uid, f!.offline.uid);
      assert.equal(st.mode & 0o777, 0o700);
    }
  });

  it('a .pth planted in one workspace\'s home does not run in another workspace; it does in the next session of the same one (control)', async function () {
    const plant = await session(a, `site=$(python3 -m site --user-site) && mkdir -p "$site" && printf '%s\\n' "${PTH}" > "$site/corral-test.pth" && echo "$site"`);
    assert.equal(plant.code, 0, plant.err);
    assert.ok(plant.out.startsWith(`${f!.offline.home}/${workspaceHomeName(a)}/`), plant.out);
    rmSync(`${a}/PTH-RAN`, { force: true }); // python -m site itself ran before the file existed; be sure
    const other = await session(b, 'python3 -c "print(1)"');
    assert.equal(other.code, 0, other.err);
    assert.equal(existsSync(`${b}/PTH-RAN`), false, 'the .pth of workspace A ran in a session of workspace B');
    const same = await session(a, 'python3 -c "print(1)"');
    assert.equal(same.code, 0, same.err);
    assert.equal(existsSync(`${a}/PTH-RAN`), true, 'control: the planted .pth does not run even in its own workspace, so this test proves nothing');
  });

  it('cannot read or write another workspace\'s home, nor write the identity home above them', async function () {
    const homeA = `${f!.offline.home}/${workspaceHomeName(a)}`;
    const r = await session(b, [
      `if ls -A '${homeA}' 2>/dev/null | grep -q .; then echo A-HOME-LISTED; fi`,
      `if cat '${homeA}'/.local/lib/python3*/site-packages/corral-test.pth 2>/dev/null; then echo A-HOME-READ; fi`,
      `if mkdir '${f!.offline.home}/planted' 2>/dev/null; then echo IDENTITY-HOME-WRITTEN; fi`,
      `if echo x > '${homeA}/planted' 2>/dev/null; then echo A-HOME-WRITTEN; fi`,
      'echo done',
    ].join('\n'));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'done\n');
    assert.equal(existsSync(`${f!.offline.home}/planted`), false);
    assert.equal(existsSync(`${homeA}/planted`), false);
  });
});
