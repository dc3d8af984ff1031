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
import { revokeAcls } from './acl.js';
import { parseLinuxUndo } from './undo-records.js';
import { deleteTable } from './nft.js';
import { formatCommand } from './exec.js';
import { posixPaths } from '../../../core/paths.js';
import { homeImagesDir, mountsAtOrBelow, releaseIdentityHomeImages } from '../../../runner/linux/home-image.js';

/** A recursive deletion must not cross into a filesystem mounted below `path` (it would empty it). */
export function refuseMountsBelow(path: string): void {
  const mounts = mountsAtOrBelow(path);
  if (mounts.length > 0) {
    throw new CorralError('workspace_in_use', `${mounts.join(', ')} ${mounts.length === 1 ? 'is' : 'are'} still mounted: ${path} is not deleted`, {
      details: { path, mounts },
      remedy: `Unmount ${mounts.length === 1 ? 'it' : 'them'} (\`sudo umount PATH\`), then run the same command again.`,
    });
  }
}

/** Compile-time exhaustiveness: a new undo kind without a case here fails the build. */
function unreachable(u: never): never {
  throw new CorralError('state_corrupt', `journal holds an undo record of unknown kind ${JSON.stringify((u as { kind?: unknown }).kind)}`);
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

  const title = (raw: UndoRecord): string => {
    const u = parseLinuxUndo(raw);
    switch (u.kind) {
      case 'delete-group':
        return `Delete group ${u.name}`;
      case 'delete-user':
        return `Delete identity ${u.name}`;
      case 'remove-member':
        return `Remove ${u.user} from group ${u.group}`;
      case 'delete-table':
        return `Delete nft table inet ${u.table}`;
      case 'remove-tree':
      case 'remove-file':
        return `Remove ${u.path}`;
      case 'restore-file':
        return `Restore ${u.path} as it was`;
      case 'acl-revoke':
        return `Remove Corral's ACL entries ${u.recursive ? 'under' : 'from'} ${u.root}`;
      default:
        return unreachable(u);
    }
  };

  const describe = (raw: UndoRecord): string[] => {
    const u = parseLinuxUndo(raw);
    switch (u.kind) {
      case 'delete-group':
        return [display(groupdelCommand(u.name))];
      case 'delete-user':
        return [
          `umount the workspace home images mounted in ${u.home} and delete them (${homeImagesDir(inst)}/${u.name}/*.img)`,
          display(userdelCommand(u.name)),
          formatCommand('rm', ['-rf', '--', u.home]),
        ];
      case 'remove-member':
        return [display(removeMemberCommand(u.user, u.group))];
      case 'delete-table':
        return [formatCommand('nft', ['delete', 'table', 'inet', u.table])];
      case 'remove-tree':
      case 'remove-file':
        return [formatCommand('rm', ['-rf', '--', u.path])];
      case 'restore-file':
        return [`write ${u.path} with its content from before setup (mode ${u.mode.toString(8)})`];
      case 'acl-revoke':
        return [
          `${formatCommand('getfacl', ['-p', '-n', '-E', ...(u.recursive ? ['-R', '-P'] : []), '--skip-base', '--', u.root])} | (entries of ${[...u.accounts, ...u.uids.map(String)].join(', ')} removed; ${Object.keys(u.before).length} ACLs from before restored) | setfacl --restore=-`,
        ];
      default:
        return unreachable(u);
    }
  };

  const runUndo = async (raw: UndoRecord): Promise<void> => {
    const u = parseLinuxUndo(raw);
    forgetAccounts();
    switch (u.kind) {
      case 'delete-group':
        if ((await getGroup(u.name)) !== null) await runCommand(groupdelCommand(u.name));
        return;
      case 'delete-user':
        checkHome(u.home);
        // The bounded workspace homes are filesystems mounted in the home: unmounted (and their
        // images deleted) first, so the deletion below never crosses into a mount (home-image.ts).
        releaseIdentityHomeImages(inst, u.name, u.home);
        if ((await getUser(u.name)) !== null) await runCommand(userdelCommand(u.name));
        refuseMountsBelow(u.home);
        rmSync(u.home, { recursive: true, force: true });
        return;
      case 'remove-member': {
        const g = await getGroup(u.group);
        if (g !== null && g.members.includes(u.user)) await runCommand(removeMemberCommand(u.user, u.group));
        return;
      }
      case 'delete-table':
        await deleteTable(u.table);
        return;
      case 'remove-tree':
        checkTree(u.path);
        rmSync(u.path, { recursive: true, force: true });
        return;
      case 'remove-file':
        checkFile(u.path);
        rmSync(u.path, { force: true });
        return;
      case 'restore-file': {
        checkFile(u.path);
        const tmp = path.join(path.dirname(u.path), `.${path.basename(u.path)}.${randomBytes(6).toString('hex')}.tmp`);
        writeFileSync(tmp, Buffer.from(u.content, 'base64'), { mode: 0o600, flag: 'wx' });
        chownSync(tmp, 0, 0);
        chmodSync(tmp, u.mode & 0o7777);
        renameSync(tmp, u.path);
        return;
      }
      case 'acl-revoke': {
        if (!existsSync(u.root)) return; // the directory is gone, and its ACLs with it
        const uids = new Set(u.uids.map(String));
        for (const name of u.accounts) {
          const entry = await getUser(name);
          if (entry !== null) uids.add(String(entry.uid));
        }
        await revokeAcls(u, uids);
        return;
      }
      default:
        return unreachable(u);
    }
  };

  return { title, describe, run: runUndo };
}
