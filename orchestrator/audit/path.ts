/**
 * Where a real user's audit log lives: their state directory,
 *
 *   Linux:   $XDG_STATE_HOME/<installation>/audit.jsonl, default ~/.local/state/<installation>/audit.jsonl
 *   Windows: %LOCALAPPDATA%\<Installation>\audit.jsonl
 *
 * XDG_STATE_HOME is honoured only when this process runs as the real user: under sudo the
 * environment is the caller's choice, and root writing to a path it names is how a symlink
 * turns into a root write; the home from the passwd database is used then.
 */
import path from 'node:path';
import type { Installation } from '../../core/installation.js';

export const AUDIT_FILE_NAME = 'audit.jsonl';

export interface AuditOwner {
  home: string;
  uid?: number;
}

export function auditFilePath(installation: Installation, owner: AuditOwner, env: NodeJS.ProcessEnv = process.env, ownUid: number | undefined = process.getuid?.()): string {
  if (installation.platform === 'windows') {
    const local = env.LOCALAPPDATA ?? path.win32.join(owner.home, 'AppData', 'Local');
    const title = installation.name === 'corral' ? 'Corral' : installation.name;
    return path.win32.join(local, title, AUDIT_FILE_NAME);
  }
  const runningAsOwner = owner.uid !== undefined && ownUid === owner.uid;
  const xdg = env.XDG_STATE_HOME;
  const base = runningAsOwner && xdg !== undefined && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(owner.home, '.local', 'state');
  return path.posix.join(base, installation.name, AUDIT_FILE_NAME);
}
