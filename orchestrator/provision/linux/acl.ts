/**
 * Workspace grants with POSIX ACLs (getfacl / setfacl), and their exact reversal.
 *
 * Grant (a workspace whose access mechanism is 'acl', see workspace-access.ts):
 *   setfacl -R -P -m u:<offline>:rwX,u:<online>:rwX,u:<real>:rwX,d:u:…:rwx -- <workspace>
 *   setfacl -R -P -m u:<offline>:r-X,u:<online>:r-X,d:u:…:r-x -- <each protected path>
 * Traversal (every workspace): `setfacl -m u:<id>:--x -- <ancestor>` on each ancestor
 * that would otherwise stop the identities (a 0750 home).
 *
 * Before granting, the ACLs that already were extended under the root are recorded (the
 * journal's undo record); the revoke takes exactly Corral's entries out again and puts
 * back what was there before (acl-model.ts revokeAcl), through one `setfacl --restore`.
 *
 * Threat model: `-P` never follows symbolic links, so a link in the workspace cannot
 * extend a grant outside it. A real user who swaps a directory for a symlink *while*
 * setup or teardown walks the tree could still redirect one root-run setfacl call to a
 * file of their choice; setup is run by an administrator for users they trust with their
 * own sandbox, and the identities can reach nothing through such an entry that the
 * session runner's Landlock and mount rules do not also fence.
 */
import { CorralError } from '../../../core/errors.js';
import { run } from './exec.js';
import type { Command } from './accounts.js';
import { parseGetfacl, renderRestore, revokeAcl, sameAcl, unescapePath, type FileAcl } from './acl-model.js';

export const WORKSPACE_PERMS = { access: 'rwX', default: 'rwx' } as const;
export const PROTECTED_PERMS = { access: 'r-X', default: 'r-x' } as const;

/** ACLs of `paths` (in argument order), or of every file below them with `recursive`. Missing paths are left out. */
export async function readAcls(paths: readonly string[], opts: { recursive?: boolean; extendedOnly?: boolean } = {}): Promise<FileAcl[]> {
  if (paths.length === 0) return [];
  const args = ['-p', '-n', '-E'];
  if (opts.recursive === true) args.push('-R', '-P');
  if (opts.extendedOnly === true) args.push('--skip-base');
  const r = await run('getfacl', [...args, '--', ...paths], { okCodes: [0, 1] });
  if (r.code !== 0) {
    const other = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/No such file or directory/.test(l));
    if (other.length > 0) throw new CorralError('step_failed', `getfacl failed: ${other.join('; ')}`);
  }
  return parseGetfacl(r.stdout);
}

/** ACL of one path, or null when it does not exist. */
export async function readAcl(p: string): Promise<FileAcl | null> {
  const [acl] = await readAcls([p]);
  return acl !== undefined && unescapePath(acl.path) === p ? acl : null;
}

export function workspaceGrantCommand(root: string, accounts: readonly string[]): Command {
  const spec = [
    ...accounts.map((a) => `u:${a}:${WORKSPACE_PERMS.access}`),
    ...accounts.map((a) => `d:u:${a}:${WORKSPACE_PERMS.default}`),
  ].join(',');
  return { tool: 'setfacl', args: ['-R', '-P', '-m', spec, '--', root] };
}

export function protectedGrantCommand(p: string, identities: readonly string[]): Command {
  const spec = [
    ...identities.map((a) => `u:${a}:${PROTECTED_PERMS.access}`),
    ...identities.map((a) => `d:u:${a}:${PROTECTED_PERMS.default}`),
  ].join(',');
  return { tool: 'setfacl', args: ['-R', '-P', '-m', spec, '--', p] };
}

export function traverseGrantCommand(dir: string, identities: readonly string[]): Command {
  return { tool: 'setfacl', args: ['-m', identities.map((a) => `u:${a}:--x`).join(','), '--', dir] };
}

/** How to take Corral's entries out of a tree (or one directory) again. */
export interface AclRevokeUndo {
  kind: 'acl-revoke';
  root: string;
  recursive: boolean;
  /** Accounts whose entries Corral added, by name (resolved when the undo runs)… */
  accounts: string[];
  /** …and by uid, as known when the grant ran (an account deleted since keeps its uid here). */
  uids: number[];
  /** Extended ACLs under `root` before the grant, keyed by getfacl's (escaped) path. */
  before: Record<string, FileAcl>;
}

/** Record the extended ACLs under `root` (or of `root` alone) as they are now. */
export async function snapshotExtended(root: string, recursive: boolean): Promise<Record<string, FileAcl>> {
  const out: Record<string, FileAcl> = {};
  for (const acl of await readAcls([root], { recursive, extendedOnly: true })) out[acl.path] = acl;
  return out;
}

/** Take the entries of `uids` out of every ACL under the undo's root, restoring what was there before. */
export async function revokeAcls(undo: Omit<AclRevokeUndo, 'kind' | 'accounts'>, uids: ReadonlySet<string>): Promise<number> {
  const current = await readAcls([undo.root], { recursive: undo.recursive, extendedOnly: true });
  const changed: FileAcl[] = [];
  for (const acl of current) {
    const next = revokeAcl(acl, uids, undo.before[acl.path]);
    if (!sameAcl(acl, next)) changed.push(next);
  }
  if (changed.length === 0) return 0;
  const r = await run('setfacl', ['--restore=-'], { input: renderRestore(changed), okCodes: [0, 1] });
  if (r.code !== 0) {
    // A file removed between the read and the restore has nothing left to revoke.
    const other = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/No such file or directory/.test(l));
    if (other.length > 0) throw new CorralError('step_failed', `setfacl --restore failed: ${other.join('; ')}`);
  }
  return changed.length;
}
