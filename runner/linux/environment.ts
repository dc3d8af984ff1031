/**
 * The environment of one command. The client sends it already filtered by policy
 * (orchestrator/policy/env.ts: allowlist, `set`, secret-looking names dropped); the runner
 * adds what only it knows: HOME (the identity's home), TMPDIR (the session temp dir),
 * USER/LOGNAME (the identity), a default PATH, and git's safe.directory for the real user's
 * repositories through GIT_CONFIG_COUNT/KEY/VALUE (git refuses a repository owned by
 * another uid — "dubious ownership" — and the identity is another uid), and core.excludesFile
 * naming the session's file placeholders, so that `git add -A` in the session does not commit
 * an empty reserved `.env`. CORRAL_NETWORK says which network the session has (offline, online,
 * allowlist), and an offline session tells the package managers that have a setting for it
 * (OFFLINE_ENV: npm, pip, cargo) that they are offline, so they answer from their cache or
 * fail at once with their own message instead of retrying a network that is not there. The
 * real user's git identity (the request's gitIdentity: user.name and user.email of their
 * global config, read by the client) becomes GIT_AUTHOR_NAME/EMAIL and GIT_COMMITTER_NAME/EMAIL,
 * unless the environment already sets them (an env.set of the user's). Pure.
 */

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The session's network as commands see it in CORRAL_NETWORK. */
export type SessionNetwork = 'offline' | 'online' | 'allowlist';

/**
 * Offline sessions: each package manager's own "offline" setting, as an environment variable.
 * npm `offline` (npm_config_*: no network request, cache only; npm would otherwise retry
 * EAI_AGAIN for about 70 s), pip `--no-index` (PIP_*: no package index, only --find-links),
 * cargo `net.offline` (CARGO_NET_OFFLINE).
 */
export const OFFLINE_ENV: Readonly<Record<string, string>> = { npm_config_offline: 'true', PIP_NO_INDEX: '1', CARGO_NET_OFFLINE: 'true' };

export interface EnvironmentContext {
  home: string;
  tmpdir: string;
  identity: string;
  /** Directories git must trust (the workspace and writable roots). */
  safeDirectories: string[];
  /** core.excludesFile for the session's git: the file placeholders it must not add (placeholder-excludes.ts). */
  gitExcludes?: string | null;
  /** The session's network (CORRAL_NETWORK); absent: not set. */
  network?: SessionNetwork;
  /** The real user's git identity (one line each, shape-checked: core/request-shape.ts). */
  gitIdentity?: { name?: string; email?: string };
}

export function commandEnvironment(fromClient: Readonly<Record<string, string>>, ctx: EnvironmentContext): Record<string, string> {
  const env: Record<string, string> = { ...fromClient };
  env.HOME = ctx.home;
  env.TMPDIR = ctx.tmpdir;
  env.USER = ctx.identity;
  env.LOGNAME = ctx.identity;
  if (env.PATH === undefined || env.PATH === '') env.PATH = DEFAULT_PATH;
  const existing = Number(env.GIT_CONFIG_COUNT ?? '0');
  let count = Number.isInteger(existing) && existing >= 0 ? existing : 0;
  for (const dir of ctx.safeDirectories) {
    env[`GIT_CONFIG_KEY_${count}`] = 'safe.directory';
    env[`GIT_CONFIG_VALUE_${count}`] = dir;
    count += 1;
  }
  if (ctx.gitExcludes !== undefined && ctx.gitExcludes !== null) {
    env[`GIT_CONFIG_KEY_${count}`] = 'core.excludesFile';
    env[`GIT_CONFIG_VALUE_${count}`] = ctx.gitExcludes;
    count += 1;
  }
  env.GIT_CONFIG_COUNT = String(count);
  const { name, email } = ctx.gitIdentity ?? {};
  for (const [variable, value] of [
    ['GIT_AUTHOR_NAME', name],
    ['GIT_COMMITTER_NAME', name],
    ['GIT_AUTHOR_EMAIL', email],
    ['GIT_COMMITTER_EMAIL', email],
  ] as const) {
    if (value !== undefined && env[variable] === undefined) env[variable] = value;
  }
  if (ctx.network !== undefined) {
    env.CORRAL_NETWORK = ctx.network;
    if (ctx.network === 'offline') Object.assign(env, OFFLINE_ENV);
  }
  return env;
}
