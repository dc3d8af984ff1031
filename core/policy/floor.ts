/**
 * The policy floor: what a runner enforces, computed in its privileged phase from the
 * request, the built-in defaults and the machine layer it read itself. Shared by the Linux
 * and the Windows runner; pure (the caller passes the real user's home from the account
 * database and a canonicalisation function). No schema library: the machine layer comes in
 * already validated (validate-layer.ts, loaded only when a machine config file exists).
 *
 * Threat model: the request is written by the real user, who may bypass `corral run` and
 * hand-craft it. The client's resolution (orchestrator/policy/resolve.ts) gives friendly
 * early errors; this module is the authority. It never lets a request:
 * - drop a protected name/path or a denyRead path of the defaults or the machine layer
 *   (enforced = request ∪ defaults ∪ machine, `~` being the real user's home, never a path
 *   the request names);
 * - change a key the machine layer locked (config_locked);
 * - raise a limit the machine layer set (enforced = min(request, machine));
 * - choose `git: "commit"` when the machine layer locks `git` (to `read`, or by default);
 * - write the real user's home, an ancestor of it, or a tree holding a denyRead path
 *   (writable-roots.ts, the same rule the client applies);
 * - pass a secret-looking variable not allowed by exact name, or, with `env` locked,
 *   anything but the machine's allow/set (env.ts floorEnvironment, applied to every spawn).
 */
import { createHash } from 'node:crypto';
import { posix, win32 } from 'node:path';
import type { PathRules } from '../paths.js';
import type { SessionRequest } from '../protocol.js';
import { CorralError } from '../errors.js';
import { parseHostRule } from '../hosts.js';
import { DEFAULT_HOME_BYTES, DEFAULT_LIMITS, networkIdentity, type GitAccess, type Limits, type Loopback, type Mode, type Network, type NetworkAllowlist, type NetworkPolicy } from '../vocabulary.js';
import { defaultProtectedNames } from '../protected-names.js';
import { DEFAULT_DENY_READ, DEFAULT_ENV_ALLOW, DEFAULT_READ_ROOTS } from './defaults.js';
import type { PolicyKey } from './keys.js';
import type { Layer } from './schema.js';
import { writableRootProblem } from './writable-roots.js';

/** The policy fields of an open request, as the runner's shape check left them. */
export interface FloorRequest {
  mode: Mode;
  network: Network;
  allowlist?: NetworkAllowlist;
  loopback: Loopback;
  /** Session ports published on the host's loopback (absent: none). */
  publish?: number[];
  /** The workspace (canonical). */
  workspace: string;
  /** Extra writable roots (canonical, without the workspace). */
  writableRoots: string[];
  readRoots?: string[];
  protected: string[];
  denyRead: string[];
  limits: Limits;
  /** The client's resolved env policy (optional: without it only the defaults and the machine's allow). */
  env?: { allow: string[]; set: Record<string, string> };
  /** Policy `git` (absent: read). */
  git?: GitAccess;
}

export interface MachineLayer {
  /** The file it came from (named in errors). */
  label: string;
  data: Layer;
}

export interface FloorContext {
  platform: 'linux' | 'windows';
  installation: string;
  /** The real user's home, from the account database (for `~`). */
  home: string;
  /** The canonical form of a path when it exists, else the path (the runner's realpath). */
  canonical(path: string): string;
  /** Is `child` equal to or below `parent` (platform path rules). */
  within(child: string, parent: string): boolean;
  /** Resolve `rest` against `home` (platform path rules). */
  join(home: string, rest: string): string;
  isAbsolute(path: string): boolean;
  /** The default memory limit of this machine (half its RAM). */
  defaultMemoryBytes: number;
}

export interface EnforcedPolicy {
  mode: Mode;
  network: Network;
  allowlist: NetworkAllowlist | null;
  loopback: Loopback;
  /** Session ports published on the host's loopback, sorted (empty: none). */
  publish: number[];
  workspace: string;
  /** The workspace first (empty in read-only mode). */
  writableRoots: string[];
  readRoots: string[];
  protected: string[];
  denyRead: string[];
  limits: Limits;
  env: { allow: string[]; set: Record<string, string>; locked: boolean };
  git: GitAccess;
  /** Short digest of all of the above: the `hello` digest and the audit record's. */
  digest: string;
}

function union(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

function expand(entry: string, ctx: FloorContext, allowNames: boolean, where: string, label: string): string {
  if (entry === '~') return ctx.home;
  if (entry.startsWith('~/') || entry.startsWith('~\\')) return ctx.join(ctx.home, entry.slice(2));
  if (ctx.isAbsolute(entry)) return entry;
  if (allowNames && !entry.includes('/') && !entry.includes('\\')) return entry;
  throw new CorralError('config_invalid', `${label}: ${where}: expected an absolute path or ~/…, found ${JSON.stringify(entry)}`, {
    details: { file: label, key: where },
  });
}

function canonicalRules(list: readonly string[]): string[] {
  return list.map((r) => {
    const parsed = parseHostRule(r);
    return parsed.ok ? parsed.value.text : r;
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function sameNetwork(machine: NetworkPolicy, request: FloorRequest): boolean {
  if (typeof machine === 'string') return request.network === machine && request.allowlist === undefined;
  if (request.network !== 'offline' || request.allowlist === undefined) return false;
  return sameSet(canonicalRules(machine.allow), request.allowlist.allow) && sameSet(canonicalRules(machine.deny), request.allowlist.deny);
}

function describeNetwork(request: FloorRequest): string {
  return request.allowlist === undefined ? request.network : JSON.stringify(request.allowlist);
}

const LIMIT_KEYS = ['timeoutSec', 'maxOutputBytes', 'pids', 'memoryBytes', 'homeBytes'] as const;

/** What the runner enforces; config_locked / config_invalid / not_permitted when the request may not have it. */
export function applyFloor(request: FloorRequest, machine: MachineLayer | null, ctx: FloorContext): EnforcedPolicy {
  const d: Layer = machine?.data ?? {};
  const label = machine?.label ?? 'built-in defaults';
  const locked = new Set<PolicyKey>(d.locked ?? []);
  const refuseLocked = (key: PolicyKey, wants: unknown, value: unknown): never => {
    throw new CorralError('config_locked', `request.${key}: locked by ${label} to ${JSON.stringify(value)}; the request asks for ${JSON.stringify(wants)}`, {
      details: { file: label, key, lockedBy: label },
    });
  };

  // Machine values of each key (its layer's, else the built-in default), `~` = the real home.
  const machineNetwork: NetworkPolicy =
    d.network === undefined ? 'offline' : typeof d.network === 'string' ? d.network : { allow: d.network.allow ?? [], deny: d.network.deny ?? [] };
  const machineLoopback: Loopback = d.loopback ?? (ctx.platform === 'linux' ? 'private' : 'deny');
  const machineMode: Mode = d.mode ?? 'workspace-write';
  const machineLimits: Limits = { ...DEFAULT_LIMITS, memoryBytes: ctx.defaultMemoryBytes, homeBytes: DEFAULT_HOME_BYTES, ...stripUndefined(d.limits ?? {}) };
  const machineReadRoots = (d.readRoots ?? [...DEFAULT_READ_ROOTS]).map((e, i) => expand(e, ctx, false, `readRoots[${i}]`, label));
  const machineWritable = (d.writableRoots ?? []).map((e, i) => ctx.canonical(expand(e, ctx, false, `writableRoots[${i}]`, label)));
  const machineProtected = (d.protected ?? []).map((e, i) => expand(e, ctx, true, `protected[${i}]`, label));
  const machineDenyRead = (d.denyRead ?? []).map((e, i) => expand(e, ctx, false, `denyRead[${i}]`, label));
  const defaultDenyRead = DEFAULT_DENY_READ.map((e) => ctx.join(ctx.home, e.slice(2)));

  if (locked.has('mode') && request.mode !== machineMode) refuseLocked('mode', request.mode, machineMode);
  if (locked.has('network') && !sameNetwork(machineNetwork, request)) refuseLocked('network', describeNetwork(request), machineNetwork);
  // An allowlist machine network runs as the offline identity: `online` is never within it.
  if (locked.has('loopback') && JSON.stringify(request.loopback) !== JSON.stringify(machineLoopback)) refuseLocked('loopback', request.loopback, machineLoopback);
  const publish = [...new Set(request.publish ?? [])].sort((a, b) => a - b);
  if (locked.has('publish')) {
    const machinePublish = [...new Set(d.publish ?? [])].sort((a, b) => a - b);
    if (JSON.stringify(publish) !== JSON.stringify(machinePublish)) refuseLocked('publish', publish, machinePublish);
  }
  const machineGit: GitAccess = d.git ?? 'read';
  if (locked.has('git') && (request.git ?? 'read') !== machineGit) refuseLocked('git', request.git ?? 'read', machineGit);
  if (locked.has('readRoots') && !sameSet(request.readRoots ?? [], machineReadRoots)) refuseLocked('readRoots', request.readRoots ?? [], machineReadRoots);
  if (locked.has('writableRoots') && !sameSet(request.writableRoots, machineWritable)) refuseLocked('writableRoots', request.writableRoots, machineWritable);
  if (locked.has('limits')) {
    for (const key of LIMIT_KEYS) {
      const want = request.limits[key];
      const value = machineLimits[key];
      if (want !== undefined && value !== undefined && want !== value) refuseLocked('limits', request.limits, machineLimits);
    }
  }

  // Limits: the machine layer's are ceilings; the request may only lower them.
  const limits: Limits = { ...request.limits };
  for (const key of LIMIT_KEYS) {
    const ceiling = locked.has('limits') ? machineLimits[key] : d.limits?.[key];
    if (ceiling === undefined) continue;
    const want = limits[key];
    limits[key] = want === undefined ? ceiling : Math.min(want, ceiling);
  }

  const protectedList = union(request.protected, defaultProtectedNames(ctx.installation), machineProtected).map((p) => (ctx.isAbsolute(p) ? ctx.canonical(p) : p));
  const denyRead = union(request.denyRead, defaultDenyRead, machineDenyRead).map((p) => ctx.canonical(p));

  const writableRoots: string[] = [];
  if (request.mode === 'workspace-write') {
    for (const root of [request.workspace, ...request.writableRoots]) {
      const problem = writableRootProblem(root, { home: ctx.canonical(ctx.home), denyRead }, ctx.within);
      if (problem !== null) throw new CorralError('not_permitted', `writable root ${root}: ${problem}`, { details: { path: root } });
      if (!writableRoots.includes(root)) writableRoots.push(root);
    }
  }

  const envLocked = locked.has('env');
  const machineEnv = { allow: union(DEFAULT_ENV_ALLOW, d.env?.allow ?? []), set: { ...(d.env?.set ?? {}) } };
  const env = envLocked
    ? { ...machineEnv, locked: true }
    : { allow: union(machineEnv.allow, request.env?.allow ?? []), set: { ...machineEnv.set, ...(request.env?.set ?? {}) }, locked: false };

  const enforced: Omit<EnforcedPolicy, 'digest'> = {
    mode: request.mode,
    network: request.network,
    allowlist: request.allowlist ?? null,
    loopback: request.loopback,
    publish,
    workspace: request.workspace,
    writableRoots,
    readRoots: [...(request.readRoots ?? [])],
    protected: protectedList,
    denyRead,
    limits,
    env,
    git: request.git ?? 'read',
  };
  return { ...enforced, digest: enforcedDigest(enforced) };
}

export function enforcedDigest(enforced: Omit<EnforcedPolicy, 'digest'>): string {
  return createHash('sha256').update(JSON.stringify(enforced)).digest('hex').slice(0, 16);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export { networkIdentity };

/**
 * The floor as a runner applies it to a shape-checked open request: the request's policy fields,
 * with the workspace and the extra writable roots the runner checked itself (never the
 * request's own strings), and the FloorContext of its path flavour. One function for both runners.
 */
export function applyFloorToRequest(
  request: SessionRequest,
  checked: { workspace: string; extraWritableRoots: string[] },
  machine: MachineLayer | null,
  env: { paths: PathRules; installation: string; home: string; canonical(path: string): string; defaultMemoryBytes: number },
): EnforcedPolicy {
  const resolve = env.paths.flavour === 'windows' ? win32.resolve : posix.resolve;
  return applyFloor(
    {
      mode: request.mode,
      network: request.network,
      ...(request.allowlist === undefined ? {} : { allowlist: request.allowlist }),
      loopback: request.loopback,
      ...(request.publish === undefined ? {} : { publish: request.publish }),
      workspace: checked.workspace,
      writableRoots: checked.extraWritableRoots,
      ...(request.readRoots === undefined ? {} : { readRoots: request.readRoots }),
      protected: request.protected,
      denyRead: request.denyRead,
      limits: request.limits,
      ...(request.env === undefined ? {} : { env: request.env }),
      ...(request.git === undefined ? {} : { git: request.git }),
    },
    machine,
    {
      platform: env.paths.flavour === 'windows' ? 'windows' : 'linux',
      installation: env.installation,
      home: env.home,
      canonical: env.canonical,
      within: env.paths.within,
      join: (home, rest) => resolve(home, rest),
      isAbsolute: env.paths.isAbsolute,
      defaultMemoryBytes: env.defaultMemoryBytes,
    },
  );
}
