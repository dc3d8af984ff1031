/**
 * The Linux provisioner's undo records as one discriminated union, parsed from the journal's
 * plain JSON. The journal is root-only, but a record is still checked field by field: a
 * malformed or unknown record is `state_corrupt`, never guessed at.
 */
import { CorralError } from '../../../core/errors.js';
import type { UndoRecord } from '../../journal.js';
import type { AclRevokeUndo } from './acl.js';

export type LinuxUndo =
  | { kind: 'delete-group'; name: string }
  | { kind: 'delete-user'; name: string; home: string }
  | { kind: 'remove-member'; user: string; group: string }
  | { kind: 'delete-table'; table: string }
  | { kind: 'remove-tree'; path: string }
  | { kind: 'remove-file'; path: string }
  | { kind: 'restore-file'; path: string; content: string; mode: number }
  | AclRevokeUndo;

export type LinuxUndoKind = LinuxUndo['kind'];

function bad(u: UndoRecord, what: string): CorralError {
  return new CorralError('state_corrupt', `journal undo record ${JSON.stringify(u.kind)} ${what}`);
}

function str(u: UndoRecord, key: string): string {
  const v = u[key];
  if (typeof v !== 'string' || v === '') throw bad(u, `has no ${key}`);
  return v;
}

function int(u: UndoRecord, key: string): number {
  const v = u[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(u, `has no valid ${key}`);
  return v;
}

function strings(u: UndoRecord, key: string): string[] {
  const v = u[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(u, `has no valid ${key}`);
  return v as string[];
}

export function parseLinuxUndo(u: UndoRecord): LinuxUndo {
  switch (u.kind) {
    case 'delete-group':
      return { kind: u.kind, name: str(u, 'name') };
    case 'delete-user':
      return { kind: u.kind, name: str(u, 'name'), home: str(u, 'home') };
    case 'remove-member':
      return { kind: u.kind, user: str(u, 'user'), group: str(u, 'group') };
    case 'delete-table':
      return { kind: u.kind, table: str(u, 'table') };
    case 'remove-tree':
    case 'remove-file':
      return { kind: u.kind, path: str(u, 'path') };
    case 'restore-file': {
      const content = u.content;
      if (typeof content !== 'string') throw bad(u, 'has no content');
      return { kind: u.kind, path: str(u, 'path'), content, mode: int(u, 'mode') };
    }
    case 'acl-revoke': {
      const uids = u.uids;
      if (!Array.isArray(uids) || !uids.every((x) => Number.isInteger(x))) throw bad(u, 'has no valid uids');
      const before = u.before;
      if (typeof before !== 'object' || before === null || Array.isArray(before)) throw bad(u, 'has no valid before');
      if (typeof u.recursive !== 'boolean') throw bad(u, 'has no valid recursive');
      return {
        kind: 'acl-revoke',
        root: str(u, 'root'),
        recursive: u.recursive,
        accounts: strings(u, 'accounts'),
        uids: uids as number[],
        before: before as AclRevokeUndo['before'],
      };
    }
    default:
      throw new CorralError('state_corrupt', `journal holds an undo record of unknown kind ${JSON.stringify(u.kind)}`);
  }
}
