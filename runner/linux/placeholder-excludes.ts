/**
 * An excludes file for the session's own git: the file placeholders this session reserves
 * (empty read-only `.env`, `.npmrc`, … — protected-paths.ts) are untracked files in git's
 * eyes, and an agent's `git add -A` would commit them. Directory placeholders need nothing
 * (git never tracks an empty directory). One pattern per reserved file, anchored at the top of
 * the repository only when its writable root is one (`/.env`), else by name (`.env`), which
 * then also hides untracked files of that name deeper down from the session's git — never
 * from the real user's git, whose config Corral does not touch.
 *
 * Convenience, not enforcement: a command may unset the variable; the placeholder is still
 * read-only and empty. Written by root into the fresh session temp dir before anything runs
 * as the identity (root-owned, 0444).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { ProtectionStep } from './protected-paths.js';

export function placeholderExcludePatterns(steps: ProtectionStep[], isRepositoryTop: (dir: string) => boolean): string[] {
  const patterns = new Set<string>();
  for (const step of steps) {
    if (step.op !== 'reserve' || step.kind !== 'file') continue;
    patterns.add(isRepositoryTop(step.root) ? `/${step.name}` : step.name);
  }
  return [...patterns];
}

/** Write `<tmpdir>/.git-placeholders` (null when there is nothing to exclude). */
export function writePlaceholderExcludes(tmpdir: string, steps: ProtectionStep[]): string | null {
  const patterns = placeholderExcludePatterns(steps, (dir) => existsSync(`${dir}/.git`));
  if (patterns.length === 0) return null;
  const file = `${tmpdir}/.git-placeholders`;
  writeFileSync(file, `${patterns.join('\n')}\n`, { mode: 0o444, flag: 'wx' });
  return file;
}
