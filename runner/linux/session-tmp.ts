/**
 * The session's private temp directory (TMPDIR of its commands, writable under Landlock):
 * /tmp/<inst>-sessions/<session>, mode 0700, owned by the identity. The parent is created by
 * root and must be root-owned and writable by root only, so no other user can pre-create or
 * swap it (/tmp is world-writable). Removed by the reaper at close.
 */
import { chownSync, lstatSync, mkdirSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';

export function sessionTmpParent(installation: string): string {
  return `/tmp/${installation}-sessions`;
}

export function sessionTmpPath(installation: string, sessionId: string): string {
  return `${sessionTmpParent(installation)}/${sessionId}`;
}

export function createSessionTmp(installation: string, sessionId: string, owner: { uid: number; gid: number }): string {
  const parent = sessionTmpParent(installation);
  try {
    mkdirSync(parent, { mode: 0o711 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(parent);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new CorralError('runner_failed', `${parent} must be a root-owned directory writable by root only (found uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}); remove it`);
  }
  const dir = sessionTmpPath(installation, sessionId);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, owner.uid, owner.gid);
  return dir;
}
