/**
 * What a session can read, and why — for `corral policy show`. Pure over the resolved policy
 * and a path-existence check; the runner's view (runner/linux/session-view.ts) is what
 * enforces it, from the same list (core/session-view-spec.ts).
 */
import { posixPaths } from '../../core/paths.js';
import { COVERS, HOME_COVER_WHY } from '../../core/session-view-spec.js';
import type { PlatformName } from '../../core/installation.js';
import type { Policy } from './schema.js';

export interface ReadEntry {
  path: string;
  /** `write`/`read`: visible to the session; `private`: an empty tmpfs of its own; `hidden`, `denied`: not readable. */
  access: 'write' | 'read' | 'private' | 'hidden' | 'denied';
  why: string;
  /** Read roots that do not exist are skipped by the runner. */
  present?: boolean;
}

export function sessionReads(policy: Policy, ctx: { platform: PlatformName; home: string; workspace: string; exists: (path: string) => boolean }): ReadEntry[] {
  const out: ReadEntry[] = [];
  const writable = policy.mode === 'workspace-write' ? [ctx.workspace, ...policy.writableRoots] : [];
  for (const path of writable) out.push({ path, access: 'write', why: path === ctx.workspace ? 'the workspace' : 'writableRoots' });
  if (policy.mode === 'read-only') out.push({ path: ctx.workspace, access: 'read', why: 'the workspace (read-only mode)' });
  if (ctx.platform === 'linux') {
    const homeGiven = [...writable, ...policy.readRoots].some((p) => posixPaths.within(ctx.home, p));
    if (!homeGiven) out.push({ path: ctx.home, access: 'hidden', why: HOME_COVER_WHY });
    for (const path of policy.readRoots) out.push({ path, access: 'read', why: 'readRoots', present: ctx.exists(path) });
    for (const c of COVERS) out.push({ path: c.path, access: 'private', why: c.why });
    out.push({ path: '/', access: 'read', why: "everything else the identity's file permissions allow (system directories, toolchains outside homes)" });
  }
  for (const path of policy.denyRead) out.push({ path, access: 'denied', why: 'denyRead (masked, also inside read and writable roots)' });
  return out;
}

export function formatReads(entries: ReadEntry[]): string[] {
  const lines = ['  what a session can read:'];
  for (const e of entries) {
    const missing = e.present === false ? ' (missing: skipped)' : '';
    lines.push(`    ${e.access.padEnd(8)} ${e.path}${missing}  — ${e.why}`);
  }
  return lines;
}
