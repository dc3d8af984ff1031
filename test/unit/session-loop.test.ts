/**
 * The platform-independent session loop against an in-memory backend: hello, spawn/exit
 * frames, output cut at maxOutputBytes and flagged, bad spawn requests, kill, shutdown.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { CommandEvents, ConfinedSession, RunningCommand } from '../../runner/backend.js';
import { encodeFrame, FrameDecoder, MAX_ECHO_CHARS, type FromRunner, type SessionRequest, type SpawnRequest, type ToRunner } from '../../core/protocol.js';
import { serveSession, validateSpawn } from '../../runner/session.js';

const request: SessionRequest = {
  version: 1,
  realUser: 'u',
  network: 'offline',
  mode: 'workspace-write',
  workspace: '/ws',
  writableRoots: [],
  protected: [],
  denyRead: [],
  loopback: 'private',
  limits: { timeoutSec: 10, maxOutputBytes: 10, pids: 64 },
  policyDigest: 'd',
};

/** A backend whose commands print argv[1] (if any) and exit with argv[2] (default 0). */
function fakeSession(log: string[]): ConfinedSession {
  return {
    identity: 'ident',
    enforcement: { landlockAbi: 7, workspaceAccess: 'acl', networkNamespace: true, containment: 'test', warnings: [] },
    home: '/home/ident',
    tmpdir: '/tmp/s',
    spawn(req: SpawnRequest, events: CommandEvents): RunningCommand {
      log.push(`spawn ${req.id} timeout=${req.timeoutMs}`);
      events.started(1000);
      let done = false;
      const finish = (signal: string | null) => {
        if (done) return;
        done = true;
        events.exit({ code: signal === null ? Number(req.argv[2] ?? 0) : null, signal, timedOut: false });
      };
      if (req.argv[0] !== 'wait') {
        setImmediate(() => {
          if (req.argv[1] !== undefined) events.stdout(Buffer.from(req.argv[1]));
          finish(null);
        });
      }
      return {
        writeStdin: () => undefined,
        closeStdin: () => undefined,
        kill: (signal) => {
          log.push(`kill ${req.id} ${signal}`);
          setImmediate(() => finish(signal));
        },
        pauseOutput: () => undefined,
        resumeOutput: () => undefined,
      };
    },
    async close() {
      log.push('close');
    },
  };
}

function harness() {
  const input = new PassThrough();
  const output = new PassThrough();
  const frames: FromRunner[] = [];
  const decoder = new FrameDecoder();
  output.on('data', (chunk: Buffer) => frames.push(...(decoder.push(chunk) as FromRunner[])));
  const log: string[] = [];
  const done = serveSession(fakeSession(log), request, { input, output, platform: 'test' });
  const send = (m: ToRunner) => input.write(encodeFrame(m));
  const until = async (pred: (f: FromRunner) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const hit = frames.find(pred);
      if (hit !== undefined) return hit;
      await new Promise((r) => setImmediate(r));
    }
    assert.fail(`frame not seen; got ${JSON.stringify(frames)}`);
  };
  return { input, frames, log, done, send, until };
}

const spawnMsg = (id: string, argv: string[], extra: Partial<SpawnRequest> = {}): ToRunner => ({ type: 'spawn', id, argv, cwd: '/ws', env: {}, timeoutMs: 1000, stdin: null, ...extra });

describe('session loop', function () {
  it('says hello first, with the enforcement the backend reports', async function () {
    const h = harness();
    const hello = await h.until((f) => f.type === 'hello');
    assert.equal(h.frames[0], hello);
    assert.equal(hello.type === 'hello' && hello.identity, 'ident');
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('streams output as base64 and reports exit with duration', async function () {
    const h = harness();
    h.send(spawnMsg('a', ['echo', 'hi', '3']));
    const exit = await h.until((f) => f.type === 'exit' && f.id === 'a');
    const out = h.frames.find((f) => f.type === 'stdout' && f.id === 'a');
    assert.equal(out?.type === 'stdout' && Buffer.from(out.data, 'base64').toString(), 'hi');
    assert.equal(exit.type === 'exit' && exit.code, 3);
    assert.equal(exit.type === 'exit' && exit.outputTruncated, false);
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('cuts output beyond maxOutputBytes and flags it', async function () {
    const h = harness();
    h.send(spawnMsg('big', ['echo', '0123456789ABCDEF']));
    const exit = await h.until((f) => f.type === 'exit' && f.id === 'big');
    const data = h.frames.filter((f) => f.type === 'stdout').map((f) => (f.type === 'stdout' ? Buffer.from(f.data, 'base64').toString() : ''));
    assert.deepEqual(data, ['0123456789']);
    assert.equal(exit.type === 'exit' && exit.outputTruncated, true);
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('caps timeoutMs at the session limit', async function () {
    const h = harness();
    h.send(spawnMsg('t', ['echo'], { timeoutMs: 10 ** 9 }));
    await h.until((f) => f.type === 'exit' && f.id === 't');
    assert.ok(h.log.includes('spawn t timeout=10000'), h.log.join('\n'));
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('refuses bad requests with error frames and keeps serving', async function () {
    const h = harness();
    h.send(spawnMsg('e', []));
    await h.until((f) => f.type === 'error' && f.id === 'e' && f.code === 'request_invalid');
    h.send({ type: 'kill', id: 'nobody', signal: 'SIGTERM' });
    await h.until((f) => f.type === 'error' && f.id === 'nobody');
    h.send({ type: 'bogus' } as unknown as ToRunner);
    await h.until((f) => f.type === 'error' && f.id === undefined && /bogus/.test(f.message));
    h.send(spawnMsg('ok', ['echo']));
    await h.until((f) => f.type === 'exit' && f.id === 'ok');
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('refuses a duplicate id while the first command runs', async function () {
    const h = harness();
    h.send(spawnMsg('w', ['wait']));
    h.send(spawnMsg('w', ['wait']));
    await h.until((f) => f.type === 'error' && f.id === 'w');
    h.send({ type: 'shutdown' });
    await h.done;
  });

  it('kills running commands on shutdown and reports their exits before ending', async function () {
    const h = harness();
    h.send(spawnMsg('w1', ['wait']));
    h.send(spawnMsg('w2', ['wait']));
    await h.until((f) => f.type === 'started' && f.id === 'w2');
    h.send({ type: 'shutdown' });
    await h.done;
    assert.ok(h.log.includes('kill w1 SIGKILL') && h.log.includes('kill w2 SIGKILL') && h.log.includes('close'), h.log.join('\n'));
    assert.ok(h.frames.some((f) => f.type === 'exit' && f.id === 'w1'));
    assert.ok(h.frames.some((f) => f.type === 'exit' && f.id === 'w2'));
  });

  it('ends on end of input, and on a malformed frame with protocol_error', async function () {
    const eof = harness();
    eof.input.end();
    await eof.done;
    const bad = harness();
    const head = Buffer.alloc(4);
    head.writeUInt32LE(3);
    bad.input.write(Buffer.concat([head, Buffer.from('{{{')]));
    await bad.done;
    assert.ok(bad.frames.some((f) => f.type === 'error' && f.code === 'protocol_error'));
  });
});

describe('validateSpawn', function () {
  const base = { id: 'x', argv: ['a'], cwd: '/w', env: {}, timeoutMs: 5, stdin: null };
  it('accepts a well-formed request and defaults timeoutMs to the limit', function () {
    assert.deepEqual(validateSpawn({ ...base, timeoutMs: undefined }, 99), { ...base, timeoutMs: 99 });
  });
  for (const [what, bad] of [
    ['empty argv', { argv: [] }],
    ['empty argv[0]', { argv: [''] }],
    ['NUL in an argument', { argv: ['a', 'b\0c'] }],
    ['relative cwd', { cwd: 'w' }],
    ['= in an env name', { env: { 'A=B': 'c' } }],
    ['non-string env value', { env: { A: 1 } }],
    ['negative timeout', { timeoutMs: -1 }],
    ['odd stdin', { stdin: 'inherit' }],
    ['missing id', { id: '' }],
  ] as const) {
    it(`refuses ${what}`, function () {
      assert.throws(() => validateSpawn({ ...base, ...bad } as Record<string, unknown>, 99));
    });
  }

  it('answers frames with ids and types of megabytes with short error frames and keeps serving (found by the fuzz test)', async function () {
    // Before the fix each error echoed the id (twice: field and message) or the type whole:
    // the answer exceeded MAX_FRAME_BYTES, encodeFrame threw in the input handler and the
    // runner died with a RangeError stack trace.
    const h = harness();
    const huge = 'x'.repeat(5_000_000);
    h.send({ type: 'kill', id: huge, signal: 'SIGTERM' });
    h.send({ type: 'closeStdin', id: huge });
    h.send(spawnMsg(huge, ['echo']));
    h.send({ type: huge } as unknown as ToRunner);
    for (let i = 0; i < 200 && h.frames.filter((f) => f.type === 'error').length < 4; i++) await new Promise((r) => setImmediate(r));
    const errors = h.frames.filter((f) => f.type === 'error');
    assert.equal(errors.length, 4, JSON.stringify(errors).slice(0, 500));
    for (const e of errors) {
      assert.ok(e.type === 'error' && e.code === 'request_invalid' && e.id === undefined, JSON.stringify(e).slice(0, 300));
      assert.ok(e.type === 'error' && e.message.length < MAX_ECHO_CHARS + 100, `message of ${e.type === 'error' ? e.message.length : 0} characters`);
    }
    h.send(spawnMsg('ok', ['echo']));
    await h.until((f) => f.type === 'exit' && f.id === 'ok');
    h.send({ type: 'shutdown' });
    await h.done;
  });
});
