/**
 * The Windows machine state and credential files, as the provisioner (PowerShell module and
 * orchestrator/provision/windows) writes them — read here by the launcher (orchestrator side)
 * and by the runner (to check a session request against what was provisioned). Pure parsing;
 * the callers read the files.
 *
 *   %ProgramData%\Corral\state.json
 *     { version: 1,
 *       users: { <real user name>: { sid, network, identities: { offline: {name, sid}, online: {name, sid} },
 *                                    workspaces: [ {path, capabilitySid} ],
 *                                    firewall: { proxyPort, loopbackPorts } } },   (firewall: New-CorralFirewallRule)
 *       runner: { dir, node, entry } }
 *   %ProgramData%\Corral\credentials\<real user SID>.json
 *     { offline: { user, protected }, online: { user, protected } }   (protected: base64 DPAPI blob)
 */
import { readFileSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { requireTrustedOwners } from './file-owner.js';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { isSidString } from './sid.js';
import type { IdentityKind } from '../../core/vocabulary.js';
import { windowsPaths, type PathFlavour } from '../../core/paths.js';
import { isProxyPort, MIN_PROXY_PORT } from '../../core/proxy/port.js';

export interface WindowsIdentity {
  name: string;
  sid: string;
}

export interface WindowsWorkspace {
  path: string;
  capabilitySid: string;
}

export interface WindowsUserRecord {
  sid: string;
  identities: { offline: WindowsIdentity; online: WindowsIdentity };
  workspaces: WindowsWorkspace[];
  /** The default network recorded by setup (New-CorralIdentity writes offline, Install-Corral -Network changes it). */
  network: 'offline' | 'online';
  /**
   * The loopback TCP port the offline identity's firewall rules admit for the allowlist proxy
   * (New-CorralFirewallRule -ProxyPort, recorded as users.<user>.firewall.proxyPort), or null:
   * none (0), or a setup from before allowlist sessions on Windows, which recorded no rule set.
   */
  proxyPort: number | null;
}

export interface WindowsMachineState {
  version: 1;
  users: Record<string, WindowsUserRecord>;
  runner: { dir: string; node: string; entry: string } | null;
}

export interface StoredCredential {
  user: string;
  /** base64 of the DPAPI blob (LocalMachine scope, entropy `corral:<user>`). */
  protected: string;
}

export type WindowsCredentials = Record<IdentityKind, StoredCredential>;

function fail(file: string, path: string, expected: string, found: unknown): never {
  throw new CorralError('state_corrupt', `${file}: ${path} should be ${expected}; found ${JSON.stringify(found) ?? 'nothing'}`);
}

function object(file: string, path: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, path, 'an object', value);
  return value as Record<string, unknown>;
}

function text(file: string, path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) fail(file, path, 'a non-empty string', value);
  return value;
}

function sid(file: string, path: string, value: unknown): string {
  const s = text(file, path, value);
  if (!isSidString(s)) fail(file, path, 'a SID (S-1-…)', s);
  return s;
}

function absolute(file: string, path: string, value: unknown, flavour: PathFlavour): string {
  const s = text(file, path, value);
  if (flavour === 'posix') {
    if (!posix.isAbsolute(s)) fail(file, path, 'an absolute path (/…)', s);
    return s;
  }
  if (!win32.isAbsolute(s) || !/^[A-Za-z]:\\/.test(s)) fail(file, path, 'an absolute path (C:\\…)', s);
  return s;
}

function identity(file: string, path: string, value: unknown): WindowsIdentity {
  const o = object(file, path, value);
  return { name: text(file, `${path}.name`, o.name), sid: sid(file, `${path}.sid`, o.sid) };
}

function recordedProxyPort(file: string, path: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const port = object(file, path, value).proxyPort ?? 0;
  if (port === 0) return null;
  if (!isProxyPort(port)) fail(file, `${path}.proxyPort`, `0 or a port from ${MIN_PROXY_PORT} to 65535`, port);
  return port;
}

function parseJson(json: string, file: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new CorralError('state_corrupt', `${file} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * `flavour`: the path rules of the recorded paths — always 'windows' on Windows; 'posix' only
 * for a test installation on Linux (Installation.pathPlatform, the simulated Windows of
 * test/windows-sim, whose workspaces are POSIX paths). Nothing in production passes it.
 */
export function parseWindowsState(json: string, file: string, flavour: PathFlavour = 'windows'): WindowsMachineState {
  const root = object(file, '$', parseJson(json, file));
  if (root.version !== 1) fail(file, '$.version', '1 (this Corral reads state version 1)', root.version);
  const users: Record<string, WindowsUserRecord> = {};
  for (const [name, value] of Object.entries(object(file, '$.users', root.users ?? {}))) {
    const p = `$.users[${JSON.stringify(name)}]`;
    const u = object(file, p, value);
    const ids = object(file, `${p}.identities`, u.identities);
    const workspaces = u.workspaces ?? [];
    if (!Array.isArray(workspaces)) fail(file, `${p}.workspaces`, 'an array', workspaces);
    const network = u.network ?? 'offline';
    if (network !== 'offline' && network !== 'online') fail(file, `${p}.network`, '"offline" or "online"', network);
    users[name] = {
      sid: sid(file, `${p}.sid`, u.sid),
      network,
      proxyPort: recordedProxyPort(file, `${p}.firewall`, u.firewall),
      identities: { offline: identity(file, `${p}.identities.offline`, ids.offline), online: identity(file, `${p}.identities.online`, ids.online) },
      workspaces: workspaces.map((w: unknown, i: number) => {
        const o = object(file, `${p}.workspaces[${i}]`, w);
        return { path: absolute(file, `${p}.workspaces[${i}].path`, o.path, flavour), capabilitySid: sid(file, `${p}.workspaces[${i}].capabilitySid`, o.capabilitySid) };
      }),
    };
  }
  let runner: WindowsMachineState['runner'] = null;
  if (root.runner !== undefined && root.runner !== null) {
    const r = object(file, '$.runner', root.runner);
    runner = { dir: absolute(file, '$.runner.dir', r.dir, flavour), node: absolute(file, '$.runner.node', r.node, flavour), entry: absolute(file, '$.runner.entry', r.entry, flavour) };
  }
  return { version: 1, users, runner };
}

export function parseWindowsCredentials(json: string, file: string): WindowsCredentials {
  const root = object(file, '$', parseJson(json, file));
  const entry = (kind: IdentityKind): StoredCredential => {
    const o = object(file, `$.${kind}`, root[kind]);
    const blob = text(file, `$.${kind}.protected`, o.protected);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) fail(file, `$.${kind}.protected`, 'base64', blob);
    return { user: text(file, `$.${kind}.user`, o.user), protected: blob };
  };
  return { offline: entry('offline'), online: entry('online') };
}

/** Windows paths compare case-insensitively, separators and trailing separators normalised (core/paths.ts). */
export const samePath = windowsPaths.samePath;

/** The real user whose offline or online identity has `identitySid`, and which one it is. */
export function ownerOfIdentity(
  state: WindowsMachineState,
  identitySid: string,
): { realUser: string; record: WindowsUserRecord; kind: IdentityKind } | undefined {
  for (const [realUser, record] of Object.entries(state.users)) {
    if (record.identities.offline.sid === identitySid) return { realUser, record, kind: 'offline' };
    if (record.identities.online.sid === identitySid) return { realUser, record, kind: 'online' };
  }
  return undefined;
}

/** The installation's path API: Windows', or POSIX for a test installation on Linux (Installation.pathPlatform). */
export function installationPaths(installation: Installation): typeof win32 {
  return installation.pathPlatform === 'posix' ? posix : win32;
}

/** `<stateDir>\\state.json`. */
export function windowsStateFile(installation: Installation): string {
  return installationPaths(installation).join(installation.stateDir, 'state.json');
}

/** Reads and parses `<stateDir>\\state.json`; a missing or unreadable file is `not_provisioned`. */
export function readWindowsState(installation: Installation): WindowsMachineState {
  const file = windowsStateFile(installation);
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CorralError('not_provisioned', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseWindowsState(json, file, installation.pathPlatform === 'posix' ? 'posix' : 'windows');
}

/** The state of a machine, read only once its folder and file are owned by Administrators or SYSTEM. */
export function readTrustedWindowsState(installation: Installation): WindowsMachineState {
  const file = windowsStateFile(installation);
  requireOwnedByAdministrators(installation.stateDir, file);
  return readWindowsState(installation);
}

/** requireTrustedOwners, with a missing file or folder reported as not provisioned. */
export function requireOwnedByAdministrators(...paths: string[]): void {
  try {
    requireTrustedOwners(...paths);
  } catch (err) {
    const code = (err as { details?: { win32Error?: number } }).details?.win32Error;
    if (code === 2 || code === 3) throw new CorralError('not_provisioned', `${paths.at(-1)} does not exist: Corral is not set up for this user; run \`corral setup\` first`);
    throw err;
  }
}
