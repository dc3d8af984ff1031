/**
 * Read the installation's machine state (written by provisioning) as the runner's root phase:
 * only from a root-owned, locked-down file, since whoever could write it could map a real
 * user to any account.
 */
import { readFileSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { STATE_VERSION, type MachineState, type UserRecord } from '../../core/state.js';
import { firstUnsafeAncestor } from './root-owned.js';

export function stateFilePath(installation: Installation): string {
  return `${installation.stateDir}/state.json`;
}

export function readMachineState(installation: Installation): MachineState {
  const file = stateFilePath(installation);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CorralError('not_provisioned', `installation ${installation.name} is not provisioned: ${file} does not exist`);
    }
    throw new CorralError('state_corrupt', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const unsafe = firstUnsafeAncestor(file);
  if (unsafe !== null) throw new CorralError('state_corrupt', `refusing to trust ${file}: ${unsafe.path} ${unsafe.reason}`);
  let state: MachineState;
  try {
    state = JSON.parse(text) as MachineState;
  } catch (err) {
    throw new CorralError('state_corrupt', `${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof state !== 'object' || state === null || state.version !== STATE_VERSION || typeof state.users !== 'object' || state.users === null) {
    throw new CorralError('state_corrupt', `${file}: unknown state version ${JSON.stringify((state as { version?: unknown } | null)?.version)} (expected ${STATE_VERSION})`);
  }
  return state;
}

/** The record of `realUser`, or not_provisioned naming `corral setup`. */
export function userRecord(state: MachineState, installation: Installation, realUser: string): UserRecord {
  const record = Object.prototype.hasOwnProperty.call(state.users, realUser) ? state.users[realUser] : undefined;
  if (record === undefined) {
    throw new CorralError('not_provisioned', `user ${realUser} has no sandbox identities in installation ${installation.name}; run \`sudo corral setup --user ${realUser}\``);
  }
  return record;
}
