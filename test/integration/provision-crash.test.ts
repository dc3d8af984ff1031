/**
 * Crash anywhere, converge (root, the real machine): `corral setup` and `corral teardown`
 * killed with SIGKILL after each of their steps in turn; two setups at once; a full and a
 * read-only state directory.
 *
 * The kill is a real SIGKILL from the kernel at an exact point, with no kill switch in the
 * product: the CLI runs under `strace -P <journal> -e inject=write:signal=SIGKILL:when=K`,
 * which kills the process on entry to its K-th write(2) to the journal file. A reference run
 * (the same strace, logging only) says which write is which record; K is chosen as each
 * step's `done` (setup) or `undone` (teardown) record — so the process dies after the step's
 * effect is on the machine and before the journal says so, the hardest point to recover from.
 *
 * After each kill: setup is re-run (exit 0, `status` healthy, a real sandboxed command writes
 * in the workspace), torn down, and the machine snapshot (helpers/provision.ts
 * machineSnapshot: passwd/group/shadow/gshadow, nft, ACLs of the home tree, sudoers drop-in,
 * runner copy, state directory, /run/<installation>) must equal the one taken before any
 * setup, byte for byte. Every step is covered; none is sampled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Journal } from '../../orchestrator/journal.js';
import { assertSameMachine, describeResult, killedAtSyscall, killedAtWrite, machineSnapshot, ProvisionFixture, sh, straced, tryRun, type MachineSnapshot } from './helpers/provision.js';

interface JournalWrite {
  op: string;
  step: string;
}

/** The journal writes of one full run, in order (strace's log of write(2) to the journal). */
async function referenceWrites(fx: ProvisionFixture, args: string[]): Promise<JournalWrite[]> {
  const log = path.join('/tmp', `${fx.instance}-strace.log`);
  try {
    const r = await straced(fx, args, ['-o', log]);
    assert.equal(r.status, 0, describeResult(r));
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('write('))
      .map((l) => {
        const op = /\\"op\\":\\"([a-z-]+)\\"/.exec(l)?.[1];
        const step = /\\"step\\":\\"([^"\\]*)\\"/.exec(l)?.[1];
        assert.ok(op !== undefined && step !== undefined, `a journal write strace could not read: ${l.slice(0, 200)}`);
        return { op, step };
      });
  } finally {
    rmSync(log, { force: true });
  }
}

function isMounted(p: string): boolean {
  return spawnSync('mountpoint', ['-q', p]).status === 0;
}

function unmountAll(p: string): void {
  for (let i = 0; i < 5 && isMounted(p); i++) tryRun('umount', ['-l', p]);
}

describe('Provisioning survives a crash anywhere (root): kill after every step, concurrent setups, full and read-only state', function () {
  const fx = new ProvisionFixture();
  let baseline: MachineSnapshot;
  let ws: string;
  const setupArgs = () => ['setup', '--yes', '--workspace', ws];

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: needs root — the suite creates users, groups, nft tables, mounts and a sudoers drop-in)');
      this.skip();
    }
    if (spawnSync('strace', ['-V']).status !== 0) throw new Error('strace is required for the kill points (apt-get install strace)');
    fx.createUser();
    ws = fx.workspace;
    for (const d of [ws, path.join(ws, '.git'), path.join(ws, 'src')]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, fx.uid, fx.gid);
    }
    for (const [f, text] of [
      ['.git/HEAD', 'ref: refs/heads/main\n'],
      ['src/a.txt', 'a\n'],
    ] as const) {
      writeFileSync(path.join(ws, f), text);
      chownSync(path.join(ws, f), fx.uid, fx.gid);
    }
    // An ACL entry of the user's own: it must survive every crash and teardown exactly.
    sh('setfacl', ['-m', 'u:nobody:r--', path.join(ws, 'src', 'a.txt')]);
    baseline = machineSnapshot(fx);
  });

  after(async function () {
    this.timeout(300_000);
    unmountAll(fx.inst.stateDir);
    if (fx.uid !== -1) await fx.cleanup();
  });

  /** Setup converged: exit 0 from a re-run, healthy status, a real command in a real session. */
  async function assertConverged(label: string): Promise<void> {
    const again = await fx.corral([...setupArgs(), '--json']);
    assert.equal(again.status, 0, `${label}: re-run of setup: ${describeResult(again)}`);
    const status = await fx.corral(['status', '--json']);
    assert.equal(status.status, 0, `${label}: status after the re-run: ${describeResult(status)}`);
    const marker = path.join(ws, 'src', 'from-session.txt');
    const run = await fx.corral(['run', '--workspace', ws, '--', '/bin/sh', '-c', `echo converged > ${marker} && id -un`]);
    assert.equal(run.status, 0, `${label}: a sandboxed command: ${describeResult(run)}`);
    assert.equal(readFileSync(marker, 'utf8'), 'converged\n');
    assert.equal(run.stdout.trim(), fx.names.offline, `${label}: the command ran as the offline identity`);
    rmSync(marker);
    // `corral run` appends to the user's own audit log (~/.local/state/<installation>); it is
    // the user's, teardown keeps it, so the test removes it to compare the home.
    rmSync(path.join(fx.home, '.local'), { recursive: true, force: true });
  }

  async function teardownToBaseline(label: string): Promise<void> {
    const down = await fx.corral(['teardown', '--yes', '--json']);
    assert.equal(down.status, 0, `${label}: teardown: ${describeResult(down)}`);
    assertSameMachine(fx, baseline, machineSnapshot(fx), label);
  }

  let setupWrites: JournalWrite[] = [];
  let teardownWrites: JournalWrite[] = [];

  it('reference run: setup and teardown, the journal writes of each, and the machine restored', async function () {
    this.timeout(300_000);
    setupWrites = await referenceWrites(fx, setupArgs());
    await assertConverged('reference');
    teardownWrites = await referenceWrites(fx, ['teardown', '--yes']);
    assertSameMachine(fx, baseline, machineSnapshot(fx), 'reference teardown');
    const steps = setupWrites.filter((w) => w.op === 'done');
    assert.ok(steps.length >= 8, `setup journaled its steps: ${JSON.stringify(setupWrites)}`);
    assert.deepEqual(setupWrites.map((w) => w.op), steps.flatMap(() => ['begin', 'done']), 'each setup step is begin then done');
    assert.ok(teardownWrites.filter((w) => w.op === 'undone').length >= 8, `teardown journaled its undo: ${JSON.stringify(teardownWrites)}`);
    console.log(`      setup: ${steps.length} steps (${steps.map((s) => s.step).join(', ')}); teardown: ${teardownWrites.filter((w) => w.op === 'undone').length} undo steps`);
  });

  it('setup killed after each step in turn: a re-run converges and teardown restores the machine byte for byte', async function () {
    this.timeout(900_000);
    assert.ok(setupWrites.length > 0, 'the reference run ran');
    for (let k = 1; k <= setupWrites.length; k++) {
      const w = setupWrites[k - 1]!;
      if (w.op !== 'done') continue;
      const label = `setup killed after step ${w.step} (before journal write ${k})`;
      await killedAtWrite(fx, setupArgs(), k);
      const pending = Journal.inDir(fx.inst.stateDir).pending();
      assert.equal(pending.at(-1)?.step, w.step, `${label}: the journal's last pending step`);
      assert.equal(pending.at(-1)?.status, 'begun', label);
      await assertConverged(label);
      await teardownToBaseline(label);
    }
  });

  it('teardown killed after each undo step in turn: teardown again restores the machine byte for byte', async function () {
    this.timeout(900_000);
    assert.ok(teardownWrites.length > 0, 'the reference run ran');
    for (let k = 1; k <= teardownWrites.length; k++) {
      const w = teardownWrites[k - 1]!;
      if (w.op !== 'undone') continue;
      const label = `teardown killed after undoing ${w.step} (before journal write ${k})`;
      const up = await fx.corral(setupArgs());
      assert.equal(up.status, 0, `${label}: setup: ${describeResult(up)}`);
      await killedAtWrite(fx, ['teardown', '--yes'], k);
      await teardownToBaseline(label);
    }
  });

  it("teardown killed inside its last, unjournaled step (after state.json is gone, before the journal; before the state directory's rmdir): teardown again restores the machine byte for byte", async function () {
    this.timeout(300_000);
    const journal = Journal.inDir(fx.inst.stateDir).file;
    for (const [label, path, syscalls] of [
      ['teardown killed at the unlink of the journal (state.json already removed)', journal, 'unlink,unlinkat'],
      ['teardown killed at the rmdir of the state directory', fx.inst.stateDir, 'rmdir,unlinkat'],
    ] as const) {
      const up = await fx.corral(setupArgs());
      assert.equal(up.status, 0, `${label}: setup: ${describeResult(up)}`);
      await killedAtSyscall(fx, ['teardown', '--yes'], path, syscalls);
      assert.ok(existsSync(fx.inst.stateDir), `${label}: the kill point was reached before the state directory went`);
      await teardownToBaseline(label);
    }
  });

  it('two setups at once: the second waits for the first, naming it; the journal never interleaves', async function () {
    this.timeout(300_000);
    const journal = Journal.inDir(fx.inst.stateDir);
    const first = fx.corral(setupArgs());
    // Start the second while the first is applying (its journal exists).
    for (let i = 0; i < 600 && !existsSync(journal.file); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(journal.file), 'the first setup started applying');
    const second = fx.corral(setupArgs());
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 0, describeResult(a));
    assert.equal(b.status, 0, describeResult(b));
    assert.match(b.stderr, new RegExp(`waiting: corral setup \\(pid \\d+, started [^)]+\\) holds /run/${fx.instance}/setup\\.lock`));
    assert.match(b.stdout, /Nothing to do/, 'the second planned from what the first left');
    const entries = journal.entries();
    entries.forEach((e, i) => {
      assert.equal(e.seq, i + 1, 'sequence numbers are consecutive');
      if (e.op === 'done') assert.equal(e.begin, entries[i - 1]?.seq, `${e.step}: done right after its own begin`);
      else assert.equal(e.op, 'begin');
    });
    assert.ok(!existsSync(`/run/${fx.instance}/setup.lock`), 'the lock file is removed on release');
    await teardownToBaseline('after concurrent setups');
  });

  it('a full state directory (a tiny tmpfs): a clear error naming it, and nothing changed', async function () {
    this.timeout(120_000);
    mkdirSync(fx.inst.stateDir, { recursive: true, mode: 0o755 });
    try {
      sh('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', fx.inst.stateDir]);
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(fx.inst.stateDir, 'filler')}`, 'bs=4k']);
      const before = machineSnapshot(fx);
      const r = await fx.corral([...setupArgs(), '--json']);
      assert.equal(r.status, 1, describeResult(r));
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, 'state_unwritable', err.message);
      assert.ok(err.message.includes(fx.inst.stateDir) && /full filesystem/.test(err.message), err.message);
      assertSameMachine(fx, before, machineSnapshot(fx), 'setup on a full state directory');
    } finally {
      unmountAll(fx.inst.stateDir);
      rmSync(fx.inst.stateDir, { recursive: true, force: true });
    }
    assertSameMachine(fx, baseline, machineSnapshot(fx), 'after the full-disk case');
  });

  it('a read-only state directory: setup and teardown refuse clearly and change nothing', async function () {
    this.timeout(300_000);
    mkdirSync(fx.inst.stateDir, { recursive: true, mode: 0o755 });
    try {
      sh('mount', ['--bind', fx.inst.stateDir, fx.inst.stateDir]);
      sh('mount', ['-o', 'remount,bind,ro', fx.inst.stateDir]);
      const before = machineSnapshot(fx);
      const r = await fx.corral([...setupArgs(), '--json']);
      assert.equal(r.status, 1, describeResult(r));
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, 'state_unwritable', err.message);
      assert.ok(err.message.includes(fx.inst.stateDir) && /read-only/.test(err.message), err.message);
      assertSameMachine(fx, before, machineSnapshot(fx), 'setup on a read-only state directory');
    } finally {
      unmountAll(fx.inst.stateDir);
      rmSync(fx.inst.stateDir, { recursive: true, force: true });
    }
    // Teardown of a real installation whose state directory became read-only.
    const up = await fx.corral(setupArgs());
    assert.equal(up.status, 0, describeResult(up));
    try {
      sh('mount', ['--bind', fx.inst.stateDir, fx.inst.stateDir]);
      sh('mount', ['-o', 'remount,bind,ro', fx.inst.stateDir]);
      const before = machineSnapshot(fx);
      const r = await fx.corral(['teardown', '--yes', '--json']);
      assert.equal(r.status, 1, describeResult(r));
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, 'state_unwritable', err.message);
      assertSameMachine(fx, before, machineSnapshot(fx), 'teardown on a read-only state directory');
    } finally {
      unmountAll(fx.inst.stateDir);
    }
    await teardownToBaseline('teardown once the state directory is writable again');
  });
});
