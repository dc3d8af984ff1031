/**
 * POSIX ACLs as data: parsing `getfacl -p -n -E` output, rendering `setfacl --restore`
 * input, and the pure decisions — does an ACL hold a grant, and what is an ACL once
 * Corral's entries are taken out again. No I/O here (see acl.ts).
 *
 * Paths stay exactly as getfacl escaped them (`\012` for a newline, `\\` for a
 * backslash); setfacl --restore reads the same escaping, so no path is ever re-quoted.
 */

export type AclTag = 'user' | 'group' | 'mask' | 'other';

export interface AclEntry {
  tag: AclTag;
  /** '' for the owner / owning group / mask / other entries; else a numeric uid or gid. */
  qualifier: string;
  /** Three characters, e.g. `rwx`, `r-x`. */
  perms: string;
}

export interface FileAcl {
  /** As getfacl printed it (escaped). */
  path: string;
  access: AclEntry[];
  default: AclEntry[];
}

const TAGS = new Set<AclTag>(['user', 'group', 'mask', 'other']);

function parseEntry(text: string): AclEntry | null {
  const [tag, qualifier, perms] = text.split(':');
  if (tag === undefined || qualifier === undefined || perms === undefined || !TAGS.has(tag as AclTag)) return null;
  return { tag: tag as AclTag, qualifier, perms: perms.slice(0, 3) };
}

/** Parse `getfacl -p -n -E` output (one or many files). */
export function parseGetfacl(text: string): FileAcl[] {
  const out: FileAcl[] = [];
  let cur: FileAcl | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\t#effective:.*$/, '');
    if (line.startsWith('# file: ')) {
      cur = { path: line.slice('# file: '.length), access: [], default: [] };
      out.push(cur);
      continue;
    }
    if (cur === null || line === '' || line.startsWith('#')) continue;
    if (line.startsWith('default:')) {
      const e = parseEntry(line.slice('default:'.length));
      if (e !== null) cur.default.push(e);
    } else {
      const e = parseEntry(line);
      if (e !== null) cur.access.push(e);
    }
  }
  return out;
}

/** Undo getfacl's escaping: `\ooo` octal bytes and `\\`. */
export function unescapePath(escaped: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(escaped, 'utf8');
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x5c && i + 3 < src.length && /^[0-7]{3}$/.test(src.subarray(i + 1, i + 4).toString('latin1'))) {
      bytes.push(parseInt(src.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else if (src[i] === 0x5c && src[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(src[i]!);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function entryLine(e: AclEntry): string {
  return `${e.tag}:${e.qualifier}:${e.perms}`;
}

/** `setfacl --restore` input that sets exactly these ACLs (no owner lines: ownership is never changed). */
export function renderRestore(acls: readonly FileAcl[]): string {
  const parts: string[] = [];
  for (const a of acls) {
    const lines = [`# file: ${a.path}`, ...a.access.map(entryLine), ...a.default.map((e) => `default:${entryLine(e)}`)];
    parts.push(`${lines.join('\n')}\n`);
  }
  return parts.join('\n');
}

const ORDER: Record<AclTag, number> = { user: 0, group: 1, mask: 2, other: 3 };

function sortEntries(list: AclEntry[]): AclEntry[] {
  return [...list].sort((a, b) => ORDER[a.tag] - ORDER[b.tag] || (a.qualifier === '' ? -1 : b.qualifier === '' ? 1 : Number(a.qualifier) - Number(b.qualifier)));
}

function isNamed(e: AclEntry): boolean {
  return (e.tag === 'user' || e.tag === 'group') && e.qualifier !== '';
}

function unionPerms(list: readonly string[]): string {
  const has = (i: number, c: string) => list.some((p) => p[i] === c);
  return `${has(0, 'r') ? 'r' : '-'}${has(1, 'w') ? 'w' : '-'}${has(2, 'x') ? 'x' : '-'}`;
}

function intersectPerms(a: string, b: string): string {
  return [0, 1, 2].map((i) => (a[i] !== '-' && b[i] !== '-' ? a[i] : '-')).join('');
}

/**
 * One side (access or default) of an ACL once `uids`' entries are removed. `before` is
 * that side as it was before Corral changed anything (undefined: the file had no extended
 * ACL then, or did not exist). Entries of `uids` that existed before come back with their
 * old permissions; the mask comes back as it was; a side left with no named entries and
 * no recorded mask loses its mask (the owning group keeps what the mask allowed it), and
 * a default side that did not exist before is removed entirely.
 */
function revokeSide(current: AclEntry[], uids: ReadonlySet<string>, before: AclEntry[] | undefined, side: 'access' | 'default'): AclEntry[] {
  if (current.length === 0) return current;
  let list = current.filter((e) => !(e.tag === 'user' && uids.has(e.qualifier)));
  for (const e of before ?? []) if (e.tag === 'user' && uids.has(e.qualifier)) list.push(e);
  const named = list.filter(isNamed);
  const mask = list.find((e) => e.tag === 'mask');
  const beforeMask = before?.find((e) => e.tag === 'mask');
  if (side === 'default' && named.length === 0 && (before === undefined || before.length === 0)) return [];
  if (named.length === 0 && beforeMask === undefined) {
    if (mask !== undefined) {
      list = list
        .filter((e) => e.tag !== 'mask')
        .map((e) => (e.tag === 'group' && e.qualifier === '' ? { ...e, perms: intersectPerms(e.perms, mask.perms) } : e));
    }
    return sortEntries(list);
  }
  const groupClass = list.filter((e) => isNamed(e) || (e.tag === 'group' && e.qualifier === ''));
  const maskPerms = beforeMask?.perms ?? unionPerms(groupClass.map((e) => e.perms));
  list = list.filter((e) => e.tag !== 'mask');
  list.push({ tag: 'mask', qualifier: '', perms: maskPerms });
  return sortEntries(list);
}

/** The ACL with `uids`' entries taken out (see revokeSide); `before` as recorded at grant time. */
export function revokeAcl(current: FileAcl, uids: ReadonlySet<string>, before: FileAcl | undefined): FileAcl {
  return {
    path: current.path,
    access: revokeSide(current.access, uids, before?.access, 'access'),
    default: revokeSide(current.default, uids, before?.default, 'default'),
  };
}

export function sameAcl(a: FileAcl, b: FileAcl): boolean {
  return renderRestore([a]) === renderRestore([b]);
}

/** Whether `acl` holds an entry for `uid` with exactly `perms` (access or default side). */
export function hasEntry(acl: FileAcl, side: 'access' | 'default', uid: string, perms: string): boolean {
  return (side === 'access' ? acl.access : acl.default).some((e) => e.tag === 'user' && e.qualifier === uid && e.perms === perms);
}

/** What `uid` can effectively do through its named entry (the mask applied). */
export function effectivePerms(acl: FileAcl, uid: string): string | null {
  const e = acl.access.find((x) => x.tag === 'user' && x.qualifier === uid);
  if (e === undefined) return null;
  const mask = acl.access.find((x) => x.tag === 'mask');
  return mask === undefined ? e.perms : intersectPerms(e.perms, mask.perms);
}

/** A grant for one account: permissions on the access side and (for directories) the default side. */
export interface Grant {
  uid: string;
  access: string;
  default: string | null;
}

/** What is missing or different from `grants` on this ACL (empty: all present). */
export function grantDrift(acl: FileAcl, grants: readonly Grant[], label: (uid: string) => string): string[] {
  const out: string[] = [];
  for (const g of grants) {
    if (!hasEntry(acl, 'access', g.uid, g.access)) out.push(`${acl.path}: access entry user:${label(g.uid)}:${g.access} missing`);
    else if (effectivePerms(acl, g.uid) !== g.access) out.push(`${acl.path}: the ACL mask narrows user:${label(g.uid)} to ${effectivePerms(acl, g.uid)}`);
    if (g.default !== null && !hasEntry(acl, 'default', g.uid, g.default)) {
      out.push(`${acl.path}: default entry user:${label(g.uid)}:${g.default} missing`);
    }
  }
  return out;
}

/**
 * Whether the account `uid` (null: not created yet) needs an execute-only entry to
 * traverse this directory: `other` lacks x and it has no named entry that gives x.
 * (Owner and owning-group classes never apply: identities own nothing outside their home.)
 */
export function needsTraverseEntry(acl: FileAcl, uid: string | null): boolean {
  const other = acl.access.find((e) => e.tag === 'other');
  if (other !== undefined && other.perms[2] === 'x') return false;
  if (uid === null) return true;
  const eff = effectivePerms(acl, uid);
  return eff === null || eff[2] !== 'x';
}
