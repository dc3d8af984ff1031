/**
 * Protection below the first level (planProtection covers the names at each writable root).
 *
 * Attack this stops: the session rewrites a submodule's `.git` file (or plants one in an
 * uninitialized submodule's directory) so that it names a git directory the session made,
 * whose config sets `core.fsmonitor`; the real user's plain `git status` in the superproject
 * then runs that command as the real user (status runs `git status` in every populated
 * submodule). Or it edits a nested repository's `.git/config` directly. Or it renames the
 * parent of a deep protected path away and makes a new one in its place.
 *
 * - every existing `.git` below a writable root's top (a nested repository's directory, a
 *   submodule's `gitdir:` file) is bound read-only, and so is the git directory a `gitdir:`
 *   file names when it lies in a writable root and is not inside a bound one already;
 * - every submodule *slot* — a gitlink of a repository's index (git-index.ts), or a `path =`
 *   of a `.gitmodules` — that has no `.git` yet is reserved: an empty root-owned `.git`
 *   directory in it (not a repository: git keeps treating the submodule as not populated),
 *   or, when the slot's directory (or a parent of it) is missing, that first missing
 *   directory, reserved empty;
 * - every directory between a writable root and a path bound or reserved below its first
 *   level (from this plan and from planProtection: deep `protected` paths, a worktree's git
 *   directory) is *pinned*: bound on itself (writable as before, so nothing changes for
 *   normal work), which makes it a mount point in the session's namespace, so rename(2) and
 *   rmdir(2) of it fail with EBUSY. Chosen over limiting protected paths to the first level,
 *   which could not cover submodules. Cost: a pinned directory cannot be renamed or removed
 *   by the session (e.g. `rm -rf vendor` where vendor/lib is a nested repository).
 *
 * Found by a bounded walk (WALK_LIMITS) in the root phase: `.git` and `node_modules` are not
 * descended into, links are never followed, a walk cut short says so in a warning. Nothing in
 * the workspace is believed: `.gitmodules` paths and index paths are data (never above their
 * repository, never absolute), and git itself is never run here (it would honour the
 * repository's config as root). Not covered, and said in the README: a nested repository the
 * session creates anew (git status of the superproject does not run anything in an untracked
 * nested repository, but the real user's git inside it would).
 *
 * Pure over `facts`; the mounts are made by protected-paths.ts (`pin`, `bind`, `reserve`).
 */
import { posix } from 'node:path';
import { posixPaths } from '../../core/paths.js';
import { indexGitlinks, MAX_INDEX_BYTES } from './git-index.js';
import { gitdirTarget, type ProtectionFacts, type ProtectionStep, type WalkFacts } from './protected-paths.js';

export const WALK_LIMITS = { entries: 50_000, depth: 16, pins: 512, repositories: 512 } as const;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** Submodule paths of a `.gitmodules` text (`path = …` lines), relative to its directory. */
export function submodulePaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)) out.push(m[1]!.replace(/^"(.*)"$/, '$1'));
  return out.filter(safeRelative);
}

/** A relative path that stays below its base: not absolute, no `..`, `.` or empty segment. */
function safeRelative(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.split('/').some((c) => c === '..' || c === '.' || c === '');
}

export interface NestedInput {
  writableRoots: string[];
  /** planProtection's steps: their binds and reservations are pinned too, and not repeated. */
  protection: ProtectionStep[];
}

export interface NestedPlan {
  /** Pins first (shallow to deep), then reservations, then binds. */
  steps: ProtectionStep[];
  /**
   * The work trees the walk found (every directory holding a `.git` directory or `gitdir:` file,
   * the roots' own included), for git's safe.directory in the session (environment.ts): where the
   * workspace is reached through ACL grants (no idmap: the real user is root, or the filesystem
   * cannot be idmapped) the session's uid does not own the real user's repositories, and git 2.39
   * matches safe.directory exactly (a trailing `/*` needs git 2.46), so trusting the workspace
   * alone leaves a repository in a subdirectory "dubious". At most WALK_LIMITS.repositories.
   */
  repositories: string[];
  warnings: string[];
}

interface Found {
  /** Nested `.git` entries (below a root's top). */
  nested: string[];
  /** Directories holding a `.git` (the roots' own included): their index names gitlinks. */
  repositories: string[];
  /** `.gitmodules` files. */
  gitmodules: string[];
}

function walk(roots: string[], facts: WalkFacts, warnings: string[]): Found {
  const found: Found = { nested: [], repositories: [], gitmodules: [] };
  let budget = WALK_LIMITS.entries;
  for (const root of roots) {
    const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
    let cut = false;
    while (queue.length > 0) {
      if (budget <= 0) {
        cut = true;
        break;
      }
      const { dir, depth } = queue.shift()!;
      let entries: ReturnType<WalkFacts['list']>;
      try {
        entries = facts.list(dir);
      } catch {
        continue;
      }
      budget -= entries.length;
      for (const e of entries) {
        const path = `${dir}/${e.name}`;
        if (e.name === '.git' && (e.kind === 'dir' || e.kind === 'file')) {
          found.repositories.push(dir);
          if (depth > 0) found.nested.push(path);
        }
        if (e.name === '.gitmodules' && e.kind === 'file') found.gitmodules.push(path);
        if (e.kind !== 'dir' || SKIP_DIRS.has(e.name)) continue;
        if (depth + 1 < WALK_LIMITS.depth) queue.push({ dir: path, depth: depth + 1 });
        else cut = true;
      }
    }
    if (cut) warnings.push(`nested .git search in ${root} stopped (${WALK_LIMITS.entries} entries or ${WALK_LIMITS.depth} levels): repositories deeper or further on are not protected`);
  }
  return found;
}

/** The git directory of a repository whose work tree is `dir` (`.git` itself, or what its `gitdir:` file names). */
function gitDirOf(dir: string, facts: WalkFacts): string | null {
  const dotGit = `${dir}/.git`;
  const kind = facts.kind(dotGit);
  if (kind === 'dir') return dotGit;
  if (kind !== 'file') return null;
  const target = gitdirTarget(dotGit, safeText(facts, dotGit));
  const canonical = target === null ? null : facts.canonical(target);
  return canonical !== null && facts.kind(canonical) === 'dir' ? canonical : null;
}

function slotsOf(found: Found, facts: WalkFacts): string[] {
  const slots: string[] = [];
  for (const file of found.gitmodules) {
    const dir = posix.dirname(file);
    for (const p of submodulePaths(safeBytes(facts, file, 1 << 20))) slots.push(`${dir}/${p}`);
  }
  for (const repo of found.repositories) {
    const gitDir = gitDirOf(repo, facts);
    if (gitDir === null) continue;
    let index: Buffer;
    try {
      index = facts.readBytes(`${gitDir}/index`, MAX_INDEX_BYTES);
    } catch {
      continue;
    }
    const sha256 = /^\s*objectformat\s*=\s*sha256\s*$/im.test(safeBytes(facts, `${gitDir}/config`, 1 << 16));
    for (const p of indexGitlinks(index, sha256 ? 32 : 20)) if (safeRelative(p)) slots.push(`${repo}/${p}`);
  }
  return [...new Set(slots)];
}

export function planNestedGit(input: NestedInput, facts: WalkFacts): NestedPlan {
  const warnings: string[] = [];
  const { writableRoots } = input;
  const rootOf = (p: string) => writableRoots.find((r) => posixPaths.within(p, r) && !posixPaths.samePath(p, r));
  const found = walk(writableRoots, facts, warnings);

  const bound: string[] = [];
  const reserved = new Set<string>();
  for (const step of input.protection) {
    if (step.op === 'bind') bound.push(step.path);
    if (step.op === 'reserve') reserved.add(`${step.root}/${step.name}`);
  }
  const covered = (p: string) => bound.some((b) => posixPaths.within(p, b)) || reserved.has(p);

  const binds: string[] = [];
  const bind = (p: string) => {
    if (covered(p)) return;
    binds.push(p);
    bound.push(p);
  };
  for (const git of found.nested) {
    bind(git);
    if (facts.kind(git) === 'file') {
      const target = gitdirTarget(git, safeText(facts, git));
      const canonical = target === null ? null : facts.canonical(target);
      if (canonical !== null && facts.kind(canonical) === 'dir' && rootOf(canonical) !== undefined) bind(canonical);
    }
  }

  const reserves: ProtectionStep[] = [];
  const reserve = (path: string) => {
    if (covered(path)) return;
    reserved.add(path);
    reserves.push({ op: 'reserve', root: posix.dirname(path), name: posix.basename(path), kind: 'dir' });
  };
  for (const slot of slotsOf(found, facts)) {
    const root = rootOf(slot);
    if (root === undefined) continue;
    // The first component of the slot (below the root) that is not a directory.
    let at = root;
    let blocked: 'missing' | 'other' | null = null;
    for (const part of slot.slice(root.length + 1).split('/')) {
      at = `${at}/${part}`;
      const kind = facts.kind(at);
      if (kind === 'dir') continue;
      blocked = kind === 'missing' ? 'missing' : 'other';
      break;
    }
    if (blocked === null) {
      if (facts.kind(`${slot}/.git`) === 'missing') reserve(`${slot}/.git`);
    } else if (blocked === 'missing') {
      reserve(at);
    } else {
      warnings.push(`submodule path ${slot} is blocked by ${at}, which is not a directory: it is not reserved`);
    }
  }

  // Pins: every directory strictly between a root and a deep bound or reserved path.
  const pins = new Set<string>();
  for (const p of [...bound, ...reserved]) {
    const root = rootOf(p);
    if (root === undefined) continue;
    for (let d = posix.dirname(p); !posixPaths.samePath(d, root) && posixPaths.within(d, root); d = posix.dirname(d)) pins.add(d);
  }
  let pinList = [...pins].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  if (pinList.length > WALK_LIMITS.pins) {
    warnings.push(`${pinList.length} directories lead to deep protected paths; only the first ${WALK_LIMITS.pins} are pinned against renaming`);
    pinList = pinList.slice(0, WALK_LIMITS.pins);
  }
  let repositories = [...new Set(found.repositories)];
  if (repositories.length > WALK_LIMITS.repositories) {
    warnings.push(`${repositories.length} git repositories found; git trusts only the first ${WALK_LIMITS.repositories} in the session (safe.directory)`);
    repositories = repositories.slice(0, WALK_LIMITS.repositories);
  }
  return {
    steps: [...pinList.map((path): ProtectionStep => ({ op: 'pin', path })), ...reserves, ...binds.map((path): ProtectionStep => ({ op: 'bind', path }))],
    repositories,
    warnings,
  };
}

function safeBytes(facts: WalkFacts, path: string, max: number): string {
  try {
    return facts.readBytes(path, max).toString('utf8');
  } catch {
    return '';
  }
}

function safeText(facts: ProtectionFacts, path: string): string {
  try {
    return facts.readText(path);
  } catch {
    return '';
  }
}
