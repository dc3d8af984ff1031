/**
 * The real user's git identity for sessions: `user.name` and `user.email` of their global git
 * config, and nothing else from it. Read by the client, as the real user, with the machine's
 * git (it follows the user's `include` and XDG files exactly as their own git would): argv is
 * fixed data, the working directory is `/` (no repository's config is consulted), and the
 * answer is NUL-separated (`-z`), so a value is taken as it is. A value that is empty, longer
 * than 256 characters, or holds a line break or NUL is dropped; a missing git, a missing config
 * or a slow git (2 s) means no identity. The runner sets the values as GIT_AUTHOR_* and
 * GIT_COMMITTER_* (runner/linux/environment.ts), which is how commits made in the session carry
 * the real user's name instead of the identity's `user@host`.
 */
import { execFile } from 'node:child_process';
import type { SessionRequest } from '../../core/protocol.js';

export type GitIdentity = NonNullable<SessionRequest['gitIdentity']>;

const MAX_FIELD = 256;
const TIMEOUT_MS = 2000;

/** Parse `git config -z --get-regexp` output: `key\nvalue\0` records; the last value of a key wins, as in git. */
export function parseGitIdentity(output: string): GitIdentity {
  const identity: GitIdentity = {};
  for (const record of output.split('\0')) {
    const nl = record.indexOf('\n');
    if (nl < 0) continue;
    const key = record.slice(0, nl).toLowerCase();
    const value = record.slice(nl + 1);
    if (value.length === 0 || value.length > MAX_FIELD || /[\0\n\r]/.test(value)) continue;
    if (key === 'user.name') identity.name = value;
    else if (key === 'user.email') identity.email = value;
  }
  return identity;
}

/**
 * The identity of `user`, or `{}` when there is none (never throws). When this process is root
 * acting for another user (`sudo corral run`), git runs as that user with their HOME, so that it
 * reads their global config, never root's.
 */
export function readGitIdentity(user: { home: string; uid?: number; gid?: number }): Promise<GitIdentity> {
  const asOther = process.getuid?.() === 0 && user.uid !== undefined && user.uid !== 0;
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: user.home };
  if (asOther) {
    // Root's own pointers to config files are not the user's.
    for (const name of ['XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_SYSTEM']) delete env[name];
  }
  return new Promise((resolve) => {
    try {
      execFile(
        'git',
        ['config', '--global', '-z', '--get-regexp', '^user\\.(name|email)$'],
        {
          cwd: '/',
          env,
          timeout: TIMEOUT_MS,
          maxBuffer: 64 * 1024,
          encoding: 'utf8',
          windowsHide: true,
          ...(asOther ? { uid: user.uid, gid: user.gid ?? user.uid } : {}),
        },
        (_err, stdout) => resolve(parseGitIdentity(typeof stdout === 'string' ? stdout : '')),
      );
    } catch {
      resolve({});
    }
  });
}
