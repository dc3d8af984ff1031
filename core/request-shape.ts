/**
 * Shape check of the `open` request, hand-written on purpose: this runs as root on input a
 * caller chose (see request-validation.ts for the threat model), at the start of every
 * session. A schema library would do the same job, but it costs the runner tens of
 * milliseconds of module loading per session (zod: ~95 modules) and puts more code in the
 * root phase; this file is small enough to read in full.
 *
 * Strict: unknown keys are refused at every level, every field has a type, a range or a
 * pattern; the first problem found is reported with its path (`request.limits.pids: …`).
 * Pure: no I/O. One validator for both runners (called once, in runner/start.ts, before any
 * backend), parameterised by the path flavour: what an absolute path and a protected name
 * are differ, the refusals and their codes do not.
 */
import { CorralError } from './errors.js';
import { excerpt, PROTOCOL_VERSION, type SessionRequest } from './protocol.js';
import { parseHostRule } from './hosts.js';
import { posixPaths, type PathRules } from './paths.js';
import { GIT_ACCESS, MIN_HOME_BYTES, PUBLISH_MAX_PORTS, PUBLISH_MIN_PORT } from './vocabulary.js';

const MAX_PATHS = 256;
const MAX_PATH_LENGTH = 4096;

class ShapeError extends Error {
  constructor(
    readonly path: string[],
    message: string,
  ) {
    super(message);
  }
}

type Check<T> = (value: unknown, path: string[]) => T;

function fail(path: string[], message: string): never {
  throw new ShapeError(path, message);
}

const string =
  (min: number, max: number, rule?: { test(s: string): boolean; says: string }): Check<string> =>
  (v, path) => {
    if (typeof v !== 'string') fail(path, `expected a string, found ${typeof v}`);
    if (v.length < min || v.length > max) fail(path, `expected a string of ${min}–${max} characters, found ${v.length}`);
    if (rule !== undefined && !rule.test(v)) fail(path, `expected ${rule.says}`);
    return v;
  };

const integer =
  (min: number, max: number): Check<number> =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'expected an integer');
    if (v < min || v > max) fail(path, `expected an integer from ${min} to ${max}, found ${v}`);
    return v;
  };

const oneOf =
  <const T extends string>(values: readonly T[]): Check<T> =>
  (v, path) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(path, `expected one of ${values.join(', ')}`);
    return v as T;
  };

const list =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (v, path) => {
    if (!Array.isArray(v)) fail(path, 'expected an array');
    if (v.length > max) fail(path, `expected at most ${max} entries, found ${v.length}`);
    return v.map((x, i) => item(x, [...path, String(i)]));
  };

/** A plain object with exactly the named fields (optional ones may be absent). */
function strictObject<T>(fields: { [K in keyof T]-?: Check<T[K]> }, optional: readonly (keyof T)[] = []): Check<T> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) fail(path, `unrecognized key ${JSON.stringify(excerpt(key))}`);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(fields) as (keyof T & string)[]) {
      const has = Object.prototype.hasOwnProperty.call(record, key);
      if (!has || record[key] === undefined) {
        if (optional.includes(key)) continue;
        fail([...path, key], 'required');
      }
      out[key] = fields[key](record[key], [...path, key]);
    }
    return out as T;
  };
}

const noNul = (s: string) => !s.includes('\0');
const loopback: Check<SessionRequest['loopback']> = (v, path) =>
  Array.isArray(v) ? list(integer(1, 65535), MAX_PATHS)(v, path) : oneOf(['private', 'deny'] as const)(v, path);

/** A host rule the proxy can decide with (core/hosts.ts), in its canonical spelling. */
const hostRule: Check<string> = (v, path) => {
  const text = string(1, 300)(v, path);
  const parsed = parseHostRule(text);
  if (!parsed.ok) fail(path, `expected a host rule: ${parsed.reason}`);
  return parsed.value.text;
};
const MAX_ENV_SET = 1024;
const envSet: Check<Record<string, string>> = (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_ENV_SET) fail(path, `expected at most ${MAX_ENV_SET} variables, found ${entries.length}`);
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail([...path, name], 'expected a variable name');
    out[name] = string(0, 1 << 20, { test: noNul, says: 'a value without NUL' })(value, [...path, name]);
  }
  return out;
};
/** One line of the real user's git config: printable, no line break or NUL (it becomes an environment value). */
const gitIdentityField = string(1, 256, { test: (s) => !/[\0\n\r]/.test(s), says: 'one line without NUL' });
const gitIdentity = strictObject<NonNullable<SessionRequest['gitIdentity']>>({ name: gitIdentityField, email: gitIdentityField }, ['name', 'email']);
const allowlist = strictObject<NonNullable<SessionRequest['allowlist']>>({ allow: list(hostRule, MAX_PATHS), deny: list(hostRule, MAX_PATHS) });

function requestChecker(paths: PathRules): Check<SessionRequest> {
  const absolutePath = string(1, MAX_PATH_LENGTH, { test: (p) => noNul(p) && paths.isAbsolute(p), says: `an absolute ${paths.flavour === 'windows' ? 'Windows ' : ''}path without NUL` });
  // A name is one component: no separator of the flavour (Windows takes both / and \).
  const separator = paths.flavour === 'windows' ? /[\\/]/ : /\//;
  const protectedEntry = string(1, MAX_PATH_LENGTH, {
    test: (p) => noNul(p) && (paths.isAbsolute(p) || (!separator.test(p) && p !== '.' && p !== '..')),
    says: paths.flavour === 'windows' ? 'a name (no "\\" or "/") or an absolute path' : 'a name (no "/") or an absolute path',
  });
  return strictObject<SessionRequest>(
    {
      version: (v, path) => (v === PROTOCOL_VERSION ? PROTOCOL_VERSION : fail(path, `expected protocol version ${PROTOCOL_VERSION}`)),
      realUser: string(1, 256),
      network: oneOf(['offline', 'online'] as const),
      mode: oneOf(['read-only', 'workspace-write', 'full-access'] as const),
      workspace: absolutePath,
      writableRoots: list(absolutePath, MAX_PATHS),
      readRoots: list(absolutePath, MAX_PATHS),
      protected: list(protectedEntry, MAX_PATHS),
      denyRead: list(absolutePath, MAX_PATHS),
      loopback,
      allowlist,
      publish: (v, path) => {
        const ports = list(integer(PUBLISH_MIN_PORT, 65535), PUBLISH_MAX_PORTS)(v, path);
        if (new Set(ports).size !== ports.length) fail(path, 'expected each port once');
        return ports;
      },
      limits: strictObject<SessionRequest['limits']>({
        timeoutSec: integer(1, 7 * 24 * 3600),
        maxOutputBytes: integer(1, 2 ** 40),
        pids: integer(8, 1_000_000),
        memoryBytes: integer(16 * 1024 * 1024, 2 ** 52),
        homeBytes: integer(MIN_HOME_BYTES, 2 ** 50),
      }, ['memoryBytes', 'homeBytes']),
      env: strictObject<NonNullable<SessionRequest['env']>>({
        allow: list(string(1, 256, { test: (n) => /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(n), says: 'a variable name, optionally ending in *' }), MAX_PATHS),
        set: envSet,
      }),
      git: oneOf(GIT_ACCESS),
      gitIdentity,
      policyDigest: string(0, 256),
      capabilitySids: list(string(0, 256), MAX_PATHS),
      windowsPrivateDesktop: (v, path) => (typeof v === 'boolean' ? v : fail(path, 'expected true or false')),
    },
    ['capabilitySids', 'allowlist', 'publish', 'windowsPrivateDesktop', 'readRoots', 'env', 'git', 'gitIdentity'],
  );
}

const checkers = new Map<PathRules, Check<SessionRequest>>();

/** Shape check of the `open` request for paths of `paths`' flavour; errors name the field. */
export function parseSessionRequest(raw: unknown, paths: PathRules = posixPaths): SessionRequest {
  let checker = checkers.get(paths);
  if (checker === undefined) {
    checker = requestChecker(paths);
    checkers.set(paths, checker);
  }
  let request: SessionRequest;
  try {
    request = checker(raw, []);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    // Path segments can be keys the caller chose (env.set names): echoed cut (core/protocol.ts excerpt).
    const path = err.path.map((segment) => excerpt(segment));
    const where = path.length > 0 ? `request.${path.join('.')}` : 'request';
    throw new CorralError('request_invalid', `${where}: ${err.message}`, { details: { path } });
  }
  if (request.mode === 'full-access') {
    throw new CorralError('request_invalid', 'request.mode: full-access sessions run without a sandbox and never through the runner');
  }
  if (request.allowlist !== undefined && request.network !== 'offline') {
    throw new CorralError('request_invalid', 'request.allowlist: an allowlist session runs as the offline identity (network must be offline)');
  }
  if (request.publish !== undefined && request.publish.length > 0 && request.network !== 'offline') {
    throw new CorralError('request_invalid', 'request.publish: an online session shares the host\'s network namespace; only offline and allowlist sessions publish ports');
  }
  return request;
}
