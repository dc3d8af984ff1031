/**
 * The session's host-side temp directory (reported in hello; the commands' TMPDIR is the
 * view's private tmpfs /tmp): /run/<inst>/sessions/<session>, mode 0700, owned by the
 * identity. The parent lives in the installation's root-only run directory (run-dir.ts), not
 * in world-writable /tmp, where a fixed name could be created first by any local user.
 * Removed by the reaper at close.
 */
import { chownSync, mkdirSync } from 'node:fs';
import { ensureRunSubdir, installationRunDir } from './run-dir.js';

const SUBDIR = 'sessions';

export function sessionTmpParent(installation: string): string {
  return `${installationRunDir(installation)}/${SUBDIR}`;
}

export function sessionTmpPath(installation: string, sessionId: string): string {
  return `${sessionTmpParent(installation)}/${sessionId}`;
}

export function createSessionTmp(installation: string, sessionId: string, owner: { uid: number; gid: number }): string {
  ensureRunSubdir(installation, SUBDIR);
  const dir = sessionTmpPath(installation, sessionId);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, owner.uid, owner.gid);
  return dir;
}
