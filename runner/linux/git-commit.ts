/**
 * Policy `git: "commit"`: the top-level `.git` directory of a writable root takes commits,
 * branches and stashes, while everything in it that makes git run code (or changes where git
 * reads its config, hooks or objects from) stays read-only. Under the default `git: "read"`
 * the whole `.git` is bound read-only instead (protected-paths.ts).
 *
 * Threat model: whatever the session leaves in `.git` is read by the real user's git later,
 * as the real user. Objects, refs, the index, logs, HEAD, ORIG_HEAD, packed-refs,
 * COMMIT_EDITMSG, MERGE_*, the stash are data: the worst a session does with them is rewrite
 * or destroy the local history (which it could also write as files in the work tree). What is
 * not data is listed in GIT_CODE_PATHS, each with why: those entries are bound read-only
 * when they exist and reserved (a root-owned placeholder, bound read-only) when they do not,
 * so the session can neither change nor create them. `.git` itself, `.git/objects` and
 * `.git/objects/info` are pinned (bound on themselves, writable: nested-git.ts pins every
 * directory above a deep protected path), so none of them can be renamed away and rebuilt.
 *
 * Only a `.git` *directory* at the top of a writable root gets this; everything else stays
 * read-only under both settings: a `gitdir:` file and the directory it names (a linked
 * worktree or submodule work tree: its common directory is elsewhere), nested repositories,
 * and `modules/` and `worktrees/` inside (below). A `.git` whose pinned directories or listed
 * entries are symbolic links (`hooks -> ../scripts/hooks`) cannot be kept that way: it is
 * bound read-only as a whole, with a warning.
 *
 * Pure over `facts`; the mounts are made by protected-paths.ts (`bind`, `reserve`, `pin`).
 */
import type { PlaceholderKind } from '../../core/protected-names.js';

/**
 * A placeholder's kind: the protected names' two (core/protected-names.ts), and `dot-file`, a
 * read-only file holding `.` and a newline (only `commondir`, whose mere presence git acts on).
 */
export type ReserveKind = PlaceholderKind | 'dot-file';

/** The steps this plan makes (a subset of protected-paths.ts ProtectionStep). */
export type GitCommitStep = { op: 'bind'; path: string } | { op: 'reserve'; root: string; name: string; kind: ReserveKind };

/** What the plan reads (protected-paths.ts liveFacts). */
export interface GitDirFacts {
  kind(path: string): 'dir' | 'file' | 'symlink' | 'other' | 'missing';
}

/** The content of a `dot-file` placeholder. */
export const DOT_FILE_CONTENT = '.\n';

export interface GitCodePath {
  /** Relative to the git directory. */
  path: string;
  /** The placeholder a missing one is reserved with. */
  kind: ReserveKind;
  why: string;
}

/**
 * What stays read-only in a git directory under `git: "commit"`, and why. The one list: the
 * planner below, `corral policy show`'s explanation and SECURITY.md follow it.
 */
export const GIT_CODE_PATHS: readonly GitCodePath[] = [
  {
    path: 'config',
    kind: 'file',
    why: 'core.fsmonitor, core.hooksPath, core.pager/editor/sshCommand, alias.*, filter/diff/merge drivers, credential helpers and include/includeIf run or load code; remote.* and branch.* name where pushes go',
  },
  { path: 'config.worktree', kind: 'file', why: 'the same keys, read when extensions.worktreeConfig is on (an empty placeholder is an empty config)' },
  { path: 'hooks', kind: 'dir', why: 'scripts git runs on commit, checkout, merge, rebase, push (pre-commit, post-checkout, …)' },
  {
    path: 'info',
    kind: 'dir',
    why: 'info/attributes selects filter, diff (textconv) and merge drivers for every path; info/exclude hides files from the real user\'s git status; info/sparse-checkout and info/grafts change what git shows',
  },
  {
    path: 'modules',
    kind: 'dir',
    why: 'submodules\' git directories, each with its own config and hooks; a new one there is adopted by the real user\'s `git submodule update` (submodules stay read-only: commits inside them are refused)',
  },
  {
    path: 'worktrees',
    kind: 'dir',
    why: 'linked worktrees\' git directories: their config.worktree, commondir and gitdir files choose the config and work tree git uses',
  },
  {
    path: 'commondir',
    kind: 'dot-file',
    why: 'names the directory git takes config, hooks, objects and refs from: a session-written one would make the real user\'s git read a config the session wrote. Its placeholder says "." (this directory), which git reads as no redirection; an empty one would stop git',
  },
  { path: 'branches', kind: 'dir', why: 'legacy remote definitions (URLs `git fetch`/`git push <name>` use)' },
  { path: 'remotes', kind: 'dir', why: 'legacy remote definitions (URLs and refspecs of `git fetch`/`git push <name>`)' },
  {
    path: 'objects/info/alternates',
    kind: 'file',
    why: 'directories git reads objects from: a session could make the repository depend on an object store it controls, or on one that vanishes with the session',
  },
  { path: 'objects/info/http-alternates', kind: 'file', why: 'the same, for fetches over dumb HTTP' },
];

/** Directories that must be real directories (they are pinned, and hold listed entries). */
const PINNED_DIRS = ['objects', 'objects/info'] as const;

export type GitCommitPlan = { ok: true; steps: GitCommitStep[] } | { ok: false; why: string };

/**
 * The steps that keep `gitDir` (an existing `.git` directory at the top of a writable root)
 * writable for commits but not for code. `ok: false` says why it must stay read-only instead.
 */
export function planGitCommit(gitDir: string, facts: GitDirFacts): GitCommitPlan {
  for (const dir of PINNED_DIRS) {
    const kind = facts.kind(`${gitDir}/${dir}`);
    if (kind === 'missing' && dir === 'objects/info') continue; // reserved below
    if (kind !== 'dir') return { ok: false, why: `${gitDir}/${dir} is ${describe(kind)}, not a directory` };
  }
  const steps: GitCommitStep[] = [];
  const objectsInfoMissing = facts.kind(`${gitDir}/objects/info`) === 'missing';
  if (objectsInfoMissing) {
    // git init makes it; without it, the alternates files could be created in it. Reserved as
    // an empty read-only directory: the cost is that commit-graph and `git gc` cannot write there.
    steps.push({ op: 'reserve', root: `${gitDir}/objects`, name: 'info', kind: 'dir' });
  }
  for (const entry of GIT_CODE_PATHS) {
    if (objectsInfoMissing && entry.path.startsWith('objects/info/')) continue;
    const path = `${gitDir}/${entry.path}`;
    const kind = facts.kind(path);
    if (kind === 'symlink') return { ok: false, why: `${path} is a symbolic link, which a session could replace` };
    if (kind === 'missing') {
      const slash = path.lastIndexOf('/');
      steps.push({ op: 'reserve', root: path.slice(0, slash), name: path.slice(slash + 1), kind: entry.kind });
    } else {
      steps.push({ op: 'bind', path });
    }
  }
  return { ok: true, steps };
}

function describe(kind: string): string {
  switch (kind) {
    case 'missing':
      return 'missing';
    case 'symlink':
      return 'a symbolic link';
    case 'file':
      return 'a file';
    default:
      return 'not a plain directory';
  }
}
