/**
 * Throwaway local users for the idmap integration tests: created with useradd (no home,
 * nologin shell), removed with userdel even when a test fails (callers use after()).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

export function createTestUser(role: string): TestUser {
  // ct + 6 hex + role letter: unique per run, far from any real account name.
  const name = `ctid${randomBytes(3).toString('hex')}${role}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { name, uid, gid };
}

export function removeTestUser(user: TestUser | undefined): void {
  if (user === undefined) return;
  try {
    execFileSync('userdel', [user.name], { stdio: 'pipe' });
  } catch (err) {
    console.error(`could not remove test user ${user.name}: ${(err as Error).message}`);
  }
}

/** argv that runs `argv` as `user` (uid, gid, no supplementary groups). */
export function asUser(user: { uid: number; gid: number }, argv: string[]): string[] {
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...argv];
}
