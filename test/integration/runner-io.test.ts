/**
 * I/O through a real session (root only): output byte-exact, stdin round trip, concurrent
 * commands, output cut at maxOutputBytes and flagged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';

describe('runner I/O (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: creates users and starts the runner as root
    f = createRunnerFixture();
    c = RunnerClient.start(f.request(), f.env);
    await c.hello();
  });
  after(async function () {
    if (c !== undefined) await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
    c?.killNow();
    f?.cleanup();
  });

  it('delivers 10 MiB of stdout byte-exact', async function () {
    const r = await c!.exec(['/bin/sh', '-c', 'head -c 10485760 /dev/urandom > blob && cat blob'], { cwd: f!.workspace });
    assert.equal(r.exit?.code, 0);
    assert.equal(r.exit?.outputTruncated, false);
    const blob = readFileSync(`${f!.workspace}/blob`);
    assert.equal(r.stdout.length, 10 * 1024 * 1024);
    assert.ok(r.stdout.equals(blob), 'stdout differs from the file');
  });

  it('round-trips stdin', async function () {
    const input = randomBytes(3 * 1024 * 1024 + 17);
    const r = await c!.exec(['/bin/cat'], { cwd: f!.workspace, stdin: input });
    assert.equal(r.exit?.code, 0);
    assert.ok(r.stdout.equals(input));
  });

  it('runs 20 commands at once', async function () {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c!.exec(['/bin/sh', '-c', 'sleep 0.3; echo "$0"; echo "e$0" >&2', String(i)], { cwd: f!.workspace })),
    );
    results.forEach((r, i) => {
      assert.equal(r.exit?.code, 0);
      assert.equal(r.stdout.toString(), `${i}\n`);
      assert.equal(r.stderr.toString(), `e${i}\n`);
    });
  });

  it('runs 100 commands one after another', async function () {
    for (let i = 0; i < 100; i++) {
      const r = await c!.exec(['/bin/echo', String(i)], { cwd: f!.workspace });
      assert.equal(r.stdout.toString(), `${i}\n`);
    }
  });

  it('reports exit codes and signals', async function () {
    assert.equal((await c!.exec(['/bin/sh', '-c', 'exit 7'], { cwd: f!.workspace })).exit?.code, 7);
    const killed = await c!.exec(['/bin/sh', '-c', 'kill -TERM $$'], { cwd: f!.workspace });
    assert.equal(killed.exit?.signal, 'SIGTERM');
  });

  it('kills a command on request', async function () {
    const id = c!.spawnCommand(['/bin/sleep', '600'], { cwd: f!.workspace });
    await c!.waitFor((m) => m.type === 'started' && m.id === id);
    c!.send({ type: 'kill', id, signal: 'SIGINT' });
    const r = await c!.result(id);
    assert.equal(r.exit?.signal, 'SIGINT');
  });

  it('cuts output beyond maxOutputBytes and says so', async function () {
    const small = RunnerClient.start(f!.request({ limits: { timeoutSec: 600, maxOutputBytes: 1000, pids: 256 } }), f!.env);
    try {
      await small.hello();
      const r = await small.exec(['/bin/sh', '-c', 'head -c 5000 /dev/zero; head -c 5000 /dev/zero >&2'], { cwd: f!.workspace });
      assert.equal(r.exit?.code, 0);
      assert.equal(r.exit?.outputTruncated, true);
      assert.equal(r.stdout.length + r.stderr.length, 1000);
      await small.shutdown();
    } finally {
      small.killNow();
    }
  });
});
