/**
 * How a workspace is made writable for the identities — the one decision the planner asks
 * per workspace (state.ts WorkspaceAccess):
 *
 * - 'idmap': the runner bind-mounts the workspace idmapped in the session's mount
 *   namespace, so no tree ACLs are needed (issue 7; runner/linux/idmap.ts);
 * - 'acl': POSIX ACL grants on the workspace tree (acl.ts), applied once at setup — only
 *   where idmapping is impossible (a filesystem without support such as NFS, an old
 *   kernel, no user namespaces) or the real user is root (uid 0 is never idmapped).
 *
 * The answer comes from a real attempt (runner/linux/idmap-probe.ts): the workspace is
 * cloned as a detached idmapped mount and dropped again, never attached anywhere, so the
 * probe is also safe in --dry-run. Ancestor traversal entries are added in both cases.
 */
import { probeWorkspaceAccess, type WorkspaceAccessDecision } from '../../../runner/linux/idmap-probe.js';
import type { RealUser } from '../../platform.js';
import type { WorkspaceAccess } from '../../../core/state.js';

/**
 * The probe asks "can this tree be idmapped at all?"; at planning time the identities may
 * not exist yet, so it maps the real user to a stand-in id. Nothing is attached, so the
 * stand-in never sees a file.
 */
const PROBE_STAND_IN_ID = 65534;

export function workspaceAccessDecision(workspace: string, realUser: RealUser): WorkspaceAccessDecision {
  const uid = realUser.uid ?? 0;
  const gid = realUser.gid ?? 0;
  const standIn = (id: number) => (id === PROBE_STAND_IN_ID ? PROBE_STAND_IN_ID - 1 : PROBE_STAND_IN_ID);
  return probeWorkspaceAccess(workspace, { uid: { real: uid, identity: standIn(uid) }, gid: { real: gid, identity: standIn(gid) } });
}

export async function chooseWorkspaceAccess(workspace: string, realUser: RealUser): Promise<WorkspaceAccess> {
  return workspaceAccessDecision(workspace, realUser).access;
}
