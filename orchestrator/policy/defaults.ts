/** The built-in lowest layer of the policy. */
import { defaultProtectedNames } from '../../core/protected-names.js';
import type { PlatformName } from '../../core/installation.js';
import type { Policy } from './schema.js';
import { totalmem } from 'node:os';
import { DEFAULT_HOME_BYTES, DEFAULT_LIMITS, defaultMemoryBytes } from '../../core/vocabulary.js';

/**
 * Kept read-only inside every writable root (names are matched in each root): the shared
 * list in core/protected-names.ts, with the installation's own workspace config directory.
 */
export function defaultProtected(installationName: string): string[] {
  return defaultProtectedNames(installationName);
}

import { DEFAULT_DENY_READ, DEFAULT_ENV_ALLOW, DEFAULT_READ_ROOTS } from '../../core/policy/defaults.js';

export { DEFAULT_DENY_READ, DEFAULT_ENV_ALLOW, DEFAULT_READ_ROOTS };

export { DEFAULT_LIMITS };

/**
 * How long a kept session stays after its last command (policy `session.idleSec`). 0 (none kept) by
 * default for now, where issue 16 asks for 600: a session does some of its guarantees at close —
 * the reaper removes the reserved names (a `git init` right after `corral run` must not find a
 * placeholder `.git`), a gitlink the session added is moved aside, teardown and remove-workspace
 * find no identity process — and a kept session would delay each of them by up to idleSec. Until
 * those run per command, reuse is opted into with `session.idleSec` in a layer (README design notes).
 */
export const DEFAULT_SESSION_IDLE_SEC = 0;

/** Defaults before `~` is expanded and before the workspace (cwd) is filled in. */
export function defaultPolicy(platform: PlatformName, cwd: string, installationName: string): Policy {
  return {
    mode: 'workspace-write',
    workspaces: [cwd],
    writableRoots: [],
    readRoots: [...DEFAULT_READ_ROOTS],
    protected: defaultProtected(installationName),
    denyRead: [...DEFAULT_DENY_READ],
    network: 'offline',
    loopback: platform === 'linux' ? 'private' : 'deny',
    publish: [],
    env: { allow: [...DEFAULT_ENV_ALLOW], set: {} },
    limits: { ...DEFAULT_LIMITS, memoryBytes: defaultMemoryBytes(totalmem()), homeBytes: DEFAULT_HOME_BYTES },
    shell: 'sh',
    git: 'read',
    session: { idleSec: DEFAULT_SESSION_IDLE_SEC },
  };
}
