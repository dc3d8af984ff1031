/**
 * A profile per identity *and* workspace on Windows (issue 11 item 6; the Linux counterpart is
 * runner/linux/workspace-home.ts). Every command of a session gets, instead of the identity's
 * own profile folders:
 *
 *   USERPROFILE, HOME          <identity profile>\corral-ws\<ws-id>
 *   APPDATA                    <identity profile>\corral-ws\<ws-id>\AppData\Roaming
 *   LOCALAPPDATA               <identity profile>\corral-ws\<ws-id>\AppData\Local
 *   TEMP, TMP, TMPDIR          <identity profile>\corral-ws\<ws-id>\Temp\corral-<random>  (per session)
 *
 * where <ws-id> is core/workspace-id.ts's name of the workspace path the machine state records.
 *
 * Threat: with one profile per identity, what a session of workspace A leaves there runs in the
 * next session of workspace B — a `.pth` in %APPDATA%\Python\PythonXY\site-packages (Python
 * runs it at start-up), `%USERPROFILE%\.gitconfig` (`core.fsmonitor`), `%USERPROFILE%\.npmrc`
 * (`script-shell`), `%APPDATA%\npm` shims, `%USERPROFILE%\.bashrc` of Git Bash. Those tools
 * find those files through the variables above, so each workspace's sessions find their own.
 *
 * What a command's token can write there (the command token is WRITE_RESTRICTED, token-sids.ts:
 * a write needs the identity's normal check *and* one of the restricting SIDs — the session's
 * capability SIDs, its logon SID, Everyone):
 *  - `<ws-id>` and everything below it: its DACL (protected) grants the identity full control
 *    (normal check) and the workspace's capability SID Modify (restricted check), inherited.
 *    Only a session opened for this workspace holds that capability SID, so a session of
 *    another workspace of the same identity passes the normal check but not the restricted
 *    one: it cannot create, change or delete anything in this workspace's profile, and so
 *    cannot plant a `.pth` or rc file that this workspace's commands would run;
 *  - not `corral-ws` itself (identity, SYSTEM, Administrators only): no session can create or
 *    replace another workspace's `<ws-id>` (a junction there would redirect its profile);
 *  - not the identity's own profile (its default DACL names the identity, SYSTEM and
 *    Administrators, none of them restricting): so the folders programs find through the
 *    registry rather than the environment (SHGetKnownFolderPath: Documents, where PowerShell
 *    looks for $PROFILE, the real AppData) are readable but not writable by any session;
 *  - the per-session temp directory only through the session's logon SID (session-dirs.ts).
 * What it can read: WRITE_RESTRICTED checks reads against the identity only, and the identity
 * may read all its workspaces' profiles. A session can therefore *read* what another workspace's
 * sessions keep in their profile (as it can read that workspace), but nothing there is loaded
 * by its own commands, whose variables name its own workspace's folders.
 * A read-only session (no capability SID) reads its workspace's profile and writes only its
 * session temp directory.
 *
 * Who makes them: Grant-CorralWorkspace (elevated, at grant time, New-CorralWorkspaceProfile)
 * for each identity of the user; the runner makes any that is missing (a grant of an older
 * Corral, a profile created later) with the same DACL, since it runs as the identity and owns
 * its profile. Either way the runner then checks, before any command runs (fail closed): no
 * level is a reparse point or a file, `corral-ws` grants the command token no write, and in a
 * workspace-write session the three folders are writable by it. Revoke-CorralWorkspace removes
 * `<ws-id>` (Remove-CorralWorkspaceProfile), teardown removes the identity's whole profile.
 */
import { mkdirSync } from 'node:fs';
import { win32 } from 'node:path';
import { CorralError } from '../../core/errors.js';
import { workspaceHomeName } from '../../core/workspace-id.js';
import type { Win32Handle } from '../../os/win32/handle.js';
import { CONTAINER_INHERIT_ACE, OBJECT_INHERIT_ACE, type AceSpec } from './security-descriptor.js';
import { SYSTEM_SID } from './token-sids.js';

const ADMINISTRATORS_SID = 'S-1-5-32-544';
const FILE_ALL_ACCESS = 0x1f01ff;
/** FileSystemRights 'Modify, Synchronize': read, write, execute, DELETE; no WRITE_DAC, WRITE_OWNER or FILE_DELETE_CHILD. */
export const MODIFY_SYNCHRONIZE = 0x1301bf;
const FILE_ADD_FILE = 0x2;
const FILE_ADD_SUBDIRECTORY = 0x4;
/** Rights on a directory that let a command put something in it. */
export const CREATE_IN_DIRECTORY = FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY;
/** The folder under an identity's profile that holds one folder per workspace. */
export const WORKSPACE_PROFILES_FOLDER = 'corral-ws';

/** The folders of one workspace's profile for one identity (pure). */
export interface WorkspaceProfilePaths {
  /** `<identity profile>\corral-ws`: the identity's, no session writes it. */
  container: string;
  /** `<identity profile>\corral-ws\<ws-id>`: USERPROFILE and HOME. */
  root: string;
  /** APPDATA. */
  roaming: string;
  /** LOCALAPPDATA. */
  local: string;
  /** The parent of each session's own temp directory (TEMP, TMP). */
  temp: string;
}

/** `identityProfile` is the identity's profile folder (known folder Profile of the runner's account); `workspace` as the state records it. */
export function workspaceProfilePaths(identityProfile: string, workspace: string): WorkspaceProfilePaths {
  const container = win32.join(identityProfile, WORKSPACE_PROFILES_FOLDER);
  const root = win32.join(container, workspaceHomeName(workspace));
  return {
    container,
    root,
    roaming: win32.join(root, 'AppData', 'Roaming'),
    local: win32.join(root, 'AppData', 'Local'),
    temp: win32.join(root, 'Temp'),
  };
}

/** The DACL of `corral-ws` (pure): the identity, SYSTEM and Administrators; no SID a command token restricts to. */
export function workspaceProfilesContainerAces(identitySid: string): AceSpec[] {
  const inherit = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
  return [
    { type: 'allow', sid: identitySid, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: SYSTEM_SID, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: ADMINISTRATORS_SID, mask: FILE_ALL_ACCESS, inheritance: inherit },
  ];
}

/**
 * The DACL of `<ws-id>` (pure), inherited by everything below: the identity full control (the
 * normal check), the workspace's capability SID Modify (the restricted check; no WRITE_DAC, so
 * a command cannot open the folders to other sessions), SYSTEM and Administrators full control.
 * The same ACEs as New-CorralWorkspaceProfile writes (Pester/Private/New-CorralWorkspaceProfile.Tests.ps1).
 */
export function workspaceProfileAces(identitySid: string, capabilitySid: string): AceSpec[] {
  const inherit = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
  return [
    { type: 'allow', sid: identitySid, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: capabilitySid, mask: MODIFY_SYNCHRONIZE, inheritance: inherit },
    { type: 'allow', sid: SYSTEM_SID, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: ADMINISTRATORS_SID, mask: FILE_ALL_ACCESS, inheritance: inherit },
  ];
}

/** The Win32 operations preparing a workspace profile needs (session-dirs.ts; replaced in unit tests). */
export interface WorkspaceProfileOps {
  entryKind(path: string): 'missing' | 'dir' | 'file' | 'reparse';
  createDirectoryWith(path: string, aces: readonly AceSpec[]): void;
  /** A plain directory that inherits its parent's ACL. */
  createDirectory(path: string): void;
  grantedAccess(path: string, token: Win32Handle): number;
}

export interface WorkspaceProfileRequest {
  identityProfile: string;
  /** The workspace path the machine state records. */
  workspace: string;
  identitySid: string;
  /** The workspace grant's capability SID (from the state, whatever the session's mode). */
  capabilitySid: string;
  /** The session's command token (AccessCheck). */
  commandToken: Win32Handle;
  /** true: the session holds the capability SID, so the folders must be writable by it. */
  writable: boolean;
}

function refuse(message: string, path: string): never {
  throw new CorralError('not_provisioned', `the workspace profile ${path} ${message}; run \`corral setup\` for the workspace again`, { details: { path } });
}

/** Make what is missing (see the file comment), then check every level; returns the paths. */
export function prepareWorkspaceProfile(request: WorkspaceProfileRequest, ops: WorkspaceProfileOps): WorkspaceProfilePaths {
  const paths = workspaceProfilePaths(request.identityProfile, request.workspace);
  const levels: Array<[string, () => void]> = [
    [paths.container, () => ops.createDirectoryWith(paths.container, workspaceProfilesContainerAces(request.identitySid))],
    [paths.root, () => ops.createDirectoryWith(paths.root, workspaceProfileAces(request.identitySid, request.capabilitySid))],
    [win32.dirname(paths.roaming), () => ops.createDirectory(win32.dirname(paths.roaming))],
    [paths.roaming, () => ops.createDirectory(paths.roaming)],
    [paths.local, () => ops.createDirectory(paths.local)],
    [paths.temp, () => ops.createDirectory(paths.temp)],
  ];
  for (const [path, create] of levels) {
    const kind = ops.entryKind(path);
    if (kind === 'missing') create();
    else if (kind !== 'dir') refuse(`is a ${kind === 'reparse' ? 'reparse point (a junction or link)' : 'file'}, not a folder: remove it`, path);
  }
  // No session may create or replace a workspace's folder in corral-ws (a junction there would
  // hand that workspace's profile to whoever made it).
  if ((ops.grantedAccess(paths.container, request.commandToken) & CREATE_IN_DIRECTORY) !== 0) {
    refuse("is writable by the session's commands", paths.container);
  }
  if (request.writable) {
    for (const path of [paths.roaming, paths.local, paths.temp]) {
      if ((ops.grantedAccess(path, request.commandToken) & CREATE_IN_DIRECTORY) !== CREATE_IN_DIRECTORY) {
        refuse("is not writable by the session's commands (its DACL does not grant the workspace's capability SID)", path);
      }
    }
  }
  return paths;
}

/** mkdirSync without recursion: the parent was checked, and must not be created by a fall-through. */
export function createPlainDirectory(path: string): void {
  mkdirSync(path);
}
