/**
 * Running the Linux provisioner's undo records (journal.ts) for teardown. Each is
 * idempotent — what is already gone stays gone — and refuses records that point outside
 * what this installation owns (the journal is root-only, but a record naming /etc as a
 * tree to remove is a bug, not an instruction).
 */
import { chmodSync, chownSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import type { UndoRecord } from '../../journal.js';
import type { Undoer } from '../../teardown-plan.js';
import { display, forgetAccounts, getGroup, getUser, groupdelCommand, removeMemberCommand, runCommand, userdelCommand } from './accounts.js';
import { revokeAcls, type AclRevokeUndo } from './acl.js';
import { deleteTable } from './nft.js';
import { formatCommand } from './exec.js';
import { posixPaths } from '../../../core/paths.js';

function str(u: UndoRecord, key: string): string {
  const v = u[key];
  if (typeof v !== 'string' || v === '') throw new CorralError('state_corrupt', `journal undo record ${u.kind} has no ${key}`);
  return v;
}

const inside = (p: string, dir: string): boolean => posixPaths.within(p, dir);

export function linuxUndoer(inst: Installation): Undoer {
  const checkTree = (p: string) => {
    if (!inside(p, inst.libDir)) throw new CorralError('state_corrupt', `journal asks to remove ${p}, outside ${inst.libDir}`);
  };
  const checkHome = (p: string) => {
    if (!p.startsWith(`${inst.homeBase}/`)) throw new CorralError('state_corrupt', `journal asks to remove home ${p}, outside ${inst.homeBase}`);
  };
  const checkFile = (p: string) => {
    if (p !== inst.sudoersFile) throw new CorralError('state_corrupt', `journal asks to change ${p}, not ${inst.sudoersFile}`);
  };

  const title = (u: UndoRecord): string => {
    switch (u.kind) {
      case 'delete-group':
        return `Delete group ${str(u, 'name')}`;
      case 'delete-user':
        return `Delete identity ${str(u, 'name')}`;
      case 'remove-member':
        return `Remove ${str(u, 'user')} from group ${str(u, 'group')}`;
      case 'delete-table':
        return `Delete nft table inet ${str(u, 'table')}`;
      case 'remove-tree':
        return `Remove ${str(u, 'path')}`;
      case 'remove-file':
        return `Remove ${str(u, 'path')}`;
      case 'restore-file':
        return `Restore ${str(u, 'path')} as it was`;
      case 'acl-revoke':
        return `Remove Corral's ACL entries ${u.recursive === true ? 'under' : 'from'} ${str(u, 'root')}`;
      default:
        throw new CorralError('state_corrupt', `journal holds an undo record of unknown kind ${JSON.stringify(u.kind)}`);
    }
  };

  const describe = (u: UndoRecord): string[] => {
    switch (u.kind) {
      case 'delete-group':
        return [display(groupdelCommand(str(u, 'name')))];
      case 'delete-user':
        return [display(userdelCommand(str(u, 'name'))), formatCommand('rm', ['-rf', '--', str(u, 'home')])];
      case 'remove-member':
        return [display(removeMemberCommand(str(u, 'user'), str(u, 'group')))];
      case 'delete-table':
        return [formatCommand('nft', ['delete', 'table', 'inet', str(u, 'table')])];
      case 'remove-tree':
      case 'remove-file':
        return [formatCommand('rm', ['-rf', '--', str(u, 'path')])];
      case 'restore-file':
        return [`write ${str(u, 'path')} with its content from before setup (mode ${Number(u.mode).toString(8)})`];
      case 'acl-revoke': {
        const a = u as unknown as AclRevokeUndo;
        return [
          `${formatCommand('getfacl', ['-p', '-n', '-E', ...(a.recursive ? ['-R', '-P'] : []), '--skip-base', '--', a.root])} | (entries of ${[...a.accounts, ...a.uids.map(String)].join(', ')} removed; ${Object.keys(a.before).length} ACLs from before restored) | setfacl --restore=-`,
        ];
      }
      default:
        return [title(u)];
    }
  };

  const runUndo = async (u: UndoRecord): Promise<void> => {
    forgetAccounts();
    switch (u.kind) {
      case 'delete-group': {
        const name = str(u, 'name');
        if ((await getGroup(name)) !== null) await runCommand(groupdelCommand(name));
        return;
      }
      case 'delete-user': {
        const name = str(u, 'name');
        const home = str(u, 'home');
        checkHome(home);
        if ((await getUser(name)) !== null) await runCommand(userdelCommand(name));
        rmSync(home, { recursive: true, force: true });
        return;
      }
      case 'remove-member': {
        const user = str(u, 'user');
        const group = str(u, 'group');
        const g = await getGroup(group);
        if (g !== null && g.members.includes(user)) await runCommand(removeMemberCommand(user, group));
        return;
      }
      case 'delete-table':
        await deleteTable(str(u, 'table'));
        return;
      case 'remove-tree': {
        const p = str(u, 'path');
        checkTree(p);
        rmSync(p, { recursive: true, force: true });
        return;
      }
      case 'remove-file': {
        const p = str(u, 'path');
        checkFile(p);
        rmSync(p, { force: true });
        return;
      }
      case 'restore-file': {
        const p = str(u, 'path');
        checkFile(p);
        const tmp = path.join(path.dirname(p), `.${path.basename(p)}.${randomBytes(6).toString('hex')}.tmp`);
        writeFileSync(tmp, Buffer.from(str(u, 'content'), 'base64'), { mode: 0o600, flag: 'wx' });
        chownSync(tmp, 0, 0);
        chmodSync(tmp, Number(u.mode) & 0o7777);
        renameSync(tmp, p);
        return;
      }
      case 'acl-revoke': {
        const a = u as unknown as AclRevokeUndo;
        if (!existsSync(a.root)) return; // the directory is gone, and its ACLs with it
        const uids = new Set(a.uids.map(String));
        for (const name of a.accounts) {
          const entry = await getUser(name);
          if (entry !== null) uids.add(String(entry.uid));
        }
        await revokeAcls(a, uids);
        return;
      }
      default:
        throw new CorralError('state_corrupt', `journal holds an undo record of unknown kind ${JSON.stringify(u.kind)}`);
    }
  };

  return { title, describe, run: runUndo };
}
