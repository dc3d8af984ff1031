/**
 * Checking what a caller asks a command to be: argv, cwd, environment, timeout. Pure except
 * for resolving symlinks in cwd. The runner checks cwd again (it trusts nothing from here);
 * this side exists to give the caller a clear error before anything starts.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import { filterEnvironment, looksSecret, type EnvPolicy } from '../policy/env.js';
import { nativePaths } from '../../core/paths.js';

export function checkArgv(argv: readonly string[]): string[] {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new CorralError('usage', 'no command given: pass the command and its arguments, e.g. `corral run -- make test`');
  }
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string') throw new CorralError('usage', `argv[${i}] is not a string`);
    if (arg.includes('\0')) throw new CorralError('usage', `argv[${i}] contains a NUL byte`);
  });
  if (argv[0] === '') throw new CorralError('usage', 'the command name (argv[0]) is empty');
  return [...argv];
}

export function isInside(root: string, candidate: string): boolean {
  return nativePaths.within(candidate, root);
}

/**
 * Where a front door (`corral run`, `corral mcp`) starts a command that names no cwd: the
 * directory the front door was started in when it is inside the workspace, else the workspace.
 */
export function startingCwd(workspace: string, here: string = process.cwd()): string {
  return isInside(workspace, here) ? here : workspace;
}

/**
 * The command's working directory: `cwd` (absolute, or relative to the workspace), symlinks
 * resolved when it exists, and inside the workspace — else cwd_outside_workspace.
 */
export function resolveCwd(workspace: string, cwd: string | undefined): string {
  if (cwd === undefined) return workspace;
  if (typeof cwd !== 'string' || cwd === '' || cwd.includes('\0')) throw new CorralError('usage', `cwd must be a non-empty path; found ${JSON.stringify(cwd)}`);
  const absolute = path.resolve(workspace, cwd);
  let canonical = absolute;
  try {
    canonical = realpathSync(absolute);
  } catch {
    // Missing: judged by its path; the runner reports that it does not exist.
  }
  if (!isInside(workspace, canonical)) {
    throw new CorralError('cwd_outside_workspace', `cwd ${canonical} is outside the workspace ${workspace}`, {
      details: { cwd: canonical, workspace },
    });
  }
  return canonical;
}

/** Per-command extras: secret-looking names pass only when the policy allows them by exact name. */
export function commandEnvironment(base: Record<string, string>, extra: Readonly<Record<string, string>> | undefined, policy: EnvPolicy): Record<string, string> {
  if (extra === undefined) return base;
  const out = { ...base };
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new CorralError('usage', `env.${name} must be a string`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CorralError('usage', `env: ${JSON.stringify(name)} is not a variable name`);
    if (looksSecret(name) && !policy.allow.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The environment commands of a session start from. */
export function sessionEnvironment(
  source: Readonly<Record<string, string | undefined>>,
  policy: EnvPolicy,
  options: { ignoreCase?: boolean } = {},
): Record<string, string> {
  return filterEnvironment(source, policy, options);
}

/** Timeout in ms: the policy's limit by default; a caller may ask for less, never more. */
export function timeoutMs(requestedSec: number | undefined, limitSec: number): number {
  if (requestedSec === undefined) return limitSec * 1000;
  if (typeof requestedSec !== 'number' || !Number.isFinite(requestedSec) || requestedSec <= 0) {
    throw new CorralError('usage', `timeoutSec must be a positive number; found ${JSON.stringify(requestedSec)}`);
  }
  if (requestedSec > limitSec) {
    throw new CorralError('usage', `timeoutSec ${requestedSec} exceeds the policy's limits.timeoutSec ${limitSec}`, {
      details: { requested: requestedSec, limit: limitSec },
    });
  }
  return Math.round(requestedSec * 1000);
}
