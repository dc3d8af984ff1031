/**
 * The pty pieces that decide without a terminal: the size bounds (protocol, runner loop,
 * library), when `corral run` asks for a pty, the execvp-style lookup that keeps pipes' errors
 * for pty commands, when a ^Z would be lost, the winsize layout, and the session loop's
 * `resize` and refusal of a pty by a backend without one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeFrame, FrameDecoder, isPtySize, MAX_PTY_CELLS, type FromRunner, type PtySize, type SessionRequest, type SpawnRequest, type ToRunner } from '../../core/protocol.js';
import { serveSession, validateSpawn } from '../../runner/session.js';
import type { CommandEvents, ConfinedSession } from '../../runner/backend.js';
import { findExecutable, type FileFacts } from '../../runner/linux/executable.js';
import { stopWouldBeLost } from '../../runner/linux/lost-suspend.js';
import { winsize } from '../../runner/linux/pty.js';
import { choosePty, DEFAULT_PTY_SIZE, sizeOf } from '../../orchestrator/cli/terminal.js';
import { RunnerClient } from '../../orchestrator/session/client.js';
import { SessionImpl } from '../../orchestrator/session/session.js';
import { FakeRunner, fakeRequest } from '../helpers/fake-runner.js';
import { isCorralError } from '../../core/errors.js';

describe('pty sizes (hostile input to the runner)', () => {
  it('are {cols, rows}, whole numbers 1..MAX_PTY_CELLS, nothing else', () => {
    assert.ok(isPtySize({ cols: 80, rows: 24 }));
    assert.ok(isPtySize({ cols: 1, rows: MAX_PTY_CELLS }));
    for (const bad of [null, [], {}, { cols: 80 }, { cols: 0, rows: 24 }, { cols: 80, rows: MAX_PTY_CELLS + 1 }, { cols: 65536, rows: 1 }, { cols: 1.5, rows: 2 }, { cols: '80', rows: 24 }, { cols: -1, rows: 24 }, { cols: 80, rows: 24, x: 1 }]) {
      assert.equal(isPtySize(bad), false, JSON.stringify(bad));
    }
  });

  it('validateSpawn keeps a good pty and refuses a bad one', () => {
    const base = { id: 'x', argv: ['a'], cwd: '/w', env: {}, timeoutMs: 5, stdin: null };
    assert.deepEqual(validateSpawn({ ...base, pty: { cols: 100, rows: 30 } }, 99).pty, { cols: 100, rows: 30 });
    assert.equal(validateSpawn({ ...base }, 99).pty, undefined);
    assert.equal(validateSpawn({ ...base, pty: null }, 99).pty, undefined);
    for (const pty of [{ cols: 0, rows: 1 }, { cols: 1e9, rows: 1 }, 'big', { cols: 80, rows: 24, extra: true }]) {
      assert.throws(() => validateSpawn({ ...base, pty } as Record<string, unknown>, 99), /spawn\.pty must be/);
    }
  });
});

const request: SessionRequest = fakeRequest('/ws');

/** A loop over a backend that records resizes; `pty`: whether it says it can give one. */
function loop(pty: boolean) {
  const input = new PassThrough();
  const output = new PassThrough();
  const frames: FromRunner[] = [];
  const decoder = new FrameDecoder();
  output.on('data', (c: Buffer) => frames.push(...(decoder.push(c) as FromRunner[])));
  const resizes: PtySize[] = [];
  const spawned: SpawnRequest[] = [];
  let events: CommandEvents | undefined;
  const session: ConfinedSession = {
    identity: 'i',
    enforcement: { workspaceAccess: 'acl', networkNamespace: true, containment: 'test', warnings: [] },
    home: '/h',
    tmpdir: '/t',
    pty,
    spawn(req, ev) {
      spawned.push(req);
      events = ev;
      ev.started(7);
      return { writeStdin() {}, closeStdin() {}, kill() {}, pauseOutput() {}, resumeOutput() {}, resize: (s) => resizes.push(s) };
    },
    async close() {},
  };
  const done = serveSession(session, request, { input, output, platform: 'test' });
  const send = (m: ToRunner) => input.write(encodeFrame(m));
  const settle = () => new Promise((r) => setImmediate(r));
  return { frames, resizes, spawned, send, settle, done, events: () => events!, input };
}

describe('session loop: pty spawn and resize', () => {
  const spawnMsg = (id: string, pty?: PtySize): ToRunner => ({ type: 'spawn', id, argv: ['x'], cwd: '/ws', env: {}, timeoutMs: 1000, stdin: 'pipe', ...(pty ? { pty } : {}) });

  it('says pty in hello, passes the size, forwards resizes within bounds, refuses others', async () => {
    const h = loop(true);
    h.send(spawnMsg('a', { cols: 80, rows: 24 }));
    h.send({ type: 'resize', id: 'a', cols: 120, rows: 40 });
    h.send({ type: 'resize', id: 'a', cols: 0, rows: 40 });
    h.send({ type: 'resize', id: 'a', cols: 120, rows: MAX_PTY_CELLS + 1 });
    h.send({ type: 'resize', id: 'nope', cols: 10, rows: 10 });
    await h.settle();
    await h.settle();
    const hello = h.frames.find((f) => f.type === 'hello');
    assert.ok(hello?.type === 'hello' && hello.pty === true);
    assert.deepEqual(h.spawned[0]?.pty, { cols: 80, rows: 24 });
    assert.deepEqual(h.resizes, [{ cols: 120, rows: 40 }]);
    const errors = h.frames.filter((f) => f.type === 'error');
    assert.equal(errors.length, 3, JSON.stringify(errors));
    h.events().suspended?.();
    await h.settle();
    assert.ok(h.frames.some((f) => f.type === 'suspended' && f.id === 'a'));
    h.input.end();
    await h.done;
  });

  it('a backend without ptys refuses a pty spawn (platform_unsupported) and still runs pipes', async () => {
    const h = loop(false);
    h.send(spawnMsg('a', { cols: 80, rows: 24 }));
    h.send(spawnMsg('b'));
    await h.settle();
    await h.settle();
    const hello = h.frames.find((f) => f.type === 'hello');
    assert.ok(hello?.type === 'hello' && hello.pty === undefined);
    assert.ok(h.frames.some((f) => f.type === 'error' && f.id === 'a' && f.code === 'platform_unsupported'));
    assert.deepEqual(h.spawned.map((s) => s.id), ['b']);
    h.input.end();
    await h.done;
  });
});

describe('library: spawn with pty against a fake runner', () => {
  let workspace: string;
  before(() => (workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'corral-pty-')))));
  after(() => rmSync(workspace, { recursive: true, force: true }));

  async function open(pty: boolean) {
    const fake = new FakeRunner({ pty });
    const client = new RunnerClient(fake.process(), { closeGraceMs: 300 });
    const hello = await client.open(fakeRequest(workspace));
    const session = new SessionImpl(client, hello, {
      realUser: 'tester', workspace, network: 'offline', policyDigest: 'digest0123456789',
      envPolicy: { allow: [], set: {} } as never, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      limits: fakeRequest(workspace).limits, audit: null, shell: '/bin/sh',
    });
    return { fake, session };
  }

  it('sends the size in spawn and resize frames; bad sizes are usage errors', async () => {
    const { fake, session } = await open(true);
    try {
      assert.equal(session.ptys, true);
      const child = session.spawn(['sh', '-c', 'read x'], { pty: { cols: 90, rows: 20 } });
      child.resize(100, 33);
      assert.throws(() => child.resize(0, 1), (e: unknown) => isCorralError(e, 'usage'));
      assert.throws(() => session.spawn(['true'], { pty: { cols: 90, rows: 0 } }), (e: unknown) => isCorralError(e, 'usage'));
      child.stdin!.end('\n');
      await child.exit;
      const spawn = fake.received.find((m) => m.type === 'spawn');
      assert.ok(spawn?.type === 'spawn');
      assert.deepEqual(spawn.pty, { cols: 90, rows: 20 });
      assert.ok(fake.received.some((m) => m.type === 'resize' && m.cols === 100 && m.rows === 33));
    } finally {
      await session.close();
    }
  });

  it('refuses a pty where the runner has none (platform_unsupported), before anything is sent', async () => {
    const { fake, session } = await open(false);
    try {
      assert.equal(session.ptys, false);
      assert.throws(() => session.spawn(['true'], { pty: { cols: 80, rows: 24 } }), (e: unknown) => isCorralError(e, 'platform_unsupported'));
      assert.equal(fake.received.some((m) => m.type === 'spawn'), false);
    } finally {
      await session.close();
    }
  });
});

describe('corral run: when a pty is asked for', () => {
  const tty = { stdinIsTerminal: true, stdoutIsTerminal: true, size: { columns: 132, rows: 43 } };
  it('on a terminal (stdin and stdout), at its size; not with a pipe on either side', () => {
    assert.deepEqual(choosePty(undefined, false, true, tty), { cols: 132, rows: 43 });
    assert.equal(choosePty(undefined, false, true, { ...tty, stdinIsTerminal: false }), null);
    assert.equal(choosePty(undefined, false, true, { stdinIsTerminal: true, stdoutIsTerminal: false }), null);
  });
  it('--no-pty never; --pty always (80x24 without a terminal to size it)', () => {
    assert.equal(choosePty(false, false, true, tty), null);
    assert.deepEqual(choosePty(true, false, true, { stdinIsTerminal: false, stdoutIsTerminal: false }), DEFAULT_PTY_SIZE);
  });
  it('--json: none, and --pty with it is a usage error', () => {
    assert.equal(choosePty(undefined, true, true, tty), null);
    assert.throws(() => choosePty(true, true, true, tty), (e: unknown) => isCorralError(e, 'usage'));
  });
  it('a runner without ptys: pipes on a terminal, an error with --pty', () => {
    assert.equal(choosePty(undefined, false, false, tty), null);
    assert.throws(() => choosePty(true, false, false, tty), (e: unknown) => isCorralError(e, 'platform_unsupported'));
  });
  it('sizes: a zero size (a terminal that reports none) is the default; a huge one is clamped', () => {
    assert.deepEqual(sizeOf({ columns: 0, rows: 0 }), DEFAULT_PTY_SIZE);
    assert.deepEqual(sizeOf({ columns: 50_000, rows: 10 }), { cols: MAX_PTY_CELLS, rows: 10 });
  });
});

describe('findExecutable (execvp rules, for pty commands)', () => {
  const tree: Record<string, 'file' | 'dir' | 'other' | 'noexec' | 'denied'> = {
    '/private/hidden': 'denied',
    '/usr/bin/ok': 'file',
    '/bin/ok': 'file',
    '/usr/bin/plain': 'noexec',
    '/usr/bin/adir': 'dir',
    '/w/tool': 'file',
    '/w/bin/rel': 'file',
  };
  const facts: FileFacts = {
    kind: (p) => (tree[p] === undefined ? null : tree[p] === 'noexec' ? 'file' : (tree[p] as 'file' | 'dir' | 'other' | 'denied')),
    executable: (p) => tree[p] === 'file',
  };
  it('searches PATH in order; the first executable file wins', () => {
    assert.deepEqual(findExecutable('ok', '/usr/bin:/bin', '/w', facts), { found: '/usr/bin/ok' });
    assert.deepEqual(findExecutable('ok', '/nowhere:/bin', '/w', facts), { found: '/bin/ok' });
  });
  it('ENOENT when nothing exists, EACCES when only a non-executable or a directory does', () => {
    assert.deepEqual(findExecutable('missing', '/usr/bin:/bin', '/w', facts), { error: 'ENOENT' });
    assert.deepEqual(findExecutable('plain', '/usr/bin', '/w', facts), { error: 'EACCES' });
    assert.deepEqual(findExecutable('adir', '/usr/bin', '/w', facts), { error: 'EACCES' });
    // A PATH directory the identity may not search counts as execvp counts it: EACCES, unless found later.
    assert.deepEqual(findExecutable('hidden', '/private:/usr/bin', '/w', facts), { error: 'EACCES' });
    assert.deepEqual(findExecutable('ok', '/private:/usr/bin', '/w', facts), { found: '/usr/bin/ok' });
  });
  it('a name with a slash is taken relative to cwd; an empty PATH entry is cwd; no PATH is /bin:/usr/bin', () => {
    assert.deepEqual(findExecutable('./tool', '/usr/bin', '/w', facts), { found: '/w/tool' });
    assert.deepEqual(findExecutable('bin/rel', '', '/w', facts), { found: '/w/bin/rel' });
    assert.deepEqual(findExecutable('tool', '/usr/bin:', '/w', facts), { found: '/w/tool' });
    assert.deepEqual(findExecutable('ok', undefined, '/w', facts), { found: '/bin/ok' });
  });
});

describe('stopWouldBeLost (a ^Z the kernel would drop)', () => {
  const status = (ign: string, cgt: string) => `Name:\tsh\nSigQ:\t0/1\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t${ign}\nSigCgt:\t${cgt}\n`;
  it('the command\'s own group in front, SIGTSTP at its default: lost (the runner stops it)', () => {
    assert.equal(stopWouldBeLost(100, 100, status('0000000000000000', '0000000000010002')), true);
  });
  it('another group in front (a job of a shell in the session): not lost', () => {
    assert.equal(stopWouldBeLost(200, 100, status('0000000000000000', '0000000000000000')), false);
  });
  it('SIGTSTP ignored (an interactive shell) or caught (a full-screen program): not lost', () => {
    assert.equal(stopWouldBeLost(100, 100, status('0000000000080000', '0000000000000000')), false);
    assert.equal(stopWouldBeLost(100, 100, status('0000000000000000', '0000000000080000')), false);
  });
  it('no status, or none in front: not lost', () => {
    assert.equal(stopWouldBeLost(100, 100, null), false);
    assert.equal(stopWouldBeLost(null, 100, status('0', '0')), false);
  });
});

describe('winsize', () => {
  it('is struct winsize: rows, cols, then pixel sizes 0 (native order)', () => {
    const ws = winsize({ cols: 132, rows: 43 });
    assert.equal(ws.length, 8);
    assert.equal(ws.readUInt16LE(0), 43);
    assert.equal(ws.readUInt16LE(2), 132);
    assert.equal(ws.readUInt32LE(4), 0);
  });
});
