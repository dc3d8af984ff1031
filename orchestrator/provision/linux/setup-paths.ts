/** Pure path arithmetic of Linux setup planning (no file system access). */
import path from 'node:path';
import { posixPaths } from '../../../core/paths.js';

/** The ancestors of `dir`, from `/` down, excluding `dir` itself. */
export function ancestorsOf(dir: string): string[] {
  const out: string[] = [];
  let cur = path.dirname(dir);
  for (;;) {
    out.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return out;
}

/**
 * Where the protected entries of policy would be inside `workspace`: names at its root, and
 * absolute paths below it (others are outside this workspace and ignored), sorted, unique.
 * Whether each exists is a fact (setup-facts.ts).
 */
export function protectedCandidates(workspace: string, entries: readonly string[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    const p = e.includes('/') ? e : path.join(workspace, e);
    if (!posixPaths.within(p, workspace) || posixPaths.samePath(p, workspace)) continue;
    out.add(p);
  }
  return [...out].sort();
}
