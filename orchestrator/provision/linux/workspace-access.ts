/**
 * How a workspace is made writable for the identities — the one decision the planner asks
 * per workspace (state.ts WorkspaceAccess):
 *
 * - 'acl': POSIX ACL grants on the workspace tree (acl.ts), applied once at setup;
 * - 'idmap': the runner bind-mounts the workspace idmapped in the session's mount
 *   namespace, so no tree ACLs are needed (issue 7 plugs its probe in here).
 *
 * Ancestor traversal entries are added in both cases. Never 'idmap' for a workspace of
 * uid 0 (DESIGN.md §Write permission): the probe is responsible for that rule.
 */
import type { RealUser } from '../../platform.js';
import type { WorkspaceAccess } from '../../state.js';

/** The hook: replace the body with the idmap probe once it exists (default: 'acl'). */
export async function chooseWorkspaceAccess(_workspace: string, _realUser: RealUser): Promise<WorkspaceAccess> {
  return 'acl';
}
