/**
 * `corral run … | head` as a user meets it (root, real runner): a real shell pipeline into a real
 * `head`, which exits after its first line and closes the pipe. Outside Corral the writer dies of
 * SIGPIPE (status 141); through corral it must end the same way, at once, with nothing of the
 * command left running and no stack trace — for outputs from 1 KiB to 100 MiB, for `yes`, `seq`
 * and `git log`, with --json, through the sudo rule, and when it is stderr that closes.
 *
 * Each pipeline runs corral under `timeout -s USR2` as a safety net only: a corral that hangs is
 * ended by SIGUSR2, which it does not handle (timeout then exits 124), and the assertion fails;
 * no time is asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CLI, commandProcesses, eventually, NODE, requireRoot, runProgram, TestInstallation, type Result } from './helpers/e2e.js';

/** Seconds after which the safety net kills a hung corral. */
const SAFETY_NET_SEC = 60;

/** Run `corral run [flags] -- argv` into `| head <headArgs>` in bash; returns corral's and head's statuses. */
async function pipeIntoHead(
  inst: TestInstallation,
  argv: string[],
  opts: { flags?: string[]; head?: string[]; stderrToo?: boolean; asUser?: boolean } = {},
): Promise<{ corral: number; head: number; out: string; stderr: string; result: Result }> {
  const script = [
    'set -u',
    `timeout -s USR2 -k 10 ${SAFETY_NET_SEC} "$@" ${opts.stderrToo === true ? '2>&1 ' : '2>"$CORRAL_ERR"'}| head ${(opts.head ?? ['-n', '1']).join(' ')} >"$HEAD_OUT"`,
    's=("${PIPESTATUS[@]}")',
    'printf "%s %s" "${s[0]}" "${s[1]}"',
  ].join('\n');
  const errFile = path.join('/tmp', `corral-pipe-err-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const outFile = `${errFile}.out`;
  const corral = [NODE, CLI, 'run', '--workspace', inst.workspace, ...(opts.flags ?? []), '--', ...argv];
  const env: Record<string, string> = { CORRAL_ERR: errFile, HEAD_OUT: outFile };
  const result =
    opts.asUser === true
      ? await runProgram('bash', ['-c', script, 'pipe', ...corral], {
          cwd: inst.workspace,
          asUser: inst.user,
          env: { ...env, CORRAL_INSTANCE: inst.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' },
          killAfterMs: (SAFETY_NET_SEC + 30) * 1000,
        })
      : await runProgram('bash', ['-c', script, 'pipe', ...corral], {
          cwd: inst.workspace,
          env: { ...env, ...inst.rootEnv() },
          killAfterMs: (SAFETY_NET_SEC + 30) * 1000,
        });
  const [c, h] = result.stdout.toString().split(' ').map(Number);
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    } finally {
      rmSync(f, { force: true });
    }
  };
  return { corral: c!, head: h!, out: read(outFile), stderr: read(errFile), result };
}

/** Processes of the identity but the session runner (the command and anything it started must be gone). */
const identityProcesses = commandProcesses;

/** None left once the kernel has reaped the killed ones (a zombie may linger a moment). */
async function noneLeft(identity: string): Promise<string> {
  await eventually(() => identityProcesses(identity) === '');
  return identityProcesses(identity);
}

describe('corral run … | head: a closed pipe ends the command (root)', function () {
  this.timeout(900_000);
  let inst: TestInstallation | undefined;
  let identity = '';

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
    identity = inst.identity('offline').name;
  });
  after(async () => {
    await inst?.teardown();
  });
  afterEach(function () {
    if (inst === undefined || identity === '') return;
    // Kill anything a failed case left, so later cases start clean.
    try {
      execFileSync('pkill', ['-KILL', '-u', identity], { stdio: 'ignore' });
    } catch {
      // nothing left
    }
  });

  for (const [label, bytes] of [
    ['1 KiB', 1024],
    ['64 KiB', 64 * 1024],
    ['1 MiB', 1024 * 1024],
    ['10 MiB', 10 * 1024 * 1024],
    ['100 MiB', 100 * 1024 * 1024],
  ] as const) {
    it(`${label} of output into head -c 1: ends, nothing left running`, async () => {
      const r = await pipeIntoHead(inst!, ['head', '-c', String(bytes), '/dev/zero'], { head: ['-c', '1'] });
      assert.equal(r.head, 0, r.stderr);
      assert.equal(r.out, '\0');
      // Small outputs may fit in the pipe before head exits (0, as outside Corral); beyond the pipe's
      // buffer the writer must meet the closed pipe: 141.
      if (bytes >= 1024 * 1024) assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
      else assert.ok(r.corral === 0 || r.corral === 141, `corral status ${r.corral}; stderr ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Error|at .*\.js/, 'no crash, no stack trace');
      assert.equal(await noneLeft(identity), '');
    });
  }

  it('yes | head -1: 141 at once, yes is gone', async () => {
    const r = await pipeIntoHead(inst!, ['yes']);
    assert.equal(r.out, 'y\n');
    assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.equal(await noneLeft(identity), '');
  });

  it('seq 1 100000 | head -1: 141', async () => {
    const r = await pipeIntoHead(inst!, ['seq', '1', '100000']);
    assert.equal(r.out, '1\n');
    assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
    assert.equal(await noneLeft(identity), '');
  });

  it('git log | head -1 on a 3000-commit repository: ends (141)', async () => {
    const repo = path.join(inst!.workspace, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    const stream = Array.from({ length: 3000 }, (_, i) => {
      const msg = `commit number ${i}\n`;
      return `commit refs/heads/main\ncommitter T <t@example.com> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`;
    }).join('');
    execFileSync('git', ['-C', repo, 'fast-import', '--quiet'], { input: stream });
    chownTree(repo, inst!.user.uid, inst!.user.gid);
    const r = await pipeIntoHead(inst!, ['git', '-C', repo, 'log']);
    assert.match(r.out, /^commit [0-9a-f]{40}\n$/, r.stderr);
    assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
    assert.equal(await noneLeft(identity), '');
  });

  it('--json into a closed pipe: 141, no stack trace', async () => {
    const r = await pipeIntoHead(inst!, ['seq', '1', '100000'], { flags: ['--json'] });
    assert.equal(r.out, '{\n');
    assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
    assert.equal(r.stderr, '');
  });

  it('stderr into the closed pipe (2>&1 | head -1): 141, the writer is gone', async () => {
    const r = await pipeIntoHead(inst!, ['sh', '-c', 'yes >&2'], { stderrToo: true });
    assert.equal(r.out, 'y\n');
    assert.equal(r.corral, 141);
    assert.equal(await noneLeft(identity), '');
  });

  it('a command that ignores SIGPIPE is still stopped', async () => {
    const r = await pipeIntoHead(inst!, ['sh', '-c', "trap '' PIPE; exec yes"]);
    assert.equal(r.out, 'y\n');
    // Its writes never fail inside (the runner reads them all), so corral kills it: SIGKILL, 137.
    assert.equal(r.corral, 137, `corral status ${r.corral} (124: the safety net); stderr ${r.stderr}`);
    assert.equal(await noneLeft(identity), '');
  });

  it('the real user through the sudo rule: yes | head -1 ends with 141', async () => {
    const r = await pipeIntoHead(inst!, ['yes'], { asUser: true });
    assert.equal(r.out, 'y\n');
    assert.equal(r.corral, 141, `corral status ${r.corral}; stderr ${r.stderr}`);
    assert.equal(await noneLeft(identity), '');
  });
});

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory() && !statSync(p).isSymbolicLink()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}
