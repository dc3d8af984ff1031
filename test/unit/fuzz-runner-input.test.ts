/**
 * Hostile runner input, in process and without root (issue 10 item 5): mutated open and spawn
 * frames, byte soup on the frame decoder, arbitrary config layers and machine layers through
 * the schema and the policy floor. Properties: nothing throws but a CorralError with one of the
 * expected codes (or FrameError from the decoder), and every call returns (fast-check's
 * interruptAfterTimeLimit would report a hang; each call here is synchronous and bounded by
 * the input's size). The seed is printed by fast-check on failure (re-run with it).
 */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import fc from 'fast-check';
import { CorralError } from '../../core/errors.js';
import { FrameDecoder, FrameError, MAX_FRAME_BYTES } from '../../core/protocol.js';
import type { SessionRequest } from '../../core/protocol.js';
import { applyFloor, type FloorContext } from '../../core/policy/floor.js';
import { validateLayer } from '../../core/policy/validate-layer.js';
import { posixPaths } from '../../core/paths.js';
import { parseSessionRequest } from '../../runner/linux/request-shape.js';
import { validateSpawn } from '../../runner/session.js';
import { deep, frameBytes, hostileValue, mutate, shapeMutation } from '../helpers/hostile-requests.js';

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
const ctx: FloorContext = {
  platform: 'linux',
  installation: 'corral',
  home: '/home/alice',
  canonical: (p) => p,
  within: posixPaths.within,
  join: (h, r) => posix.resolve(h, r),
  isAbsolute: posix.isAbsolute,
  defaultMemoryBytes: 1 << 30,
};

function expectCodes(fn: () => unknown, codes: readonly string[]): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof CorralError && codes.includes(err.code)) return;
    throw new Error(`unexpected throw: ${err instanceof CorralError ? `CorralError ${err.code}` : String(err)}`);
  }
}

describe('fuzz: hostile runner input in process (fast-check)', function () {
  this.timeout(120_000);

  it('the open-request validator refuses every shape mutation with request_invalid, and nothing else', () => {
    fc.assert(
      fc.property(shapeMutation, (m) => {
        const raw = mutate(base, m);
        try {
          parseSessionRequest(raw);
        } catch (err) {
          assert.ok(err instanceof CorralError && err.code === 'request_invalid', `threw ${String(err)}`);
          return;
        }
        // A mutation may leave the request valid (e.g. a set to a valid value): then it must round-trip as data.
        assert.doesNotThrow(() => JSON.stringify(raw));
      }),
      { numRuns: RUNS },
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
      { numRuns: RUNS },
    );
  });

  it('the config layer schema refuses arbitrary JSON with config_invalid only (deep nesting, NUL, huge numbers)', () => {
    const layerish = fc.oneof(
      fc.anything({ maxDepth: 6 }),
      fc.record({ limits: fc.record({ pids: hostileValue, timeoutSec: hostileValue }, { requiredKeys: [] }), locked: hostileValue }, { requiredKeys: [] }),
      fc.integer({ min: 100, max: 3000 }).map((n) => ({ protected: [deep(n)] })),
      fc.string().map((s) => ({ denyRead: [`~/${s}\0`], env: { set: { [s || 'A']: '\0' } } })),
    );
    fc.assert(fc.property(layerish, (data) => expectCodes(() => validateLayer(data, 'machine.json'), ['config_invalid'])), { numRuns: RUNS });
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
      { numRuns: RUNS },
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
      fc.property(frames, fc.integer({ min: 1, max: 97 }), (parts, chunk) => {
        const decoder = new FrameDecoder();
        const all = Buffer.concat(parts);
        try {
          for (let i = 0; i < all.length; i += chunk) decoder.push(all.subarray(i, i + chunk));
        } catch (err) {
          assert.ok(err instanceof FrameError, `threw ${String(err)}`);
          return;
        }
        assert.ok(decoder.pending <= MAX_FRAME_BYTES + 4);
      }),
      { numRuns: RUNS },
    );
  });
});
