/**
 * Make the workspace writable for the identity inside the session's mount namespace
 * (issue 7). Runs in the root phase after the mount namespace exists and before the
 * protected paths are bound, so those binds sit read-only on top of it.
 *
 * - `idmap` (recorded by provisioning where the probe succeeded): the workspace, and every
 *   other writable root outside it, is bound over itself as an idmapped mount (idmap.ts):
 *   the real user's files are the identity's own in the session, and what the identity
 *   creates belongs to the real user on disk. Nothing is written to the workspace.
 * - `acl`: provisioning granted POSIX ACL entries once; nothing to do here, but the session
 *   says so (hello warning), since ACL grants are the weaker fallback.
 *
 * A failure to idmap the workspace fails the session (no ACL was granted, so there is
 * nothing to fall back to). A failure on an extra writable root is a warning: that root is
 * then writable only where plain permissions allow — fail closed, never wider.
 */
import { execFileSync } from 'node:child_process';
import { CorralError, isCorralError } from '../../core/errors.js';
import type { WorkspaceAccess } from '../../core/state.js';
import { idmapWorkspace, type IdmapMapping } from './idmap.js';
import { posixPaths } from '../../core/paths.js';

export interface WorkspaceAccessResult {
  mechanism: WorkspaceAccess;
  warnings: string[];
}

export interface WorkspaceAccessInput {
  access: WorkspaceAccess;
  /** Canonical. */
  workspace: string;
  /** Canonical; empty in read-only sessions. */
  writableRoots: string[];
  /** Device and inode of each as the request's check opened it: each idmapped mount must land on that inode. */
  pinned?: ReadonlyMap<string, { dev: number; ino: number }>;
  realUser: { name: string; uid: number; gid: number };
  identity: { uid: number; gid: number };
}

const within = posixPaths.within;

/**
 * The directories to bind idmapped: the workspace (also in read-only sessions, so the
 * identity reads the real user's private files as it would with ACL grants) and the
 * writable roots, minus any that lie inside another (the recursive bind covers them, and an
 * already idmapped mount cannot be idmapped again).
 */
export function rootsToIdmap(workspace: string, writableRoots: string[]): string[] {
  const all = [...new Set([workspace, ...writableRoots])];
  return all.filter((root) => !all.some((other) => other !== root && within(root, other)));
}

/**
 * The real user's groups from the group database (`id -G`, NSS included), so that their
 * files of a supplementary group stay writable (idmap.ts `extraGids`). A lookup failure
 * leaves those files read-only in the session — narrower, never wider.
 */
export function realUserGroups(name: string): number[] {
  try {
    const out = execFileSync('/usr/bin/id', ['-G', '--', name], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split(/\s+/).filter((g) => /^\d+$/.test(g)).map(Number);
  } catch {
    return [];
  }
}

export const ACL_FALLBACK_WARNING =
  'uses POSIX ACL grants, not an idmapped mount (setup found idmapping impossible for it, or the real user is root): ' +
  'files made 0644 or copied with `cp -p` may be read-only in the session, and files the session creates belong to the sandbox identity';

export function makeWorkspaceWritableForIdentity(input: WorkspaceAccessInput): WorkspaceAccessResult {
  switch (input.access) {
    case 'acl':
      return { mechanism: 'acl', warnings: [`workspace ${input.workspace} ${ACL_FALLBACK_WARNING}`] };
    case 'idmap': {
      const mapping: IdmapMapping = {
        uid: { real: input.realUser.uid, identity: input.identity.uid },
        gid: { real: input.realUser.gid, identity: input.identity.gid },
        extraGids: realUserGroups(input.realUser.name),
      };
      const warnings: string[] = [];
      for (const root of rootsToIdmap(input.workspace, input.writableRoots)) {
        const isWorkspaceTree = within(input.workspace, root);
        try {
          idmapWorkspace(root, mapping, input.pinned?.get(root));
        } catch (err) {
          // A root swapped since its check (open-no-symlinks.ts reopenSame) is refused, never downgraded to a warning.
          if (isCorralError(err, 'workspace_invalid')) throw err;
          if (isWorkspaceTree) {
            const why = err instanceof Error ? err.message : String(err);
            throw new CorralError(
              'runner_failed',
              `workspace ${input.workspace} is recorded as idmap but the idmapped mount failed (${why}); run \`sudo corral setup --workspace ${input.workspace}\` again so setup re-checks it`,
              { cause: err, details: isCorralError(err) ? err.details : {} },
            );
          }
          warnings.push(`writable root ${root} could not be bound idmapped (${err instanceof Error ? err.message : String(err)}): the session can write there only where plain file permissions allow`);
        }
      }
      return { mechanism: 'idmap', warnings };
    }
  }
}
