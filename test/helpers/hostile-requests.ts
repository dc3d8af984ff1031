/**
 * Generators of hostile runner input (fast-check), shared by the in-process property tests
 * (test/unit/fuzz-runner-input.test.ts: frame decoder, open-request validator, spawn validator,
 * config layer schema, policy floor) and the root run through the real sudo rule
 * (test/integration/runner-fuzz.test.ts). Each mutation keeps a valid request's skeleton and
 * breaks one thing the way an attacker would: a wrong type, a huge value, deep nesting, NUL
 * bytes, an overlong path, an unknown key, a missing key.
 */
import fc from 'fast-check';
import type { SessionRequest } from '../../core/protocol.js';

/**
 * fast-check parameters of every fuzz test here: a fixed seed by default (the same cases on
 * every run, so a failure is reproducible), printed with the failing case's path on failure.
 * Replay a failure:  CORRAL_FUZZ_SEED=<seed> CORRAL_FUZZ_PATH=<path> npx mocha <the test file>
 * Explore new cases: CORRAL_FUZZ_SEED=random (the seed used is printed before the run).
 */
export function fuzzParameters(numRuns: number): { seed: number; path?: string; numRuns: number; endOnFailure: boolean } {
  const given = process.env.CORRAL_FUZZ_SEED;
  const seed = given === 'random' ? Date.now() ^ (Math.random() * 0x100000000) : given !== undefined && given !== '' ? Number(given) : 20261203;
  if (!Number.isInteger(seed)) throw new Error(`CORRAL_FUZZ_SEED must be an integer or "random", not ${given}`);
  if (given === 'random') console.log(`fuzz seed ${seed}`);
  const path = process.env.CORRAL_FUZZ_PATH;
  return { seed, numRuns, endOnFailure: true, ...(path !== undefined && path !== '' ? { path } : {}) };
}

/** A key or id of `n` characters, up to nearly a whole frame (8 MiB): echoed whole, an error would not fit in its frame. */
export const hugeText: fc.Arbitrary<string> = fc.integer({ min: 3000, max: 7_000_000 }).map((n) => 'k'.repeat(n));

/** A value nested `depth` levels deep (arrays and objects). */
export function deep(depth: number, leaf: unknown = 'x'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Values no field of a request accepts where it stands. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, '', '\0', [], {}),
  fc.integer({ min: 1, max: 2000 }).map((n) => deep(n)),
  fc.integer({ min: 4097, max: 70_000 }).map((n) => `/${'a'.repeat(n)}`),
  fc.string().map((s) => `/tmp/${s}\0/x`),
  fc.array(fc.constant('/x'), { minLength: 257, maxLength: 400 }),
  fc.anything({ maxDepth: 4 }),
);

type Key = keyof SessionRequest;
const FIELDS: Key[] = ['version', 'realUser', 'network', 'mode', 'workspace', 'writableRoots', 'readRoots', 'protected', 'denyRead', 'loopback', 'limits', 'policyDigest', 'env', 'allowlist'];
const LIMIT_FIELDS = ['timeoutSec', 'maxOutputBytes', 'pids', 'memoryBytes', 'homeBytes'] as const;

export type Mutation =
  | { kind: 'set'; field: Key; value: unknown }
  | { kind: 'limit'; field: (typeof LIMIT_FIELDS)[number]; value: unknown }
  | { kind: 'pathItem'; field: 'writableRoots' | 'protected' | 'denyRead' | 'readRoots'; value: unknown }
  | { kind: 'delete'; field: Exclude<Key, 'readRoots' | 'env' | 'allowlist' | 'capabilitySids' | 'windowsPrivateDesktop'> }
  | { kind: 'unknownKey'; key: string; value: unknown };

/** Mutations that always make the request invalid in shape (request_invalid). */
export const shapeMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom(...FIELDS.filter((f) => f !== 'policyDigest' && f !== 'realUser')), value: hostileValue }),
  fc.record({ kind: fc.constant('limit' as const), field: fc.constantFrom(...LIMIT_FIELDS), value: fc.oneof(hostileValue, fc.constantFrom(2 ** 60, -5, 0, 1e20, 0.5)) }),
  fc.record({
    kind: fc.constant('pathItem' as const),
    field: fc.constantFrom('writableRoots' as const, 'protected' as const, 'denyRead' as const, 'readRoots' as const),
    value: fc.oneof(fc.constant<unknown>('/a\0b'), fc.constant<unknown>(`/${'p'.repeat(5000)}`), fc.constant<unknown>(''), fc.constant<unknown>(7), fc.constant<unknown>(deep(50))),
  }),
  fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom('version' as const, 'realUser' as const, 'network' as const, 'mode' as const, 'workspace' as const, 'writableRoots' as const, 'protected' as const, 'denyRead' as const, 'loopback' as const, 'limits' as const, 'policyDigest' as const) }),
  fc.record({ kind: fc.constant('unknownKey' as const), key: fc.oneof(fc.constantFrom('identity', 'uid', '__proto__x', 'constructor', 'home', 'a\0b'), hugeText), value: hostileValue }),
);

/** Apply `m` to a copy of `base` (a plain JSON object afterwards). */
export function mutate(base: SessionRequest, m: Mutation): Record<string, unknown> {
  const r = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  switch (m.kind) {
    case 'set':
      r[m.field] = m.value;
      break;
    case 'limit':
      (r.limits as Record<string, unknown>)[m.field] = m.value;
      break;
    case 'pathItem':
      r[m.field] = [...((r[m.field] as unknown[] | undefined) ?? []), m.value];
      break;
    case 'delete':
      delete r[m.field];
      break;
    case 'unknownKey':
      Object.defineProperty(r, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      break;
  }
  return r;
}

/**
 * `value` as the runner receives it: through JSON. A mutation whose value is `undefined` (which
 * fc.anything yields) vanishes on the wire, so an unknown key or an optional field set to
 * `undefined` leaves a request the validator rightly accepts: tests that send a mutation decide
 * whether it is invalid on this form, not on the object in hand.
 */
export function onTheWire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** A valid open frame's bytes, cut at `at` (a truncated frame) or followed by `extra` frames in the same write. */
export function frameBytes(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** A spawn frame valid in shape (id `id`), the base of the mutated ones. */
export function spawnFrame(id: string, cwd: string): Record<string, unknown> {
  return { type: 'spawn', id, argv: ['/bin/true'], cwd, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, stdin: null };
}

const SPAWN_FIELDS = ['id', 'argv', 'cwd', 'env', 'timeoutMs', 'stdin'] as const;

/**
 * Frames after hello that the session loop must refuse one by one (`request_invalid`), with no
 * command running: a spawn with one field made hostile (`isInvalidSpawn` filters out the
 * mutations that happen to stay valid), stdin/kill/closeStdin of ids no command has, unknown
 * types, frames that are not objects, ids of megabytes.
 */
export function hostileSessionFrame(cwd: string, isInvalidSpawn: (frame: Record<string, unknown>) => boolean): fc.Arbitrary<unknown> {
  const id = fc.oneof(hostileValue, fc.constantFrom('nobody', ''), hugeText);
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...SPAWN_FIELDS), fc.oneof(hostileValue, hugeText))
      .map(([field, value]) => ({ ...spawnFrame('h', cwd), [field]: value }))
      .filter(isInvalidSpawn),
    fc.record({ type: fc.constant('stdin'), id, data: fc.oneof(hostileValue, fc.constant('aGk=')) }),
    fc.record({ type: fc.constant('closeStdin'), id }),
    fc.record({ type: fc.constant('kill'), id, signal: fc.oneof(hostileValue, fc.constantFrom('SIGKILL', 'SIGTERM', 'SIGNOPE')) }),
    fc.record({ type: fc.oneof(hostileValue, hugeText).filter((t) => !['spawn', 'stdin', 'closeStdin', 'kill', 'shutdown'].includes(t as string)) }),
    fc.constantFrom<unknown>(null, 0, 'spawn', [], [{ type: 'spawn' }], true),
  );
}
