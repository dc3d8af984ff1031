/**
 * Is this real user, and this workspace, provisioned? Read from the machine state file
 * (`<stateDir>/state.json`, world-readable, written only by `corral setup`) before a runner is
 * started, so that the common mistake gets exit 3 and the command to run. The runner checks
 * again as root and is the authority; this is only the early, friendly answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { STATE_VERSION, type MachineState, type UserRecord } from '../../core/state.js';
import { isInside } from './command-input.js';

export function stateFile(installation: Installation): string {
  return path.join(installation.stateDir, 'state.json');
}

/** The state, or null when it cannot be read for a reason other than absence (the runner decides then). */
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

function setupHint(user: string, workspace: string): string {
  return `run \`sudo corral setup --user ${user} --workspace ${workspace}\` first`;
}

/** The user's record, or not_provisioned naming what to run. */
export function userRecordFor(state: MachineState, realUser: string, workspace: string): UserRecord {
  if (state.runner === null) {
    throw new CorralError('not_provisioned', `the session runner is not installed: ${setupHint(realUser, workspace)}`);
  }
  const record = state.users?.[realUser];
  if (record === undefined) {
    throw new CorralError('not_provisioned', `user ${realUser} is not provisioned for Corral sessions: ${setupHint(realUser, workspace)}`, {
      details: { user: realUser },
    });
  }
  return record;
}

/**
 * The provisioned workspace a session for `dir` opens: `dir` itself, else the innermost
 * provisioned workspace containing it (so `corral run` works from a subdirectory); null if none.
 */
export function provisionedWorkspaceFor(record: UserRecord, dir: string): string | null {
  const containing = Object.keys(record.workspaces ?? {}).filter((w) => isInside(w, dir));
  return containing.sort((a, b) => b.length - a.length)[0] ?? null;
}

/** not_provisioned unless `workspace` is exactly one the user was provisioned for (the runner requires that). */
export function checkProvisioned(state: MachineState, realUser: string, workspace: string): UserRecord {
  const record = userRecordFor(state, realUser, workspace);
  const granted = Object.keys(record.workspaces ?? {});
  if (!granted.includes(workspace)) {
    throw new CorralError(
      'not_provisioned',
      `workspace ${workspace} is not provisioned for ${realUser} (provisioned: ${granted.join(', ') || 'none'}): ${setupHint(realUser, workspace)}`,
      { details: { user: realUser, workspace, provisioned: granted } },
    );
  }
  return record;
}
