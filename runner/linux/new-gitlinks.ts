/**
 * `git: "commit"`, at the end of a session: a submodule entry (gitlink) the session added to a
 * repository's index, at a path where it also made a new git directory, is neutralised.
 *
 * Attack this stops: under `commit` the index is writable. The session creates `p/.git` (a new
 * nested repository, its config setting `core.fsmonitor`; under idmapping it belongs to the
 * real user on disk, so their git trusts it) and adds a gitlink `p` to the index
 * (`git update-index --add --cacheinfo 160000,…,p`; no `.gitmodules` entry is needed). The real
 * user's plain `git status` in the superproject then runs `git status` inside `p`, and with it
 * the session's fsmonitor (checked with git 2.39).
 *
 * At session start (root phase) the gitlinks of each `commit` repository's index are recorded,
 * and so are the nested `.git` entries that existed (nested-git.ts binds them read-only: the
 * session cannot have changed those). At close, once every command of the session is dead
 * (cgroup.kill), the runner reads the index again (as data: git-index.ts) and, for a gitlink
 * that is new and whose `.git` did not exist at start, renames that `.git` to
 * `.git-corral-quarantine-<session>` — nothing is deleted, and the real user's git no longer
 * enters it. A later session cannot re-create it: the gitlink is then a submodule slot, which
 * nested-git.ts reserves.
 *
 * Limits, said in the README: this runs when the runner closes the session; a runner killed
 * (SIGKILL) before it closes leaves the entry for the root reaper, which does not read indexes.
 * A gitlink held only in a split index's shared file is not seen (git-index.ts).
 */
import { lstatSync, renameSync } from 'node:fs';
import { indexGitlinks, MAX_INDEX_BYTES } from './git-index.js';
import type { WalkFacts } from './protected-paths.js';

export interface GitlinkBaseline {
  /** Work tree of a repository under `commit` (a writable root). */
  repo: string;
  /** Its gitlinks at session start. */
  gitlinks: Set<string>;
}

function gitlinksOf(repo: string, facts: Pick<WalkFacts, 'readBytes'>): string[] {
  let index: Buffer;
  try {
    index = facts.readBytes(`${repo}/.git/index`, MAX_INDEX_BYTES);
  } catch {
    return [];
  }
  let sha256 = false;
  try {
    sha256 = /^\s*objectformat\s*=\s*sha256\s*$/im.test(facts.readBytes(`${repo}/.git/config`, 1 << 16).toString('utf8'));
  } catch {
    // no config: SHA-1
  }
  return indexGitlinks(index, sha256 ? 32 : 20).filter(safeRelative);
}

function safeRelative(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.split('/').some((c) => c === '..' || c === '.' || c === '');
}

export function recordGitlinks(repos: string[], facts: Pick<WalkFacts, 'readBytes'>): GitlinkBaseline[] {
  return repos.map((repo) => ({ repo, gitlinks: new Set(gitlinksOf(repo, facts)) }));
}

/** The `.git` entries to quarantine: of gitlinks not in the baseline, those that exist now and did not at start. Pure. */
export function newGitlinkGitDirs(baseline: GitlinkBaseline[], facts: Pick<WalkFacts, 'readBytes'>, existsNow: (path: string) => boolean, existedAtStart: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const { repo, gitlinks } of baseline) {
    for (const p of gitlinksOf(repo, facts)) {
      if (gitlinks.has(p)) continue;
      const dotGit = `${repo}/${p}/.git`;
      if (existsNow(dotGit) && !existedAtStart(dotGit)) out.push(dotGit);
    }
  }
  return out;
}

/** Rename each of `dotGits` aside; returns what it did, one line each, for the runner's stderr. */
export function quarantine(dotGits: string[], sessionId: string): string[] {
  const lines: string[] = [];
  for (const dotGit of dotGits) {
    const aside = `${dotGit}-corral-quarantine-${sessionId}`;
    try {
      renameSync(dotGit, aside);
      lines.push(`the session added a submodule entry for ${dotGit.slice(0, -5)} and made its .git, which your git status would have entered and run; moved it to ${aside}`);
    } catch (err) {
      lines.push(`the session added a submodule entry for ${dotGit.slice(0, -5)} and made its .git; moving it aside failed (${(err as NodeJS.ErrnoException).code ?? String(err)}): do not run git in that repository before you check ${dotGit}/config`);
    }
  }
  return lines;
}

export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
