/**
 * End to end, as root, with the real runner: `corral run` and `openSession` I/O, exit codes,
 * input checks, the privilege bridge for non-root users, and the audit log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isCorralError, openSession } from 'corral';
import { createUser, hex, removeUser, requireRoot, show, TestInstallation, userDir, userFile, type TestUser } from './helpers/e2e.js';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('corral run end to end: I/O, exit codes, bad input (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const savedEnv: Record<string, string | undefined> = {};

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
  });
  after(async () => {
    await inst?.teardown();
  });

  /** openSession in this process as root on the test user's behalf, as `sudo node app.js` would. */
  function actAsUser(): void {
    for (const [k, v] of Object.entries(inst!.rootEnv())) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  }
  afterEach(() => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete savedEnv[k];
    }
  });

  it('streams 10 MiB of stdout byte-exact', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    userFile(inst!.user, path.join(inst!.workspace, 'big.bin'), data);
    const r = await inst!.run(['cat', 'big.bin']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.length, data.length);
    assert.ok(r.stdout.equals(data), 'stdout differs from the file');
  });

  it('forwards stdin byte-exact (1 MiB through cat)', async () => {
    const data = randomBytes(1024 * 1024);
    const r = await inst!.run(['cat'], [], { input: data });
    assert.equal(r.status, 0, show(r));
    assert.ok(r.stdout.equals(data), 'stdout differs from stdin');
  });

  it("exits with the command's code, 124 on timeout, 128+signal when killed", async () => {
    const own = await inst!.run(['sh', '-c', 'echo to-stderr >&2; exit 42']);
    assert.equal(own.status, 42, show(own));
    assert.match(own.stderr, /to-stderr/);
    const timedOut = await inst!.run(['sleep', '30'], ['--timeout', '1']);
    assert.equal(timedOut.status, 124, show(timedOut));
    const killed = await inst!.run(['sh', '-c', 'kill -TERM $$']);
    assert.equal(killed.status, 128 + 15, show(killed));
  });

  it('forwards SIGINT to corral as a kill of the command (130)', async () => {
    const child = spawn(process.execPath, [inst!.cliPath, 'run', '--workspace', inst!.workspace, '--', 'sh', '-c', 'echo ready; exec sleep 60'], {
      env: { ...process.env, ...inst!.rootEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const status = await new Promise<number | null>((resolve) => {
      child.stdout.once('data', () => child.kill('SIGINT'));
      child.once('close', (code) => resolve(code));
      setTimeout(() => child.kill('SIGKILL'), 60_000);
    });
    assert.equal(status, 130);
  });

  it('--json collects the result in one document', async () => {
    const r = await inst!.run(['sh', '-c', 'printf out; printf err >&2; exit 3'], ['--json']);
    assert.equal(r.status, 3, show(r));
    const doc = JSON.parse(r.stdout.toString()) as { status: number; stdout: { data: string }; stderr: { data: string }; identity: string };
    assert.equal(doc.status, 3);
    assert.equal(doc.stdout.data, 'out');
    assert.equal(doc.stderr.data, 'err');
    assert.equal(doc.identity, inst!.identity('offline').name);
  });

  it('empty argv: exit 2 (usage)', async () => {
    const r = await inst!.corral(['run', '--workspace', inst!.workspace, '--']);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /\[usage\]/);
  });

  it('cwd outside the workspace: refused with exit 2 before anything runs', async () => {
    const r = await inst!.run(['touch', 'should-not-exist'], ['--cwd', '/tmp']);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /cwd_outside_workspace/);
  });

  it('not provisioned: exit 3 naming `corral setup`', async () => {
    const r = await inst!.run(['true'], [], { env: { CORRAL_INSTANCE: `ctest${hex(3)}` } });
    assert.equal(r.status, 3, show(r));
    assert.match(r.stderr, /corral setup/);
  });

  it('a non-root member of the group runs through the sudo rule, as the offline identity', async () => {
    const r = await inst!.corralAs(inst!.user, ['run', '--workspace', inst!.workspace, '--', 'id', '-un']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString().trim(), inst!.identity('offline').name);
  });

  describe('a non-root user outside the group', () => {
    let outsider: TestUser | undefined;
    before(() => {
      outsider = createUser('ctx');
    });
    after(() => removeUser(outsider));

    it('is refused with exit 4 (not_permitted) and a clear message', async () => {
      const ws = userDir(outsider!, path.join(outsider!.home, 'ws'));
      const r = await inst!.corralAs(outsider!, ['run', '--workspace', ws, '--', 'true'], { cwd: ws });
      assert.equal(r.status, 4, show(r));
      assert.match(r.stderr, /not_permitted/);
      assert.match(r.stderr, new RegExp(`group ${inst!.instance}`));
    });
  });

  it('openSession: 100 sequential and 20 concurrent commands through one session all succeed', async () => {
    actAsUser();
    const session = await openSession({ workspace: inst!.workspace, audit: false });
    try {
      for (let i = 0; i < 100; i++) {
        const r = await session.exec(['sh', '-c', `echo seq-${i}`]);
        assert.equal(r.status, 0);
        assert.equal(r.stdout.toString(), `seq-${i}\n`);
      }
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => session.exec(['sh', '-c', `sleep 0.2; echo par-${i}; exit ${i}`])));
      all.forEach((r, i) => {
        assert.equal(r.exitCode, i);
        assert.equal(r.stdout.toString(), `par-${i}\n`);
      });
    } finally {
      await session.close();
    }
  });

  it('openSession: errors are CorralErrors with stable codes (cwd outside, empty argv, closed session)', async () => {
    actAsUser();
    const session = await openSession({ workspace: inst!.workspace, audit: false });
    await assert.rejects(session.exec(['true'], { cwd: '/etc' }), (e: unknown) => isCorralError(e, 'cwd_outside_workspace'));
    await assert.rejects(session.exec([]), (e: unknown) => isCorralError(e, 'usage'));
    await session.close();
    await session.close();
    await assert.rejects(session.exec(['true']), (e: unknown) => isCorralError(e, 'session_closed'));
  });

  it('measures a warm session running /bin/true against a plain spawn (medians over 200, logged, not asserted)', async () => {
    actAsUser();
    const plain = async () => {
      const t = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const c = spawn('/bin/true', [], { stdio: 'ignore' });
        c.once('error', reject);
        c.once('close', () => resolve());
      });
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const session = await openSession({ workspace: inst!.workspace, audit: false });
    try {
      const warm = async () => {
        const t = process.hrtime.bigint();
        const r = await session.exec(['/bin/true']);
        assert.equal(r.status, 0);
        return Number(process.hrtime.bigint() - t) / 1e6;
      };
      const p: number[] = [];
      const w: number[] = [];
      for (let i = 0; i < 20; i++) await warm(); // warm-up
      for (let i = 0; i < 200; i++) {
        p.push(await plain());
        w.push(await warm());
      }
      console.log(`      /bin/true median over 200: plain spawn ${median(p).toFixed(2)} ms, warm session ${median(w).toFixed(2)} ms`);
    } finally {
      await session.close();
    }
  });

  it("runs the user's ~/.local/bin tools inside the sandbox, next to the audit directory Corral made (issue 13.11)", async () => {
    const warmup = await inst!.run(['true']); // the audit log's directories exist from here on
    assert.equal(warmup.status, 0, show(warmup));
    const bin = userDir(inst!.user, path.join(inst!.user.home, '.local', 'bin'));
    const tool = path.join(bin, `corral-hello-${hex(2)}`);
    userFile(inst!.user, tool, '#!/bin/sh\necho hello from local bin\n', 0o755);
    const r = await inst!.run([tool]);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'hello from local bin\n');
  });

  it("writes one audit line per command to the user's ~/.local/state/<inst>/audit.jsonl, owned by the user", async () => {
    const marker = `audit-${hex(4)}`;
    const r = await inst!.run(['echo', marker]);
    assert.equal(r.status, 0, show(r));
    const file = path.join(inst!.user.home, '.local', 'state', inst!.instance, 'audit.jsonl');
    const st = statSync(file);
    assert.equal(st.uid, inst!.user.uid, 'the audit log belongs to the real user');
    assert.equal(st.mode & 0o777, 0o600);
    // Only Corral's leaf is private; the XDG parents it created have the usual mode (issue 13.11).
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    for (const parent of [path.join(inst!.user.home, '.local'), path.join(inst!.user.home, '.local', 'state')]) {
      assert.equal(statSync(parent).mode & 0o077, 0o777 & ~process.umask() & 0o077, `${parent} must keep the mode mkdir -p gives it, not 0700`);
    }
    const last = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(last.argv, ['echo', marker]);
    assert.equal(last.realUser, inst!.user.name);
    assert.equal(last.identity, inst!.identity('offline').name);
    assert.equal(last.exitCode, 0);
    const shown = await inst!.corral(['audit', '--json', '--last', '1']);
    assert.equal(shown.status, 0, show(shown));
    const doc = JSON.parse(shown.stdout.toString()) as { records: { argv: string[] }[] };
    assert.deepEqual(doc.records.map((x) => x.argv), [['echo', marker]]);
  });
});
