/**
 * The name of a workspace's own directory under an identity's home (Linux,
 * runner/linux/workspace-home.ts) or profile (Windows, runner/windows/workspace-profile.ts;
 * the PowerShell module's Get-CorralWorkspaceProfileName computes the same name, pinned by a
 * shared test vector in test/unit/workspace-id.test.ts and its Pester test).
 *
 * `ws-` and the first 16 hex digits of the SHA-256 of the workspace path as UTF-8: stable for
 * one path, nothing of the path itself in the name (a session that lists its identity's home
 * learns no other workspace's path from it). The path is the one the machine state records
 * (Linux: canonical; Windows: as Grant-CorralWorkspace recorded it — Windows paths compare
 * without case, so callers hash the recorded spelling, never a request's).
 */
import { createHash } from 'node:crypto';

export function workspaceHomeName(workspace: string): string {
  return `ws-${createHash('sha256').update(workspace, 'utf8').digest('hex').slice(0, 16)}`;
}
