/**
 * The session's memory limit, for real (root, real runner process): a real memory bomb is
 * killed inside the session and its result says `killed: out of memory`; an allocation under
 * the limit passes; the session (runner) survives; the private /tmp cannot outgrow the limit.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRunnerFixture, isRoot, type RunnerFixture } from '../helpers/runner-fixture.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';

const LIMIT = 96 * 1024 * 1024;
const PY = '/usr/bin/python3';

describe('session memory limit (root, real runner process)', function () {
  let f: RunnerFixture | undefined;
  let c: RunnerClient | undefined;
  let containment = '';

  before(async function () {
    if (!isRoot()) this.skip(); // needs root: cgroups, users, mounts
    f = createRunnerFixture();
    const base = f.request();
    c = RunnerClient.start({ ...base, limits: { ...base.limits, memoryBytes: LIMIT } }, f.env);
    const hello = await c.hello();
    containment = hello.enforcement.containment;
    if (hello.enforcement.warnings.some((w) => w.includes('no memory cgroup controller'))) this.skip(); // host without a memory controller
  });
  after(async function () {
    if (c !== undefined) await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
    c?.killNow();
    f?.cleanup();
  });

  const run = (argv: string[]) => c!.exec(argv, { cwd: f!.workspace, env: { PATH: '/usr/bin:/bin' } });

  it('sets the limit on the session\'s cgroup (v2 memory.max, or v1 memory.limit_in_bytes on hybrid hosts)', function () {
    const v1 = containment.includes('memory');
    const name = f!.installation.name;
    const dirs = v1 ? `/sys/fs/cgroup/memory/${name}` : `/sys/fs/cgroup/unified/${name}`;
    const file = v1 ? 'memory.limit_in_bytes' : 'memory.max';
    const groups = readdirSync(dirs).filter((d) => /^[0-9a-f]{12}$/.test(d));
    assert.equal(groups.length, 1, `one session group under ${dirs}`);
    assert.equal(Number(readFileSync(`${dirs}/${groups[0]}/${file}`, 'utf8')), LIMIT);
  });

  it('passes an allocation under the limit', async function () {
    const r = await run([PY, '-c', 'b = bytearray(32 * 1024 * 1024); print(len(b))']);
    assert.equal(r.exit?.code, 0, r.stderr.toString());
    assert.equal(r.exit?.killed, undefined);
  });

  it('kills a memory bomb inside the session, and the result says killed: out of memory', async function () {
    const r = await run([PY, '-c', 'chunks = []\nwhile True: chunks.append(bytearray(8 * 1024 * 1024))']);
    assert.equal(r.exit?.signal, 'SIGKILL', JSON.stringify(r.exit));
    assert.equal(r.exit?.killed, 'out of memory');
    assert.equal(r.exit?.timedOut, false);
  });

  it('says so too when a shell waited for the bomb (exit 137)', async function () {
    const r = await run(['sh', '-c', `${PY} -c 'x = bytearray(512 * 1024 * 1024)'; exit $?`]);
    assert.equal(r.exit?.code, 137, JSON.stringify(r.exit));
    assert.equal(r.exit?.killed, 'out of memory');
  });

  it('the session survives and runs the next command; a plain SIGKILL exit is not called out of memory', async function () {
    const r = await run(['sh', '-c', 'echo alive']);
    assert.equal(r.stdout.toString(), 'alive\n');
    const k = await run(['sh', '-c', 'kill -9 $$']);
    assert.equal(k.exit?.signal, 'SIGKILL');
    assert.equal(k.exit?.killed, undefined);
  });

  it('cannot fill its private /tmp beyond its share of the limit (ENOSPC), and keeps running', async function () {
    const r = await run(['sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1M count=256 2>&1; s=$?; df -B1 --output=size /tmp | tail -1; rm -f /tmp/fill; exit $s']);
    assert.notEqual(r.exit?.code, 0, r.stdout.toString());
    assert.match(r.stdout.toString(), /No space left on device/);
    assert.equal(Number(r.stdout.toString().trim().split('\n').pop()), LIMIT / 2);
    const after = await run(['sh', '-c', 'echo alive']);
    assert.equal(after.stdout.toString(), 'alive\n');
  });
});
