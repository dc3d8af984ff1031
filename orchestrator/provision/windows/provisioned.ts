/**
 * What is provisioned for a real user on Windows (PlatformLeaf.provisioned): read from
 * %ProgramData%\<Corral>\state.json with the Windows parser (os/win32/machine-state.ts), the
 * same one the launcher and the runner use. Users are keyed by SID, never by bare name: the
 * state names users by account name, but `AzureAD\alice`, `DOMAIN\alice` and a local `alice`
 * are different accounts with one name, and only the SID tells them apart.
 */
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import { readWindowsState, type WindowsMachineState, type WindowsUserRecord } from '../../../os/win32/machine-state.js';
import type { ProvisionedUser, RealUser } from '../../platform.js';

/** The state's record of the real user with this SID, or undefined. Pure. */
export function windowsUserRecord(state: WindowsMachineState, realUser: RealUser): [string, WindowsUserRecord] | undefined {
  if (realUser.sid === undefined) throw new CorralError('internal', `no SID for ${realUser.name}: Windows users are looked up by SID`);
  return Object.entries(state.users).find(([, record]) => record.sid === realUser.sid);
}

/** The answer for one user from a parsed state. Pure (unit-tested). */
export function windowsProvisionedFrom(state: WindowsMachineState, realUser: RealUser): ProvisionedUser {
  const found = windowsUserRecord(state, realUser);
  return {
    runnerInstalled: state.runner !== null,
    user: found === undefined ? null : { workspaces: found[1].workspaces.map((w) => w.path), network: found[1].network },
  };
}

export function windowsProvisioned(installation: Installation, realUser: RealUser): ProvisionedUser {
  // readWindowsState: not_provisioned when the file is missing, state_corrupt when it does not parse.
  return windowsProvisionedFrom(readWindowsState(installation), realUser);
}
