/**
 * The privilege bridge: `/etc/sudoers.d/<installation>`, one rule letting members of the
 * installation's user group run the installed runner — that exact Node binary with that
 * exact entry point and no other arguments (a command with arguments in sudoers matches
 * only those arguments) — as root without a password.
 *
 * Threat model: every member of the group can make root run this command, so both paths
 * must be root-owned and writable by no one else, as must every file the runner loads
 * (runner-install.ts installs and checks them). The rule never names a checkout.
 *
 * Installed by writing a temp file in /etc/sudoers.d whose name contains a dot (sudo's
 * includedir skips such names), checking it with `visudo -cf`, setting 0440 root:root,
 * then renaming it into place; a file visudo rejects is never installed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import { run } from './exec.js';

export const SUDOERS_MODE = 0o440;
const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;
const GROUP = /^[a-z_][a-z0-9_-]*$/;

/** The one rule line. */
export function sudoersLine(inst: Pick<Installation, 'userGroup' | 'runnerNode' | 'runnerEntry'>): string {
  if (!GROUP.test(inst.userGroup)) throw new CorralError('internal', `bad group name ${JSON.stringify(inst.userGroup)}`);
  for (const p of [inst.runnerNode, inst.runnerEntry]) {
    // sudoers treats spaces, commas, colons, equals and backslashes specially; our paths have none.
    if (!SAFE_PATH.test(p)) throw new CorralError('internal', `path ${JSON.stringify(p)} cannot appear in a sudoers rule`);
  }
  return `%${inst.userGroup} ALL=(root) NOPASSWD: ${inst.runnerNode} ${inst.runnerEntry}`;
}

export function sudoersContent(inst: Pick<Installation, 'name' | 'userGroup' | 'runnerNode' | 'runnerEntry'>): string {
  return [
    `# Corral (${inst.name}): lets members of group ${inst.userGroup} start the session runner, and only it, as root.`,
    '# Installed and checked by `corral setup`; removed by `corral teardown`. Do not edit.',
    sudoersLine(inst),
    '',
  ].join('\n');
}

export interface SudoersFacts {
  content: string | null;
  mode: number;
  uid: number;
  gid: number;
}

export function readSudoers(file: string): SudoersFacts {
  try {
    const st = lstatSync(file);
    if (!st.isFile()) return { content: '', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    return { content: readFileSync(file, 'utf8'), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { content: null, mode: 0, uid: -1, gid: -1 };
    throw err;
  }
}

/** What differs from the desired file (empty: as desired). */
export function sudoersDrift(facts: SudoersFacts, desired: string): string[] {
  if (facts.content === null) return ['missing'];
  const out: string[] = [];
  if (facts.content !== desired) out.push('content differs');
  if (facts.mode !== SUDOERS_MODE) out.push(`mode ${facts.mode.toString(8)}, expected ${SUDOERS_MODE.toString(8)}`);
  if (facts.uid !== 0 || facts.gid !== 0) out.push(`owner ${facts.uid}:${facts.gid}, expected 0:0`);
  return out;
}

/** Write, check with visudo, then rename into place (see the module comment). */
export async function installSudoers(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chownSync(tmp, 0, 0);
    chmodSync(tmp, SUDOERS_MODE);
    await run('visudo', ['-c', '-q', '-f', tmp]);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // Read back: the whole sudo configuration must still parse with our file in it.
  await run('visudo', ['-c', '-q']);
}
