/** The built-in lowest layer of the policy. */
import type { PlatformName } from '../../core/installation.js';
import type { Policy } from './schema.js';
import { DEFAULT_LIMITS } from '../../core/vocabulary.js';

/** Kept read-only inside every writable root (names are matched in each root). */
export const DEFAULT_PROTECTED = [
  '.git',
  '.corral',
  '.vscode',
  '.idea',
  '.mcp.json',
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.profile',
  '.zshrc',
  '.zprofile',
  '.zshenv',
] as const;

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
export function defaultPolicy(platform: PlatformName, cwd: string): Policy {
  return {
    mode: 'workspace-write',
    workspaces: [cwd],
    writableRoots: [],
    protected: [...DEFAULT_PROTECTED],
    denyRead: [...DEFAULT_DENY_READ],
    network: 'offline',
    loopback: platform === 'linux' ? 'private' : 'deny',
    env: { allow: [...DEFAULT_ENV_ALLOW], set: {} },
    limits: { ...DEFAULT_LIMITS },
  };
}
