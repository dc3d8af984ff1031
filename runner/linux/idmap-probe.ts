/**
 * Which mechanism makes a workspace writable for the sandbox identities: an idmapped
 * mount per session (`idmap`, preferred: no tree walk, nothing written to the workspace)
 * or POSIX ACL grants applied once at provisioning (`acl`, the fallback).
 *
 * Facts are gathered by `workspaceAccessFacts` (the real attempt, on a detached copy that
 * is never attached, plus the filesystem type for the message); `decideWorkspaceAccess`
 * is a pure function of those facts, unit-tested on any OS. Provisioning calls
 * `probeWorkspaceAccess` (root) and records the result in state.json; the runner follows
 * the record.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import type { WorkspaceAccess } from '../../core/state.js';
import { idmapPrerequisite, tryIdmapDetached, type IdmapMapping, type IdmapTrial } from './idmap.js';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

export interface WorkspaceAccessFacts {
  path: string;
  realUid: number;
  realGid: number;
  /** Why this process cannot try the mount API at all (not Linux, architecture, not root), or null. */
  prerequisite: string | null;
  /** Filesystem type of the mount holding the workspace, or null when unknown. */
  fsType: string | null;
  /** The detached attempt; null when it was not made (root real user, missing prerequisite). */
  trial: IdmapTrial | null;
}

export interface WorkspaceAccessDecision {
  access: WorkspaceAccess;
  /** Why; shown by `corral status` and, for `acl`, as the session warning. */
  reason: string;
}

/** Undo the octal escapes of /proc/self/mountinfo (`\040` for a space, etc.). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse /proc/<pid>/mountinfo (proc(5)); malformed lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || dash + 2 >= fields.length) continue;
    entries.push({ mountPoint: unescapeMountField(fields[4]!), fsType: fields[dash + 1]!, source: unescapeMountField(fields[dash + 2]!) });
  }
  return entries;
}

/**
 * The mount that holds canonical absolute `path`: the longest mount point that is `path`
 * or an ancestor; of several at one point, the last listed (the one on top).
 */
export function mountFor(path: string, entries: MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const entry of entries) {
    const mp = entry.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (inside && (best === null || mp.length >= best.mountPoint.length)) best = entry;
  }
  return best;
}

const ERRNO_MEANING: Record<string, string> = {
  ENOSYS: 'the kernel lacks the new mount API (Linux 5.12+ is needed for idmapped mounts)',
  EINVAL: 'this filesystem does not support idmapped mounts',
  EPERM: 'the kernel refused the idmapped mount (not permitted here, e.g. inside a container)',
  EOPNOTSUPP: 'this filesystem does not support idmapped mounts',
};

/** Pure decision: `idmap` only when it was actually tried and worked. */
export function decideWorkspaceAccess(facts: WorkspaceAccessFacts): WorkspaceAccessDecision {
  const on = facts.fsType === null ? facts.path : `${facts.path} (${facts.fsType})`;
  if (facts.realUid === 0) {
    return { access: 'acl', reason: 'the real user is root, and uid 0 is never idmapped; using ACL grants' };
  }
  if (facts.realGid === 0) {
    return { access: 'acl', reason: "the real user's primary group is gid 0, which is never idmapped; using ACL grants" };
  }
  if (facts.prerequisite !== null) return { access: 'acl', reason: `${facts.prerequisite}; using ACL grants` };
  if (facts.trial === null) return { access: 'acl', reason: `idmapped mount not tried for ${on}; using ACL grants` };
  if (facts.trial.ok) return { access: 'idmap', reason: `idmapped mount works on ${on}` };
  const meaning = ERRNO_MEANING[facts.trial.errnoName] ?? facts.trial.message;
  return { access: 'acl', reason: `${meaning}: ${facts.trial.api} ${facts.trial.errnoName} on ${on}; using ACL grants` };
}

/** Gather the facts for `path` (root; makes and drops a detached mount, attaches nothing). */
export function workspaceAccessFacts(path: string, mapping: IdmapMapping, mountinfoText?: string): WorkspaceAccessFacts {
  let canonical: string;
  try {
    canonical = realpathSync(path);
  } catch (err) {
    throw new CorralError('workspace_invalid', `workspace ${path} does not exist (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  let fsType: string | null = null;
  try {
    fsType = mountFor(canonical, parseMountinfo(mountinfoText ?? readFileSync('/proc/self/mountinfo', 'utf8')))?.fsType ?? null;
  } catch {
    fsType = null; // only used in the message
  }
  const realUid = mapping.uid.real;
  const realGid = mapping.gid.real;
  const prerequisite = idmapPrerequisite();
  const trial = realUid === 0 || realGid === 0 || prerequisite !== null ? null : tryIdmapDetached(canonical, mapping);
  return { path: canonical, realUid, realGid, prerequisite, fsType, trial };
}

export function probeWorkspaceAccess(path: string, mapping: IdmapMapping): WorkspaceAccessDecision {
  return decideWorkspaceAccess(workspaceAccessFacts(path, mapping));
}

export function canIdmap(path: string, mapping: IdmapMapping): boolean {
  return probeWorkspaceAccess(path, mapping).access === 'idmap';
}
