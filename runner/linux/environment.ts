/**
 * The environment of one command. The client sends it already filtered by policy
 * (orchestrator/policy/env.ts: allowlist, `set`, secret-looking names dropped); the runner
 * adds what only it knows: HOME (the identity's home), TMPDIR (the session temp dir),
 * USER/LOGNAME (the identity), a default PATH, and git's safe.directory for the real user's
 * repositories through GIT_CONFIG_COUNT/KEY/VALUE (git refuses a repository owned by
 * another uid — "dubious ownership" — and the identity is another uid), and core.excludesFile
 * naming the session's file placeholders, so that `git add -A` in the session does not commit
 * an empty reserved `.env`. Pure.
 */

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface EnvironmentContext {
  home: string;
  tmpdir: string;
  identity: string;
  /** Directories git must trust (the workspace and writable roots). */
  safeDirectories: string[];
  /** core.excludesFile for the session's git: the file placeholders it must not add (placeholder-excludes.ts). */
  gitExcludes?: string | null;
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
  return env;
}
