/**
 * Make the workspace writable for the identity inside the session's mount namespace.
 *
 * `acl`: nothing to do here — provisioning granted POSIX ACL entries once per workspace.
 * `idmap`: an idmapped bind mount of the workspace (issue 7, runner/linux/idmap.ts) is plugged
 * in at this call site, which runs after the mount namespace exists and before protected
 * paths are bound (so those binds sit on top of it). Until then an `idmap` workspace gets a
 * warning, and writes fail closed (no ACL was granted).
 */
import type { WorkspaceAccess } from '../../orchestrator/state.js';

export interface WorkspaceAccessResult {
  mechanism: WorkspaceAccess;
  warnings: string[];
}

export function makeWorkspaceWritableForIdentity(access: WorkspaceAccess, workspace: string): WorkspaceAccessResult {
  switch (access) {
    case 'acl':
      return { mechanism: 'acl', warnings: [] };
    case 'idmap':
      return { mechanism: 'idmap', warnings: [`workspace ${workspace} is recorded as idmap, which this runner does not mount yet: writes will be refused`] };
  }
}
