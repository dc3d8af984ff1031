/**
 * The session client against an in-process fake runner (test/helpers/fake-runner.ts) that
 * speaks the real protocol and runs real, unconfined child processes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralError, isCorralError } from '../../core/errors.js';
import { RunnerClient } from '../../orchestrator/session/client.js';
import { SessionImpl, type SessionContext } from '../../orchestrator/session/session.js';
import { sessionEnvironment } from '../../orchestrator/session/command-input.js';
import { openAuditLog } from '../../orchestrator/audit/log.js';
import { readAudit } from '../../orchestrator/audit/read.js';
import { encodeFrame, PROTOCOL_VERSION, type ConnectionRecord, type SessionRequest } from '../../core/protocol.js';
import type { RunnerProcess } from '../../orchestrator/platform.js';
import { fakeRequest, FakeRunner, type FakeRunnerOptions } from '../helpers/fake-runner.js';

const ENV_POLICY = { allow: ['PATH', 'LANG', 'MY_API_TOKEN'], set: { FIXED: 'yes' } };

function request(workspace: string, maxOutputBytes = 64 * 1024 * 1024): SessionRequest {
  return fakeRequest(workspace, { limits: { timeoutSec: 30, maxOutputBytes, pids: 64 } });
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<CorralError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCorralError(err), `expected a CorralError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} rejection`);
}

describe('session client (fake runner)', () => {
  let workspace: string;
  const open: { fake: FakeRunner; session: SessionImpl }[] = [];

  before(() => {
    workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'corral-client-')));
    mkdirSync(path.join(workspace, 'sub'));
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));
  afterEach(async () => {
    for (const { session } of open.splice(0)) await session.close();
  });

  async function openFake(options: FakeRunnerOptions = {}, ctx: Partial<SessionContext> = {}, maxOutputBytes?: number, wrap: (p: RunnerProcess) => RunnerProcess = (p) => p) {
    const fake = new FakeRunner(options);
    const client = new RunnerClient(wrap(fake.process()), {
      closeGraceMs: 300,
      helloTimeoutMs: 5_000,
      ...(options.explainEarlyExit !== undefined ? { explainEarlyExit: options.explainEarlyExit } : {}),
    });
    const hello = await client.open(request(workspace, maxOutputBytes));
    const session = new SessionImpl(client, hello, {
      realUser: 'tester',
      workspace,
      network: 'offline',
      policyDigest: 'digest0123456789',
      envPolicy: ENV_POLICY,
      baseEnv: sessionEnvironment({ PATH: process.env.PATH, HOME: '/root', MY_API_TOKEN: 't', OTHER_TOKEN: 'x' }, ENV_POLICY),
      limits: request(workspace, maxOutputBytes).limits,
      audit: null,
      shell: '/bin/sh',
      ...ctx,
    });
    open.push({ fake, session });
    return { fake, session };
  }

  it('sends the session request as the first frame and surfaces hello and its warnings', async () => {
    const { fake, session } = await openFake({ warnings: ['Landlock is unavailable: writes are limited by permissions only'] });
    assert.equal(fake.received[0]?.type, 'open');
    assert.equal(fake.request?.workspace, workspace);
    assert.equal(session.identity, 'fake-off-tester');
    assert.deepEqual(session.warnings, ['Landlock is unavailable: writes are limited by permissions only']);
  });

  it("a proxy the privilege bridge serves itself (Windows): its decisions reach the command running then, as the runner's connection frames do", async () => {
    let emit: (record: ConnectionRecord) => void = () => {};
    const { session } = await openFake({}, {}, undefined, (p) => ({ ...p, onConnection: (listener) => (emit = listener) }));
    const decision: ConnectionRecord = { time: '2026-12-04T20:00:00.000Z', via: 'connect', host: 'evil.example', port: 443, allowed: false, rule: 'not in network.allow' };
    // Before any command runs, a decision belongs to no one.
    emit({ ...decision, host: 'early.example' });
    const running = session.exec(['sh', '-c', 'sleep 0.3']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    emit(decision);
    const r = await running;
    assert.deepEqual(r.connections, [decision]);
  });

  it('collects stdout and stderr byte-exact and passes the exit code through', async () => {
    const { session } = await openFake();
    const r = await session.exec(['sh', '-c', 'printf "a\\0b\\377" ; printf err >&2; exit 7']);
    assert.deepEqual(r.stdout, Buffer.from([0x61, 0, 0x62, 0xff]));
    assert.equal(r.stderr.toString(), 'err');
    assert.equal(r.exitCode, 7);
    assert.equal(r.status, 7);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.equal(r.outputTruncated, false);
  });

  it('carries 10 MiB of random bytes through stdin and back, in order', async () => {
    const { fake, session } = await openFake();
    const data = randomBytes(10 * 1024 * 1024);
    const r = await session.exec(['cat'], { input: data });
    assert.equal(r.status, 0);
    assert.ok(r.stdout.equals(data), 'stdout differs from stdin');
    // More than one stdin frame was needed, and none went over the frame limit (encode would throw).
    assert.ok(fake.received.filter((m) => m.type === 'stdin').length >= 2);
  });

  it('streams with spawn: stdin as a Writable, stdout as a Readable', async () => {
    const { session } = await openFake();
    const child = session.spawn(['sh', '-c', 'read line; echo "got $line"']);
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stdin!.end('hello\n');
    const exit = await child.exit;
    assert.equal(exit.status, 0);
    assert.equal(Buffer.concat(out).toString(), 'got hello\n');
  });

  it('runs 20 commands concurrently in one session, each output to its own command', async () => {
    const { session } = await openFake();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => session.exec(['sh', '-c', `sleep 0.0${i % 5}; echo out-${i}; echo err-${i} >&2; exit ${i}`])),
    );
    results.forEach((r, i) => {
      assert.equal(r.stdout.toString(), `out-${i}\n`);
      assert.equal(r.stderr.toString(), `err-${i}\n`);
      assert.equal(r.exitCode, i);
    });
  });

  it('flags output cut at maxOutputBytes', async () => {
    const { session } = await openFake({}, {}, 1000);
    const r = await session.exec(['sh', '-c', 'head -c 5000 /dev/zero']);
    assert.equal(r.outputTruncated, true);
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.status, 0);
  });

  it('maps a timeout to status 124 and a kill to 128+signal', async () => {
    const { session } = await openFake();
    const timed = await session.exec(['sleep', '30'], { timeoutSec: 0.2 });
    assert.equal(timed.timedOut, true);
    assert.equal(timed.status, 124);

    const child = session.spawn(['sleep', '30'], { stdin: 'ignore' });
    child.stdout.resume();
    child.stderr.resume();
    setTimeout(() => child.kill('SIGTERM'), 50);
    const killed = await child.exit;
    assert.equal(killed.signal, 'SIGTERM');
    assert.equal(killed.exitCode, null);
    assert.equal(killed.status, 128 + 15);
  });

  it('refuses bad input before anything starts: empty argv, cwd outside the workspace, timeout over the limit', async () => {
    const { fake, session } = await openFake();
    await rejectsWithCode(session.exec([]), 'usage');
    assert.equal(new CorralError('usage', 'x').exitCode, 2);
    await rejectsWithCode(session.exec(['true'], { cwd: '/etc' }), 'cwd_outside_workspace');
    await rejectsWithCode(session.exec(['true'], { cwd: '../..' }), 'cwd_outside_workspace');
    await rejectsWithCode(session.exec(['true'], { timeoutSec: 31 }), 'usage');
    assert.equal(fake.received.filter((m) => m.type === 'spawn').length, 0);
    const r = await session.exec(['pwd'], { cwd: 'sub' });
    assert.equal(r.stdout.toString().trim(), path.join(workspace, 'sub'));
  });

  it('filters the environment: allowlist, secret-looking names only when allowed by name, set wins', async () => {
    const { fake, session } = await openFake();
    const r = await session.exec(['env'], { env: { EXTRA: '1', SNEAKY_SECRET: 's' } });
    const env = Object.fromEntries(r.stdout.toString().trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(env.MY_API_TOKEN, 't');
    assert.equal(env.FIXED, 'yes');
    assert.equal(env.EXTRA, '1');
    assert.equal(env.OTHER_TOKEN, undefined);
    assert.equal(env.HOME, undefined);
    assert.equal(env.SNEAKY_SECRET, undefined);
    const spawnFrame = fake.received.find((m) => m.type === 'spawn');
    assert.ok(spawnFrame !== undefined && spawnFrame.type === 'spawn' && !('SNEAKY_SECRET' in spawnFrame.env));
  });

  it('maps runner error codes on open: known codes kept, unknown ones runner_failed', async () => {
    const opened = (o: FakeRunnerOptions) => new RunnerClient(new FakeRunner(o).process()).open(request(workspace));
    await rejectsWithCode(opened({ openError: { code: 'workspace_not_owned', message: 'owned by someone else' } }), 'workspace_not_owned');
    await rejectsWithCode(opened({ openError: { code: 'landlock_exploded', message: 'boom' } }), 'runner_failed');
  });

  it('explains a runner that exits before hello (privilege bridge), else runner_failed with its stderr', async () => {
    const explain = (stderr: string) => (/password is required/.test(stderr) ? new CorralError('not_permitted', 'sudo said no') : undefined);
    const refused = new FakeRunner({ exitBeforeHello: { stderr: 'sudo: a password is required\n', code: 1 } });
    const e1 = await rejectsWithCode(new RunnerClient(refused.process(), { explainEarlyExit: explain }).open(request(workspace)), 'not_permitted');
    assert.equal(e1.exitCode, 4);
    const crashed = new FakeRunner({ exitBeforeHello: { stderr: 'landlock_create_ruleset: ENOSYS\n', code: 1 } });
    const e2 = await rejectsWithCode(new RunnerClient(crashed.process(), { explainEarlyExit: explain }).open(request(workspace)), 'runner_failed');
    assert.match(e2.message, /landlock_create_ruleset: ENOSYS/);
  });

  it('takes a late error for a command that has ended (a frame that crossed its exit) as nothing, but one for an id never used as a protocol error', async () => {
    const { fake, session } = await openFake();
    const first = await session.exec(['true']);
    assert.equal(first.status, 0);
    // The runner's answer to a closeStdin sent as command 1 exited.
    fake.fromRunner.write(encodeFrame({ type: 'error', id: '1', code: 'request_invalid', message: 'no running command with id 1' }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await session.exec(['true'])).status, 0, 'the session is still open');
    fake.fromRunner.write(encodeFrame({ type: 'error', id: '99', code: 'request_invalid', message: 'no running command with id 99' }));
    await new Promise((r) => setTimeout(r, 50));
    await rejectsWithCode(session.exec(['true']), 'protocol_error');
  });

  it('refuses a runner of another protocol version, and malformed frames', async () => {
    await rejectsWithCode(new RunnerClient(new FakeRunner({ version: PROTOCOL_VERSION + 1 }).process()).open(request(workspace)), 'protocol_error');
    const garbage = Buffer.concat([Buffer.from([5, 0, 0, 0]), Buffer.from('nope!')]);
    const { fake, session } = await openFake({ garbageAfterHello: garbage });
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(fake.killedByClient, 'a protocol error must stop the runner');
    await rejectsWithCode(session.exec(['true']), 'protocol_error');
  });

  it('fails running commands with runner_failed when the runner dies', async () => {
    const { fake, session } = await openFake();
    const child = session.spawn(['sleep', '30'], { stdin: 'ignore' });
    setTimeout(() => fake.crash(), 50);
    const err = await rejectsWithCode(child.exit, 'runner_failed');
    assert.match(err.message, /crashed/);
    await rejectsWithCode(session.exec(['true']), 'runner_failed');
  });

  it('close() is idempotent, stops what runs, refuses new commands, and kills a runner that ignores shutdown', async () => {
    const { fake, session } = await openFake();
    const child = session.spawn(['sleep', '30'], { stdin: 'ignore' });
    while (fake.pids.length === 0) await new Promise((r) => setTimeout(r, 10));
    const first = session.close();
    assert.equal(session.close(), first);
    await first;
    await rejectsWithCode(child.exit, 'session_closed');
    assert.throws(() => session.spawn(['true']), (e: unknown) => isCorralError(e, 'session_closed'));
    for (let i = 0; i < 100 && fake.alivePids().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fake.alivePids(), []);
    assert.equal(fake.killedByClient, false);

    const stubborn = await openFake({ ignoreShutdown: true });
    await stubborn.session.close();
    assert.equal(stubborn.fake.killedByClient, true);
  });

  it('writes one audit line per command, including commands that could not start', async () => {
    const file = path.join(workspace, 'state', 'audit.jsonl');
    const audit = openAuditLog(file, {});
    const { session } = await openFake({}, { audit });
    await session.exec(['sh', '-c', 'exit 3'], { cwd: 'sub' });
    const notStarted = await session.exec(['/nonexistent/binary']).then(
      () => assert.fail('a missing binary must not start'),
      (err: unknown) => err as CorralError,
    );
    assert.ok(isCorralError(notStarted));
    await session.close();
    const { records, skipped } = readAudit(file);
    assert.equal(skipped, 0);
    assert.equal(records.length, 2);
    const [ok, failed] = records;
    assert.deepEqual(ok!.argv, ['sh', '-c', 'exit 3']);
    assert.equal(ok!.cwd, path.join(workspace, 'sub'));
    assert.equal(ok!.exitCode, 3);
    assert.equal(ok!.identity, 'fake-off-tester');
    assert.equal(ok!.session, session.id);
    assert.equal(ok!.policyDigest, 'digest0123456789');
    assert.equal(failed!.error, notStarted.code);
    assert.equal(failed!.exitCode, null);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
  });
});
