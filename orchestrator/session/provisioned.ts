/**
 * Is this real user, and this workspace, provisioned? Answered before a runner is started, so
 * that the common mistake gets exit 3 and the command to run. The runner checks again (as root
 * on Linux, as the identity against the Administrators-owned state on Windows) and is the
 * authority; this is only the early, friendly answer.
 *
 * What is provisioned for a user is the platform leaf's to say (`PlatformLeaf.provisioned`):
 * each platform reads its own state file with its own parser (Linux: `linuxProvisioned`
 * below, over core/state.ts; Windows: provision/windows/provisioned.ts, over
 * os/win32/machine-state.ts, keyed by the user's SID). Here, the decisions on that answer,
 * with the host's path rules (case-insensitive on Windows).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { nativePaths, type PathRules } from '../../core/paths.js';
import { STATE_VERSION, type MachineState } from '../../core/state.js';
import type { ProvisionedUser, RealUser } from '../platform.js';

export function stateFile(installation: Installation): string {
  return path.join(installation.stateDir, 'state.json');
}

/** Linux: the state, or null when it cannot be read for a reason other than absence (the runner decides then). */
export function readStateForSession(installation: Installation): MachineState | null {
  const file = stateFile(installation);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CorralError('not_provisioned', `Corral is not set up on this machine (${file} does not exist): run \`sudo corral setup\` first.`, {
        details: { file },
      });
    }
    return null;
  }
  let state: MachineState;
  try {
    state = JSON.parse(text) as MachineState;
  } catch (err) {
    throw new CorralError('state_corrupt', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  if (state.version !== STATE_VERSION) {
    throw new CorralError('state_corrupt', `${file} has version ${JSON.stringify(state.version)}; this corral reads version ${STATE_VERSION}`, {
      details: { file },
    });
  }
  return state;
}

/** Linux: what the state records for `user` (by name), null when the state can't be read. */
export function linuxProvisioned(installation: Installation, user: RealUser): ProvisionedUser | null {
  const state = readStateForSession(installation);
  if (state === null) return null;
  const record = state.users?.[user.name];
  return {
    runnerInstalled: state.runner !== null,
    user: record === undefined ? null : { workspaces: Object.keys(record.workspaces ?? {}), network: record.network },
  };
}

/** What the hint may know of the workspace: the real user's home, and whether the user owns the directory. */
export interface HintContext {
  home?: string;
  /** Asked only when a hint is written (never on the path of a provisioned workspace). */
  ownedByUser?: boolean | (() => boolean | undefined);
  rules?: PathRules;
}

const SHARED_PLACES = ['/', '/tmp', '/var/tmp', '/dev/shm', '/run', '/etc', '/usr', '/var', '/opt', '/srv', '/home', '/root'];

/**
 * Why `workspace` must not be suggested for provisioning, or null when it may: a shared or system
 * place, the whole home (or above it), or a directory someone else owns. A remedy that names one
 * of those would grant a sandbox the user's secrets or other people's files.
 */
export function unsuitableWorkspace(workspace: string, ctx: HintContext = {}): string | null {
  const rules = ctx.rules ?? nativePaths;
  if (SHARED_PLACES.some((p) => rules.samePath(p, workspace)) || /^[a-z]:\\?$/i.test(workspace)) return `${workspace} is a shared or system directory`;
  if (ctx.home !== undefined && rules.within(ctx.home, workspace)) return `${workspace} is your whole home${rules.samePath(ctx.home, workspace) ? '' : ' or above it'}`;
  const owned = typeof ctx.ownedByUser === 'function' ? ctx.ownedByUser() : ctx.ownedByUser;
  if (owned === false) return `${workspace} belongs to another user`;
  return null;
}

function setupHint(user: string, workspace: string, ctx: HintContext = {}): string {
  const why = unsuitableWorkspace(workspace, ctx);
  if (why !== null) {
    return `${why}, which Corral should not make a workspace; cd into one of your project directories (or pass --workspace DIR), and provision it with \`sudo corral setup --user ${user} --workspace DIR\``;
  }
  return `run \`sudo corral setup --user ${user} --workspace ${workspace}\` first`;
}

/** The user's record, or not_provisioned naming what to run. */
export function userRecordFor(provisioned: ProvisionedUser, realUser: string, workspace: string, ctx: HintContext = {}): NonNullable<ProvisionedUser['user']> {
  if (!provisioned.runnerInstalled) {
    throw new CorralError('not_provisioned', `the session runner is not installed: ${setupHint(realUser, workspace, ctx)}`);
  }
  if (provisioned.user === null) {
    throw new CorralError('not_provisioned', `user ${realUser} is not provisioned for Corral sessions: ${setupHint(realUser, workspace, ctx)}`, {
      details: { user: realUser },
    });
  }
  return provisioned.user;
}

/**
 * The provisioned workspace a session for `dir` opens: `dir` itself, else the innermost
 * provisioned workspace containing it (so `corral run` works from a subdirectory); null if none.
 * Returned as the state spells it (the runner matches that spelling).
 */
export function provisionedWorkspaceFor(record: NonNullable<ProvisionedUser['user']>, dir: string, rules: PathRules = nativePaths): string | null {
  const containing = record.workspaces.filter((w) => rules.within(dir, w));
  return containing.sort((a, b) => b.length - a.length)[0] ?? null;
}

/**
 * The workspace a command started in `dir` uses when none is named: the provisioned workspace
 * `dir` is in (the innermost), else `dir` itself. `corral run`, `corral sh`, `corral mcp` (through
 * openSession) and `corral policy show` resolve it the same way, so they read the same layers
 * from a subdirectory. Never throws: an unprovisioned user simply gets `dir`.
 */
export function defaultWorkspace(provisioned: ProvisionedUser | null, dir: string, rules: PathRules = nativePaths): string {
  const record = provisioned !== null && provisioned.runnerInstalled ? provisioned.user : null;
  return record === null ? dir : (provisionedWorkspaceFor(record, dir, rules) ?? dir);
}

/** not_provisioned unless `workspace` is exactly one the user was provisioned for (the runner requires that). */
export function checkProvisioned(
  provisioned: ProvisionedUser,
  realUser: string,
  workspace: string,
  rules: PathRules = nativePaths,
  ctx: HintContext = {},
): NonNullable<ProvisionedUser['user']> {
  const hint = { rules, ...ctx };
  const record = userRecordFor(provisioned, realUser, workspace, hint);
  if (!record.workspaces.some((w) => rules.samePath(w, workspace))) {
    throw new CorralError(
      'not_provisioned',
      `workspace ${workspace} is not provisioned for ${realUser} (provisioned: ${record.workspaces.join(', ') || 'none'}): ${setupHint(realUser, workspace, hint)}`,
      { details: { user: realUser, workspace, provisioned: record.workspaces } },
    );
  }
  return record;
}
