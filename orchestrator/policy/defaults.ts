/** The built-in lowest layer of the policy. */
import { defaultProtectedNames } from '../../core/protected-names.js';
import type { PlatformName } from '../../core/installation.js';
import type { Policy } from './schema.js';
import { DEFAULT_LIMITS } from '../../core/vocabulary.js';

/**
 * Kept read-only inside every writable root (names are matched in each root): the shared
 * list in core/protected-names.ts, with the installation's own workspace config directory.
 */
export function defaultProtected(installationName: string): string[] {
  return defaultProtectedNames(installationName);
}

/** Secrets the identity may not read (relative to the real user's home). */
export const DEFAULT_DENY_READ = [
  '~/.ssh',
  '~/.gnupg',
  '~/.aws',
  '~/.azure',
  '~/.kube',
  '~/.docker',
  '~/.config/gh',
  '~/.npmrc',
  '~/.netrc',
] as const;

/** Variables passed through from the caller by default (a trailing * matches a prefix). */
export const DEFAULT_ENV_ALLOW = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TERM',
  'COLORTERM',
  'TZ',
  'NO_COLOR',
  'FORCE_COLOR',
  'CI',
] as const;

export { DEFAULT_LIMITS };

/** Defaults before `~` is expanded and before the workspace (cwd) is filled in. */
export function defaultPolicy(platform: PlatformName, cwd: string, installationName: string): Policy {
  return {
    mode: 'workspace-write',
    workspaces: [cwd],
    writableRoots: [],
    protected: defaultProtected(installationName),
    denyRead: [...DEFAULT_DENY_READ],
    network: 'offline',
    loopback: platform === 'linux' ? 'private' : 'deny',
    env: { allow: [...DEFAULT_ENV_ALLOW], set: {} },
    limits: { ...DEFAULT_LIMITS },
  };
}
