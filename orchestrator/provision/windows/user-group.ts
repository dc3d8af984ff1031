/**
 * The name of a real user's own local group on Windows (ps-module/Corral/Private/
 * Get-CorralUserGroupName.ps1 applies the same rule; Pester pins the same examples as
 * test/unit/windows-user-group.test.ts).
 *
 *   <prefix>-grp-<user part>
 *
 * `<user part>` is the one of the user's identity names (orchestrator/identities.ts): the
 * plain lower-cased name, or a stem plus 8 hex digits of SHA-256. `grp` has the length of
 * `off`, for which the identities' room is computed, so the name stays within 20 characters
 * too. Account and group names share one namespace on Windows; the tag `grp` is neither `off`
 * nor `on`, so the group never takes an identity's name.
 *
 * Why the group exists: workspace ACEs name it (and the workspace's capability SID) instead
 * of the identity SID, which is a restricting SID of every command token — see
 * ps-module/Corral/Public/Install-CorralUserGroup.ps1.
 */
import type { Installation } from '../../../core/installation.js';
import { identityName } from '../../identities.js';

export function userGroupName(installation: Pick<Installation, 'identityPrefix' | 'platform'>, realUser: string): string {
  const offline = identityName(installation, realUser, 'offline');
  return `${installation.identityPrefix}-grp-${offline.slice(`${installation.identityPrefix}-off-`.length)}`;
}
