/**
 * Hostile runner input, in process and without root (issue 10 item 5): mutated open and spawn
 * frames, byte soup on the frame decoder, arbitrary config layers and machine layers through
 * the schema and the policy floor, hostile frames through the session loop. Properties:
 * nothing throws but a CorralError with one of the expected codes (or FrameError from the
 * decoder); every refusal fits in one error frame; a request the validator accepts is exactly
 * the one sent (nothing dropped or coerced); the session loop answers every hostile frame and
 * keeps serving. Each call is synchronous and bounded by its input's size (a hang would stop
 * mocha at its timeout). The same generators (test/helpers/hostile-requests.ts) run as root
 * through the real sudo rule in test/integration/runner-fuzz.test.ts.
 *
 * Fixed seed; on failure fast-check prints `seed` and `path`. Replay:
 *   CORRAL_FUZZ_SEED=<seed> CORRAL_FUZZ_PATH=<path> npx mocha dist/test/unit/fuzz-runner-input.test.js
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CorralError } from '../../core/errors.js';
import { PassThrough } from 'node:stream';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES } from '../../core/protocol.js';
import type { FromRunner, SessionRequest } from '../../core/protocol.js';
import type { ConfinedSession } from '../../runner/backend.js';
import { floorCtx } from '../helpers/policy-fixtures.js';
import { applyFloor, type FloorContext } from '../../core/policy/floor.js';
import { validateLayer } from '../../core/policy/validate-layer.js';
import { parseSessionRequest } from '../../core/request-shape.js';
import { serveSession, validateSpawn } from '../../runner/session.js';
import { deep, frameBytes, fuzzParameters, hostileSessionFrame, hostileValue, mutate, shapeMutation, spawnFrame } from '../helpers/hostile-requests.js';

const RUNS = 300;
const base: SessionRequest = {
  version: 1,
  realUser: 'alice',
  network: 'offline',
  mode: 'workspace-write',
  workspace: '/home/alice/ws',
  writableRoots: [],
  protected: ['.git'],
  denyRead: [],
  loopback: 'private',
  limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 256 },
  policyDigest: 'x',
};
const ctx: FloorContext = floorCtx;

/** `err` as the runner would answer it: its one error frame must fit (start.ts sends it before exiting). */
function fitsInFrame(err: CorralError): void {
  assert.doesNotThrow(() => encodeFrame({ type: 'error', code: err.code, message: err.message }), `${err.code} message of ${err.message.length} characters`);
}

function expectCodes(fn: () => unknown, codes: readonly string[]): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof CorralError && codes.includes(err.code)) return fitsInFrame(err);
    throw new Error(`unexpected throw: ${err instanceof CorralError ? `CorralError ${err.code}` : String(err)}`);
  }
}

describe('fuzz: hostile runner input in process (fast-check)', function () {
  this.timeout(120_000);

  it('the open-request validator refuses shape mutations with request_invalid in a frame that fits; what it accepts is exactly what was sent', () => {
    fc.assert(
      fc.property(shapeMutation, (m) => {
        const raw = mutate(base, m);
        let parsed: SessionRequest;
        try {
          parsed = parseSessionRequest(raw);
        } catch (err) {
          assert.ok(err instanceof CorralError && err.code === 'request_invalid', `threw ${String(err)}`);
          fitsInFrame(err);
          return;
        }
        // Only setting a field (or a limit) can leave the request valid, and then nothing may be dropped or coerced.
        assert.ok(m.kind === 'set' || m.kind === 'limit', `accepted a ${m.kind} mutation`);
        assert.deepStrictEqual(parsed, raw);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('the validator + floor on anything: request_invalid, config_locked, config_invalid or not_permitted only', () => {
    fc.assert(
      fc.property(fc.oneof(shapeMutation.map((m) => mutate(base, m)), fc.anything({ maxDepth: 5 })), fc.anything({ maxDepth: 4 }), (raw, layer) => {
        expectCodes(() => {
          const request = parseSessionRequest(raw);
          const machine = { label: '/etc/corral/config.json', data: validateLayer(layer, '/etc/corral/config.json') };
          applyFloor({ ...request, workspace: request.workspace, readRoots: request.readRoots ?? [] }, machine, ctx);
        }, ['request_invalid', 'config_invalid', 'config_locked', 'not_permitted']);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('the floor under real machine locks: a request that differs from a locked key is config_locked, limits never exceed the machine', () => {
    const layer = fc.record(
      {
        network: fc.constantFrom('offline', 'online'),
        loopback: fc.constantFrom('private', 'deny'),
        limits: fc.record({ timeoutSec: fc.integer({ min: 1, max: 7200 }), pids: fc.integer({ min: 8, max: 5000 }) }, { requiredKeys: [] }),
        locked: fc.subarray(['network', 'loopback', 'limits'] as const),
      },
      { requiredKeys: ['locked'] },
    );
    const request = fc.record({
      network: fc.constantFrom('offline' as const, 'online' as const),
      loopback: fc.constantFrom('private' as const, 'deny' as const),
      timeoutSec: fc.integer({ min: 1, max: 7 * 24 * 3600 }),
      pids: fc.integer({ min: 8, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(layer, request, (data, r) => {
        const raw = { ...base, network: r.network, loopback: r.loopback, limits: { ...base.limits, timeoutSec: r.timeoutSec, pids: r.pids } };
        const parsed = parseSessionRequest(raw);
        const machine = { label: '/etc/corral/config.json', data: validateLayer(data, '/etc/corral/config.json') };
        let enforced: ReturnType<typeof applyFloor>;
        try {
          enforced = applyFloor({ ...parsed, readRoots: parsed.readRoots ?? [] }, machine, ctx);
        } catch (err) {
          assert.ok(err instanceof CorralError && (err.code === 'config_locked' || err.code === 'request_invalid'), `threw ${String(err)}`);
          fitsInFrame(err);
          return;
        }
        if (data.locked.includes('network')) assert.equal(r.network, data.network ?? 'offline', 'a request against the network lock was served');
        if (data.limits?.timeoutSec !== undefined) assert.ok(enforced.limits.timeoutSec <= data.limits.timeoutSec, 'timeout above the machine limit');
        if (data.limits?.pids !== undefined) assert.ok(enforced.limits.pids <= data.limits.pids, 'pids above the machine limit');
      }),
      fuzzParameters(RUNS),
    );
  });

  it('the config layer schema refuses arbitrary JSON with config_invalid only (deep nesting, NUL, huge numbers)', () => {
    const layerish = fc.oneof(
      fc.anything({ maxDepth: 6 }),
      fc.record({ limits: fc.record({ pids: hostileValue, timeoutSec: hostileValue }, { requiredKeys: [] }), locked: hostileValue }, { requiredKeys: [] }),
      fc.integer({ min: 100, max: 3000 }).map((n) => ({ protected: [deep(n)] })),
      fc.string().map((s) => ({ denyRead: [`~/${s}\0`], env: { set: { [s || 'A']: '\0' } } })),
    );
    fc.assert(fc.property(layerish, (data) => expectCodes(() => validateLayer(data, 'machine.json'), ['config_invalid'])), fuzzParameters(RUNS));
  });

  it('the spawn validator refuses mutated spawn frames with its own error, never another', () => {
    const spawnBase = { type: 'spawn', id: 'c1', argv: ['/bin/true'], cwd: '/home/alice/ws', env: { PATH: '/bin' }, timeoutMs: 1000, stdin: null };
    const field = fc.constantFrom('id', 'argv', 'cwd', 'env', 'timeoutMs', 'stdin');
    fc.assert(
      fc.property(field, hostileValue, (key, value) => {
        const message: Record<string, unknown> = { ...spawnBase, [key]: value };
        try {
          const spawn = validateSpawn(message, 5000);
          assert.ok(spawn.timeoutMs <= 5000, 'timeout capped by the session limit');
        } catch (err) {
          assert.equal((err as Error).constructor.name, 'InvalidSpawn', `threw ${String(err)}`);
        }
      }),
      fuzzParameters(RUNS),
    );
  });

  it('the frame decoder on mutated, truncated and concatenated frames: whole messages or FrameError, never anything else', () => {
    const frames = fc.array(
      fc.oneof(
        shapeMutation.map((m) => frameBytes({ type: 'open', request: mutate(base, m) })),
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.from([0xff, 0xff, 0xff, 0x7f])),
        fc.integer({ min: 0, max: 8 }).map((n) => frameBytes({ type: 'spawn' }).subarray(0, n)),
      ),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(frames, fc.integer({ min: 1, max: 97 }), (parts, size) => {
        const decoder = new FrameDecoder();
        const all = Buffer.concat(parts);
        // Pieces of `size` bytes, at most ~500 of them (megabyte frames would otherwise take millions of pushes).
        const chunk = Math.max(size, Math.ceil(all.length / 500));
        try {
          for (let i = 0; i < all.length; i += chunk) decoder.push(all.subarray(i, i + chunk));
        } catch (err) {
          assert.ok(err instanceof FrameError, `threw ${String(err)}`);
          return;
        }
        assert.ok(decoder.pending <= MAX_FRAME_BYTES + 4);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('the session loop answers each hostile frame with one request_invalid (a frame that fits), starts nothing, and still serves', async () => {
    const invalidSpawn = (frame: Record<string, unknown>) => {
      try {
        validateSpawn(frame, 5000);
        return false;
      } catch {
        return true;
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(hostileSessionFrame('/home/alice/ws', invalidSpawn), { minLength: 1, maxLength: 8 }), async (hostile) => {
        const started: string[] = [];
        const session: ConfinedSession = {
          identity: 'ident',
          enforcement: { workspaceAccess: 'test', networkNamespace: true, containment: 'test', warnings: [] },
          home: '/h',
          tmpdir: '/t',
          spawn(req, events) {
            started.push(req.id);
            setImmediate(() => events.exit({ code: 0, signal: null, timedOut: false }));
            return { writeStdin: () => undefined, closeStdin: () => undefined, kill: () => undefined, pauseOutput: () => undefined, resumeOutput: () => undefined };
          },
          async close() {},
        };
        const input = new PassThrough();
        const output = new PassThrough();
        const decoder = new FrameDecoder();
        const frames: FromRunner[] = [];
        output.on('data', (c: Buffer) => frames.push(...(decoder.push(c) as FromRunner[])));
        const done = serveSession(session, base, { input, output, platform: 'test' });
        // All hostile frames and a control spawn in one write.
        input.write(Buffer.concat([...hostile.map((f) => frameBytes(f)), frameBytes(spawnFrame('control', '/home/alice/ws'))]));
        for (let i = 0; i < 500 && !frames.some((f) => f.type === 'exit' && f.id === 'control'); i++) await new Promise((r) => setImmediate(r));
        input.end();
        await done;
        const errors = frames.filter((f) => f.type === 'error');
        assert.equal(errors.length, hostile.length, `answers: ${JSON.stringify(errors).slice(0, 300)}`);
        assert.ok(errors.every((e) => e.type === 'error' && e.code === 'request_invalid'), JSON.stringify(errors).slice(0, 300));
        assert.deepEqual(started, ['control'], 'only the control command started');
        assert.ok(frames.some((f) => f.type === 'exit' && f.id === 'control'), 'the session still serves after the hostile frames');
      }),
      fuzzParameters(100),
    );
  });
});
