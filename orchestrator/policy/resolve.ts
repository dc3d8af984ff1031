/**
 * Layered policy resolution: defaults < machine < user < workspace < command-line flags.
 *
 * Merge rules:
 * - scalars and `workspaces`/`writableRoots`/`loopback`/`publish`: a later layer replaces;
 * - `protected`, `denyRead`, `env.allow`: additive — no layer can remove what a lower
 *   layer protects, hides or allows;
 * - `env.set`, `limits`: merged key by key.
 *
 * Locks: the machine layer may list keys in `locked`; a later layer that sets a locked
 * key to another value is a `config_locked` error naming both files, never a silent
 * override. Additive keys can only be tightened, so locking them locks nothing.
 *
 * Threat model for the workspace layer: `<ws>/.corral/config.json` comes with the
 * repository, i.e. from whoever wrote the repository, not from the developer. It may
 * only tighten: it cannot choose full-access, go online, add writable roots or
 * workspaces, pass more environment variables, open loopback ports, publish ports on the
 * host (not even an empty list: `publish` is the user's choice alone), raise limits or let
 * sessions write git history (`git: "commit"`) or keep sessions longer (`session.idleSec`), and it may only narrow a network allowlist
 * (network.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { PlatformName } from '../../core/installation.js';
import { defaultPolicy } from './defaults.js';
import { POLICY_KEYS, type PolicyKey } from './keys.js';
import { mergeNetwork, type HostSource } from './network.js';
import type { Layer, Policy } from './schema.js';

export type LayerKind = 'default' | 'machine' | 'user' | 'workspace' | 'flags';

export interface LayerSource {
  kind: LayerKind;
  /** The file the layer came from, or `command line` / `built-in defaults`. */
  label: string;
  data: Layer;
}

export interface ResolveContext {
  platform: PlatformName;
  /** Installation.pathPlatform (test-only): the file system's path rules when not the platform's. */
  pathPlatform?: 'posix';
  /** The installation name: its workspace config directory (`.<name>`) is a protected name. */
  installation: string;
  /** The real user's home, for `~`. */
  home: string;
  /** Base for relative paths in flags (the caller's cwd). */
  cwd: string;
  /** The workspace root, base for relative paths in the workspace layer. */
  workspace: string;
}

export interface ResolvedPolicy {
  policy: Policy;
  /** Which layers set each key (one label, or several for additive keys). */
  sources: Record<PolicyKey, string[]>;
  /** Keys the machine layer locked. */
  locked: PolicyKey[];
  /** Short digest of the resolved policy (audit records, runner hello). */
  digest: string;
  /** Allowlist network only: each allow/deny entry and the layer it came from. */
  hostSources: HostSource[];
}

const ADDITIVE = new Set<PolicyKey>(['protected', 'denyRead']);

function pathApi(platform: PlatformName, pathPlatform?: 'posix'): path.PlatformPath {
  return platform === 'windows' && pathPlatform !== 'posix' ? path.win32 : path.posix;
}

/** `~/x` → home/x; relative → against `base` (or an error when there is none); names stay names. */
function resolvePathEntry(
  entry: string,
  opts: { allowNames: boolean; base: string | null; ctx: ResolveContext; where: string },
): string {
  const p = pathApi(opts.ctx.platform, opts.ctx.pathPlatform);
  if (entry === '~' || entry.startsWith('~/') || entry.startsWith('~\\')) {
    return p.resolve(opts.ctx.home, entry.slice(2));
  }
  if (p.isAbsolute(entry)) return p.resolve(entry);
  if (opts.allowNames && !entry.includes('/') && !entry.includes('\\')) return entry;
  if (opts.base === null) {
    throw new CorralError('config_invalid', `${opts.where}: expected an absolute path or ~/…, found ${JSON.stringify(entry)}`);
  }
  return p.resolve(opts.base, entry);
}

function baseFor(kind: LayerKind, ctx: ResolveContext): string | null {
  switch (kind) {
    case 'workspace':
      return ctx.workspace;
    case 'flags':
      return ctx.cwd;
    case 'default':
    case 'machine':
    case 'user':
      return null;
  }
}

function tightenOnly(layer: LayerSource, current: Policy): void {
  const d = layer.data;
  const refuse = (key: string, why: string): never => {
    throw new CorralError(
      'config_invalid',
      `${layer.label}: ${key}: a workspace config may only tighten the policy; ${why}. Set it in your user config or with a flag instead.`,
      { details: { file: layer.label, key } },
    );
  };
  if (d.mode === 'full-access') refuse('mode', 'full-access is not allowed here');
  if (d.workspaces !== undefined) refuse('workspaces', 'workspaces are chosen by the user');
  if (d.writableRoots !== undefined) refuse('writableRoots', 'it cannot add writable roots');
  if (d.readRoots !== undefined) refuse('readRoots', "it cannot choose what of the user's home sessions read");
  if (d.env?.allow !== undefined) refuse('env.allow', 'it cannot pass more variables through');
  if (Array.isArray(d.loopback)) refuse('loopback', 'it cannot open host loopback ports');
  if (d.publish !== undefined) {
    throw new CorralError(
      'config_invalid',
      `${layer.label}: $.publish: a workspace config may not publish ports: it comes with the repository, and publishing opens a listener on your host's loopback that reaches into the session. Set publish in your user config (~/.config/…/config.json) or pass --publish PORT instead.`,
      { details: { file: layer.label, path: '$.publish', key: 'publish' } },
    );
  }
  if (d.git === 'commit') refuse('git', 'it cannot let sessions write the repository\'s git directory (only "read")');
  if (d.session?.idleSec !== undefined && d.session.idleSec > current.session.idleSec) {
    refuse('session.idleSec', `it cannot keep sessions longer (${current.session.idleSec} to ${d.session.idleSec} s)`);
  }
  if (d.mode === 'workspace-write' && current.mode === 'read-only') refuse('mode', 'the policy is already read-only');
  for (const key of ['timeoutSec', 'maxOutputBytes', 'pids', 'memoryBytes', 'homeBytes'] as const) {
    const v = d.limits?.[key];
    const now = current.limits[key];
    if (v !== undefined && (now === undefined || v > now)) refuse(`limits.${key}`, `it cannot raise ${now ?? 'no limit'} to ${v}`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function policyDigest(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16);
}

/** Resolve `layers` (machine, user, workspace, flags — in that order; defaults are added here). */
export function resolvePolicy(layers: LayerSource[], ctx: ResolveContext): ResolvedPolicy {
  const defaultsLabel = 'built-in defaults';
  const policy = defaultPolicy(ctx.platform, ctx.workspace, ctx.installation);
  const sources = Object.fromEntries(POLICY_KEYS.map((k) => [k, [defaultsLabel]])) as Record<PolicyKey, string[]>;
  const lockedBy = new Map<PolicyKey, string>();
  // Limits the machine layer sets are ceilings: a later layer may lower them, never raise them
  // (the runner clamps to the same ceilings: core/policy/floor.ts).
  const ceilings = new Map<'timeoutSec' | 'maxOutputBytes' | 'pids' | 'memoryBytes' | 'homeBytes', { value: number; file: string }>();
  let hostSources: HostSource[] = [];
  let pendingHostSources: HostSource[] | null = null;
  const expandAll = (list: string[], key: string, label: string, kind: LayerKind, allowNames: boolean) =>
    list.map((e, i) => resolvePathEntry(e, { allowNames, base: baseFor(kind, ctx), ctx, where: `${label}: ${key}[${i}]` }));

  policy.denyRead = expandAll(policy.denyRead, 'denyRead', defaultsLabel, 'default', false);
  policy.readRoots = expandAll(policy.readRoots, 'readRoots', defaultsLabel, 'default', false);

  for (const layer of layers) {
    const d = layer.data;
    if (d.locked !== undefined && layer.kind !== 'machine') {
      throw new CorralError('config_invalid', `${layer.label}: locked: only the machine config may lock keys`, {
        details: { file: layer.label, key: 'locked' },
      });
    }
    if (layer.kind === 'workspace') tightenOnly(layer, policy);

    const next: Partial<Policy> = {};
    if (d.mode !== undefined) next.mode = d.mode;
    if (d.network !== undefined) {
      const merged = mergeNetwork({ network: policy.network, hostSources }, d.network, layer);
      next.network = merged.network;
      pendingHostSources = merged.hostSources;
    }
    if (d.loopback !== undefined) next.loopback = d.loopback;
    if (d.publish !== undefined) next.publish = [...new Set(d.publish)];
    if (d.shell !== undefined) next.shell = d.shell;
    if (d.git !== undefined) next.git = d.git;
    if (d.session?.idleSec !== undefined) next.session = { ...policy.session, idleSec: d.session.idleSec };
    if (d.workspaces !== undefined) next.workspaces = expandAll(d.workspaces, 'workspaces', layer.label, layer.kind, false);
    if (d.writableRoots !== undefined) {
      next.writableRoots = expandAll(d.writableRoots, 'writableRoots', layer.label, layer.kind, false);
    }
    if (d.readRoots !== undefined) next.readRoots = expandAll(d.readRoots, 'readRoots', layer.label, layer.kind, false);
    if (d.protected !== undefined) {
      next.protected = union(policy.protected, expandAll(d.protected, 'protected', layer.label, layer.kind, true));
    }
    if (d.denyRead !== undefined) {
      next.denyRead = union(policy.denyRead, expandAll(d.denyRead, 'denyRead', layer.label, layer.kind, false));
    }
    if (d.env !== undefined) {
      next.env = {
        allow: union(policy.env.allow, d.env.allow ?? []),
        set: { ...policy.env.set, ...(d.env.set ?? {}) },
      };
    }
    if (d.limits !== undefined) {
      for (const key of ['timeoutSec', 'maxOutputBytes', 'pids', 'memoryBytes', 'homeBytes'] as const) {
        const v = d.limits[key];
        const ceiling = ceilings.get(key);
        if (v !== undefined && ceiling !== undefined && v > ceiling.value) {
          throw new CorralError('config_locked', `${layer.label}: limits.${key}: ${ceiling.file} sets a ceiling of ${ceiling.value}; found ${v} (a later layer may only lower it)`, {
            details: { file: layer.label, key: `limits.${key}`, lockedBy: ceiling.file },
          });
        }
        if (v !== undefined && layer.kind === 'machine') ceilings.set(key, { value: v, file: layer.label });
      }
      next.limits = { ...policy.limits, ...stripUndefined(d.limits) };
    }

    for (const key of Object.keys(next) as PolicyKey[]) {
      const lockSource = lockedBy.get(key);
      if (lockSource !== undefined && !ADDITIVE.has(key) && !sameValue(next[key], policy[key])) {
        throw new CorralError(
          'config_locked',
          `${layer.label}: ${key}: locked by ${lockSource} to ${JSON.stringify(policy[key])}; found ${JSON.stringify(next[key])}`,
          { details: { file: layer.label, key, lockedBy: lockSource } },
        );
      }
      (policy as unknown as Record<string, unknown>)[key] = next[key];
      sources[key] = ADDITIVE.has(key) || key === 'env' ? [...sources[key], layer.label] : [layer.label];
    }
    if (pendingHostSources !== null) hostSources = pendingHostSources;
    pendingHostSources = null;
    for (const key of d.locked ?? []) lockedBy.set(key, layer.label);
  }

  if (typeof policy.network !== 'string' && Array.isArray(policy.loopback)) {
    throw new CorralError(
      'config_invalid',
      `network: an allowlist (from ${sources.network.join(' + ')}) gives the session its own network namespace, so it cannot also reach host loopback ports (loopback from ${sources.loopback.join(' + ')}); list them in network.allow as 127.0.0.1:PORT instead`,
      { details: { key: 'network' } },
    );
  }
  if (policy.publish.length > 0) publishNeedsOwnNamespace(policy, sources);
  return { policy, sources, locked: [...lockedBy.keys()], digest: policyDigest(policy), hostSources };
}

/**
 * A published port forwards into the session's own network namespace: there is one only for an
 * offline session with its private loopback, or an allowlist session. An online session or one
 * with host loopback ports shares the host's namespace (its servers already listen on the host,
 * where Corral's listener would collide with them); `loopback: deny` has no loopback to serve on.
 */
function publishNeedsOwnNamespace(policy: Policy, sources: Record<PolicyKey, string[]>): void {
  const fail = (why: string): never => {
    throw new CorralError('config_invalid', `publish (from ${sources.publish.join(' + ')}): ${why}`, { details: { key: 'publish', path: '$.publish' } });
  };
  if (policy.network === 'online') {
    fail(`an online session (network from ${sources.network.join(' + ')}) shares the host's network, where its servers are reachable already; publish is for offline and allowlist sessions`);
  }
  if (Array.isArray(policy.loopback)) {
    fail(`loopback ports of the host (from ${sources.loopback.join(' + ')}) make the session share the host's network namespace, so there is nothing to publish into; remove one of the two`);
  }
  if (policy.loopback === 'deny' && typeof policy.network === 'string') {
    fail(`loopback: deny (from ${sources.loopback.join(' + ')}) leaves the session no loopback to serve on; use loopback: private`);
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
