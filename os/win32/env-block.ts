/**
 * The environment block a command gets on Windows. Pure; unit-tested on every OS.
 *
 * The variables themselves are chosen by the same policy as on Linux: the orchestrator filters
 * the caller's environment with orchestrator/policy/env.ts (`filterEnvironment`: allowlist,
 * secret-looking names dropped unless allowed by exact name, `set` wins) and sends the result
 * in the spawn request (on Windows the allowlist matches names case-insensitively, so the
 * caller's `Path` passes as PATH would). The runner then adds what it owns — the workspace's
 * own profile for the identity (runner/windows/workspace-profile.ts) as HOME/USERPROFILE and
 * HOMEDRIVE+HOMEPATH, its APPDATA and LOCALAPPDATA, the session temp directory (in that
 * profile) as TEMP/TMP/TMPDIR — and the handful of variables Windows programs cannot start without
 * (SystemRoot, windir, ComSpec, PATHEXT…), taken from the runner's own machine facts (known
 * folders of its account, backend.ts), never from the request.
 *
 * Encoding (CreateProcess with CREATE_UNICODE_ENVIRONMENT): `NAME=value\0` entries in UTF-16LE,
 * sorted by name case-insensitively (as Windows keeps its own blocks; some programs binary-
 * search it), the block ending in an extra `\0`. Names are case-insensitive on Windows, so two
 * names that differ only in case are one variable: the later one wins.
 */
import { proxyEnvironment } from '../../core/proxy/environment.js';

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/** Machine facts the runner supplies for every command. */
export interface WindowsSessionEnv {
  /** The workspace's profile directory for the identity (USERPROFILE, HOME; HOMEDRIVE + HOMEPATH when it is on a drive). */
  home: string;
  /** The workspace profile's roaming and local application data folders (APPDATA, LOCALAPPDATA). */
  appData?: string;
  localAppData?: string;
  /** The session's private temp directory (TEMP, TMP, TMPDIR). */
  tmpdir: string;
  /** %SystemRoot% of the runner (e.g. C:\Windows). */
  systemRoot: string;
  /** The identity's account name (USERNAME). */
  identity?: string;
  /**
   * Directories git must trust: git refuses a repository owned by another account ("dubious
   * ownership"), and the identity is another account. Passed as GIT_CONFIG_COUNT/KEY/VALUE,
   * as on Linux, with forward slashes (git's own spelling of Windows paths).
   */
  safeDirectories?: readonly string[];
  /**
   * Allowlist sessions: the loopback port of the filtering proxy (the installation's, from the
   * machine state). Its variables (core/proxy/environment.ts) are owned by the runner: set
   * after the request's, so a request cannot point them elsewhere.
   */
  proxyPort?: number;
}

/** GIT_CONFIG_* entries adding safe.directory for each directory, after any the request set. */
function gitSafeDirectories(env: Readonly<Record<string, string>>, dirs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const existing = Number(Object.entries(env).find(([k]) => k.toUpperCase() === 'GIT_CONFIG_COUNT')?.[1] ?? '0');
  let count = Number.isInteger(existing) && existing >= 0 ? existing : 0;
  for (const dir of dirs) {
    out[`GIT_CONFIG_KEY_${count}`] = 'safe.directory';
    out[`GIT_CONFIG_VALUE_${count}`] = dir.replaceAll('\\', '/');
    count += 1;
  }
  out.GIT_CONFIG_COUNT = String(count);
  return out;
}

/** Merge `base` and `overrides` with Windows' case-insensitive names; later keys win, keeping their spelling. */
export function mergeCaseInsensitive(...layers: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const byUpper = new Map<string, [string, string]>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) byUpper.set(name.toUpperCase(), [name, value]);
  }
  return Object.fromEntries([...byUpper.values()]);
}

/** The full environment of one command: the request's variables plus what the runner owns. */
export function commandEnvironment(requested: Readonly<Record<string, string>>, session: WindowsSessionEnv): Record<string, string> {
  const systemDrive = /^[A-Za-z]:/.test(session.systemRoot) ? session.systemRoot.slice(0, 2) : 'C:';
  const defaults: Record<string, string> = {
    SystemRoot: session.systemRoot,
    windir: session.systemRoot,
    SystemDrive: systemDrive,
    ComSpec: `${session.systemRoot}\\System32\\cmd.exe`,
    PATHEXT: '.COM;.EXE;.BAT;.CMD',
    PATH: `${session.systemRoot}\\System32;${session.systemRoot};${session.systemRoot}\\System32\\Wbem`,
  };
  // Owned by the runner: a request can't point HOME or TEMP elsewhere, nor swap SystemRoot.
  const owned: Record<string, string> = {
    SystemRoot: session.systemRoot,
    windir: session.systemRoot,
    ComSpec: defaults.ComSpec!,
    USERPROFILE: session.home,
    HOME: session.home,
    // cmd's and older tools' spelling of the home (git falls back to it without HOME).
    ...(/^[A-Za-z]:\\/.test(session.home) ? { HOMEDRIVE: session.home.slice(0, 2), HOMEPATH: session.home.slice(2) } : {}),
    ...(session.appData === undefined ? {} : { APPDATA: session.appData }),
    ...(session.localAppData === undefined ? {} : { LOCALAPPDATA: session.localAppData }),
    TEMP: session.tmpdir,
    TMP: session.tmpdir,
    TMPDIR: session.tmpdir,
    ...(session.identity === undefined ? {} : { USERNAME: session.identity }),
  };
  const git = session.safeDirectories?.length ? gitSafeDirectories(requested, session.safeDirectories) : {};
  const proxy = session.proxyPort === undefined ? {} : proxyEnvironment(session.proxyPort);
  return mergeCaseInsensitive(defaults, requested, owned, git, proxy);
}

function checkEntry(name: string, value: string): void {
  if (name.length === 0) throw new EnvironmentError('an environment variable has an empty name');
  // `=` ends the name in the block; names starting with `=` are cmd's hidden per-drive cwds.
  if (name.includes('=')) throw new EnvironmentError(`environment variable name ${JSON.stringify(name)} contains "="`);
  if (name.includes('\0') || value.includes('\0')) {
    throw new EnvironmentError(`environment variable ${JSON.stringify(name)} contains a NUL character`);
  }
}

/** Windows' order for environment blocks: ordinal comparison of the upper-cased names. */
export function compareNames(a: string, b: string): number {
  const ua = a.toUpperCase();
  const ub = b.toUpperCase();
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** The sorted `NAME=value` entries (after case-insensitive de-duplication). */
export function environmentEntries(env: Readonly<Record<string, string>>): string[] {
  const merged = mergeCaseInsensitive(env);
  const names = Object.keys(merged).sort(compareNames);
  return names.map((name) => {
    const value = merged[name]!;
    checkEntry(name, value);
    return `${name}=${value}`;
  });
}

/** The UTF-16LE block for CreateProcess(…, CREATE_UNICODE_ENVIRONMENT, lpEnvironment, …). */
export function encodeEnvironmentBlock(env: Readonly<Record<string, string>>): Buffer {
  const entries = environmentEntries(env);
  // An empty block is still two NULs: one ending the (absent) last entry, one ending the block.
  const text = entries.length === 0 ? '\0\0' : `${entries.join('\0')}\0\0`;
  return Buffer.from(text, 'utf16le');
}

/** Parse a block back (tests, diagnostics). */
export function decodeEnvironmentBlock(block: Buffer): Record<string, string> {
  const text = block.toString('utf16le');
  if (!text.endsWith('\0\0')) throw new EnvironmentError('environment block does not end with two NULs');
  const out: Record<string, string> = {};
  for (const entry of text.slice(0, -2).split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=', 1);
    if (eq < 0) throw new EnvironmentError(`environment entry ${JSON.stringify(entry)} has no "="`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}
