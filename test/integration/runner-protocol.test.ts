/**
 * The runner's front door, driven directly over the protocol (root only): malformed or
 * hostile open frames are refused with an error frame and the matching exit code, and bad
 * spawn requests are refused without ending the session.
 */
import assert from 'node:assert/strict';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';

describe('runner protocol (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  const clients: RunnerClient[] = [];
  const track = (c: RunnerClient) => (clients.push(c), c);

  before(function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
  });
  after(function () {
    for (const c of clients) c.killNow();
    f?.cleanup();
  });

  async function refusal(c: RunnerClient): Promise<{ code: string; exit: number | null }> {
    const frame = await c.waitFor((m) => m.type === 'error' || m.type === 'hello');
    assert.equal(frame.type, 'error', `expected a refusal, got ${JSON.stringify(frame)}`);
    const { code } = await c.exited;
    return { code: frame.type === 'error' ? frame.code : '', exit: code };
  }

  it('refuses a first frame that is not JSON (request_invalid, exit 2)', async function () {
    const c = track(RunnerClient.startRaw(f!.env));
    const body = Buffer.from('not json');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    c.child.stdin!.end(Buffer.concat([head, body]));
    assert.deepEqual(await refusal(c), { code: 'request_invalid', exit: 2 });
  });

  it('refuses a first frame that is not open', async function () {
    const c = track(RunnerClient.startRaw(f!.env));
    c.send({ type: 'shutdown' });
    assert.deepEqual(await refusal(c), { code: 'request_invalid', exit: 2 });
  });

  it('refuses input that ends inside the open frame', async function () {
    const c = track(RunnerClient.startRaw(f!.env));
    c.child.stdin!.end(Buffer.from([200, 0]));
    assert.deepEqual(await refusal(c), { code: 'request_invalid', exit: 2 });
  });

  it('refuses unknown request fields and full-access', async function () {
    const extra = track(RunnerClient.start({ ...f!.request(), identity: 'root' } as never, f!.env));
    assert.equal((await refusal(extra)).code, 'request_invalid');
    const full = track(RunnerClient.start(f!.request({ mode: 'full-access' }), f!.env));
    assert.equal((await refusal(full)).code, 'request_invalid');
  });

  it('refuses a realUser that is not the caller (not_permitted, exit 4)', async function () {
    const c = track(RunnerClient.start(f!.request({ realUser: 'daemon' }), f!.env));
    assert.deepEqual(await refusal(c), { code: 'not_permitted', exit: 4 });
  });

  it('refuses SUDO_UID when not started from an installed copy', async function () {
    const c = track(RunnerClient.start(f!.request(), { ...f!.env, SUDO_UID: '1' }));
    assert.equal((await refusal(c)).code, 'not_permitted');
  });

  it('refuses a workspace that is not provisioned (not_provisioned, exit 3), and a missing one', async function () {
    const c = track(RunnerClient.start(f!.request({ workspace: f!.base }), f!.env));
    assert.deepEqual(await refusal(c), { code: 'not_provisioned', exit: 3 });
    const missing = track(RunnerClient.start(f!.request({ workspace: `${f!.base}/nope` }), f!.env));
    assert.equal((await refusal(missing)).code, 'workspace_invalid');
  });

  it('refuses a writable root owned by someone else', async function () {
    const c = track(RunnerClient.start(f!.request({ writableRoots: [f!.offline.home] }), f!.env));
    assert.equal((await refusal(c)).code, 'workspace_not_owned');
  });

  it('refuses an installation that is not provisioned', async function () {
    const c = track(RunnerClient.start(f!.request(), { ...f!.env, CORRAL_INSTANCE: 'ctrnone' }));
    assert.deepEqual(await refusal(c), { code: 'not_provisioned', exit: 3 });
  });

  it('answers bad spawn requests with an error frame and keeps serving', async function () {
    const c = track(RunnerClient.start(f!.request(), f!.env));
    await c.hello();
    const empty = await c.exec([], { cwd: f!.workspace });
    assert.equal(empty.error?.code, 'request_invalid');
    const outside = await c.exec(['/bin/true'], { cwd: '/etc' });
    assert.equal(outside.error?.code, 'cwd_outside_workspace');
    const missing = await c.exec(['/no/such/program'], { cwd: f!.workspace });
    assert.equal(missing.error?.code, 'command_not_found');
    const ok = await c.exec(['/bin/true'], { cwd: f!.workspace });
    assert.equal(ok.exit?.code, 0);
    assert.deepEqual(await c.shutdown(), { code: 0, signal: null });
  });
});
