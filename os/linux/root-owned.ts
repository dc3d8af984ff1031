/**
 * "Nobody but root can change this": the file and every directory above it are owned by
 * root and not writable by group or others (a sticky world-writable directory such as /tmp
 * does not count as safe either). The runner trusts a file — its own code, state.json — only
 * when this holds, because anyone who could change it could choose the identity or policy.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';

const GROUP_OR_OTHER_WRITE = 0o022;

/** The first path (from `path` up to `/`) that is not root-owned and locked down, or null. */
export function firstUnsafeAncestor(path: string): { path: string; reason: string } | null {
  for (let current = path; ; current = dirname(current)) {
    let st;
    try {
      st = lstatSync(current);
    } catch (err) {
      return { path: current, reason: (err as Error).message };
    }
    if (st.isSymbolicLink()) return { path: current, reason: 'is a symbolic link' };
    if (st.uid !== 0) return { path: current, reason: `owned by uid ${st.uid}, not root` };
    if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0) return { path: current, reason: `mode ${(st.mode & 0o7777).toString(8)} is writable by group or others` };
    if (current === '/') return null;
  }
}
