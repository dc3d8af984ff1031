/**
 * Which SIDs a session's command token is restricted to, and which SIDs its default DACL
 * names. Pure; unit-tested on every OS (test/unit/windows-token-sids.test.ts). token.ts reads
 * the facts (the runner's logon SID) and makes the token from this decision.
 *
 * Threat model. The runner runs as the sandbox identity, unrestricted; every command runs
 * with a WRITE_RESTRICTED token made from the runner's. A write then needs two access checks
 * to pass: the normal one (the identity and its groups) and a second one using only the
 * restricting SIDs. Whatever a restricting SID may write, a command may write wherever the
 * identity may too. So a restricting SID must never be one that owns things outside the
 * workspace:
 *  - never the identity SID: the identity owns its HKCU (HKCU\Environment → NODE_OPTIONS
 *    runs code in the next, unrestricted, runner), its profile, and the runner process itself
 *    (PROCESS_VM_WRITE/CREATE_THREAD on it = unrestricted identity code). With the identity SID
 *    restricting, a command could write all three;
 *  - never a group the identity shares with other principals (Users, Authenticated Users,
 *    INTERACTIVE, the user's own group): folders such as %ProgramData% grant them writes.
 *
 * What remains, and why each is needed:
 *  - the capability SID of each writable root: the workspace grants name it (and the user's
 *    group for the normal check), so commands write exactly the granted roots;
 *  - the session's logon SID (CreateProcessWithLogonW makes a fresh logon per session, so it
 *    names this session only): objects of the session itself — the private desktop
 *    (desktop.ts), the session temp directory, and what commands create without an inherited
 *    ACL (the default DACL below: pipes between a command's processes, its child processes);
 *  - Everyone (S-1-1-0): the NUL device (`\\.\NUL`, `> nul`, git's null device, stdio
 *    'ignore') and the console grant writes to Everyone and to no narrower SID a token can
 *    hold. With WRITE_RESTRICTED, Everyone as a restricting SID widens writes only to objects
 *    whose DACL grants Everyone write AND that the identity may write anyway; the identity's
 *    HKCU, its profile, the runner process and the real user's files grant Everyone no write.
 *    (Codex's sandbox restricts to capability + logon SID + Everyone for the same reason.)
 *  - Reads are not checked against restricting SIDs at all with WRITE_RESTRICTED (that is
 *    what the flag means), so no SID is added for reads: read access is the normal check's.
 */
import { CorralError } from '../../core/errors.js';
import { isSidString } from '../../os/win32/sid.js';

export const EVERYONE_SID = 'S-1-1-0';
export const SYSTEM_SID = 'S-1-5-18';

/** SIDs that must never restrict a command token (see the file comment). */
const NEVER_RESTRICTING: ReadonlyMap<string, string> = new Map([
  ['S-1-5-32-545', 'BUILTIN\\Users'],
  ['S-1-5-11', 'Authenticated Users'],
  ['S-1-5-4', 'INTERACTIVE'],
  ['S-1-5-32-544', 'BUILTIN\\Administrators'],
  ['S-1-5-18', 'SYSTEM'],
  ['S-1-5-2', 'NETWORK'],
  ['S-1-5-6', 'SERVICE'],
  ['S-1-3-0', 'CREATOR OWNER'],
  ['S-1-3-4', 'OWNER RIGHTS'],
]);

/** A logon SID: S-1-5-5-X-Y (SECURITY_LOGON_IDS_RID). */
export function isLogonSid(sid: string): boolean {
  return /^S-1-5-5-\d+-\d+$/.test(sid);
}

export interface CommandTokenSidInputs {
  /** The identity's user SID (the runner's TokenUser). */
  identitySid: string;
  /** The runner's logon SID (TokenGroups entry with SE_GROUP_LOGON_ID). */
  logonSid: string;
  /** Capability SIDs of this session's writable roots, from the machine state (may be empty: read-only). */
  capabilitySids: readonly string[];
}

export interface CommandTokenSids {
  /** Restricting SIDs, in this order: capability SIDs, logon SID, Everyone. */
  restricting: string[];
  /** SIDs granted GENERIC_ALL by the token's default DACL. */
  defaultDacl: string[];
}

function refuse(message: string): never {
  throw new CorralError('runner_failed', `command token: ${message}`);
}

/**
 * The restricting SIDs and default DACL of a session's command token. Refuses (runner_failed)
 * any input that would let a command write outside its session: the identity SID or a
 * shared group among the capability SIDs, a logon SID that is not one.
 */
export function commandTokenSids(inputs: CommandTokenSidInputs): CommandTokenSids {
  const { identitySid, logonSid } = inputs;
  if (!isSidString(identitySid)) refuse(`the identity SID ${JSON.stringify(identitySid)} is not a SID`);
  if (!isSidString(logonSid) || !isLogonSid(logonSid)) refuse(`${JSON.stringify(logonSid)} is not a logon SID (S-1-5-5-X-Y)`);
  const capabilities: string[] = [];
  for (const sid of inputs.capabilitySids) {
    if (!isSidString(sid)) refuse(`capability SID ${JSON.stringify(sid)} is not a SID`);
    if (sid === identitySid) refuse(`the identity SID ${sid} can't be a capability SID (it owns the identity's registry, profile and the runner)`);
    if (sid === EVERYONE_SID || sid === logonSid || isLogonSid(sid)) refuse(`${sid} can't be a capability SID`);
    const shared = NEVER_RESTRICTING.get(sid);
    if (shared !== undefined) refuse(`${sid} (${shared}) can't be a capability SID: it is granted writes outside any workspace`);
    if (!capabilities.includes(sid)) capabilities.push(sid);
  }
  return {
    restricting: [...capabilities, logonSid, EVERYONE_SID],
    // Objects a command creates without an inherited ACL (pipes, its child processes, events):
    // the normal check passes through the identity SID, the restricted one through the logon SID.
    defaultDacl: [identitySid, logonSid, SYSTEM_SID],
  };
}
