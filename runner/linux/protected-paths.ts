/**
 * Protected paths (kept read-only inside writable roots) and read-deny paths (hidden), turned
 * into mounts in the session's mount namespace.
 *
 * - An existing protected directory or file is bound read-only on itself: nothing inside it
 *   can be written or created, and, being a mount point, it cannot be deleted, renamed or
 *   replaced (EBUSY). A `.git` *file* (`gitdir: …`, worktrees and submodules) is bound, and so
 *   is the git directory it names.
 * - A protected *name* that does not exist yet in a writable root is reserved: root creates an
 *   empty placeholder of the kind the tool reading that name expects (core/protected-names.ts)
 *   and binds it read-only, so the sandbox cannot create it: a *directory* (0555, root-owned)
 *   for directory names (`.git`, `.claude`, `.vscode`), which git never tracks; an empty
 *   *file* (0444, root-owned) for file names (`.env`, `.npmrc`, `.mcp.json`), which a host
 *   tool reads as empty — a directory there would be EISDIR to it. An empty file is listed by
 *   the real user's `git status` as untracked while the session lives; the session's own git
 *   ignores it (environment.ts). (`git init` in a fresh workspace would otherwise plant hooks
 *   and config that the real user's git later runs.) The placeholder is visible on disk while
 *   the session lives and is removed at close by the reaper (unless another session still
 *   reserves it). The real user may delete a placeholder on the host at any time (it sits in
 *   their directory; in the host's view it is no mount point) and create their own entry: the
 *   kernel then detaches the session's bind, and that entry is writable by the session until
 *   it closes. An empty `.git` directory is not a repository, so git's discovery skips it and
 *   still finds a parent repository (checked: `git rev-parse --show-toplevel` in a subdirectory).
 * - A protected entry that is a symbolic link is refused: a link in a writable directory can
 *   be replaced, so it cannot be kept read-only.
 * - A read-deny directory gets an empty read-only tmpfs (mode 000) on top; a file gets
 *   /dev/null. Missing read-deny paths need nothing.
 *
 * planProtection is pure (over lstat facts); applyProtection performs it.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { PlaceholderKind } from '../../core/protected-names.js';
import type { GitAccess } from '../../core/vocabulary.js';
import { DOT_FILE_CONTENT, planGitCommit, type ReserveKind } from './git-commit.js';
import { bindReadOnlyAt, maskDirectoryAt, maskFileAt, pinInPlace } from './mount.js';
import { changedWhileSettingUp, isLinkOnPath, openAndStat, openEntryNoFollow, reopenSame, type OpenOptions } from './open-no-symlinks.js';
import { LibcError } from '../../os/linux/libc.js';
import { posixPaths } from '../../core/paths.js';

export type Kind = 'dir' | 'file' | 'symlink' | 'other' | 'missing';
export type { ReserveKind };

export type ProtectionStep =
  | { op: 'bind'; path: string }
  /** Bound on itself, writable as before: a mount point cannot be renamed or removed (nested-git.ts). */
  | { op: 'pin'; path: string }
  | { op: 'reserve'; root: string; name: string; kind: ReserveKind }
  | { op: 'mask-dir'; path: string }
  | { op: 'mask-file'; path: string };

export interface ProtectionInput {
  writableRoots: string[];
  protectedNames: string[];
  /** The placeholder kind a missing name is reserved with (core/protected-names.ts). */
  placeholderKind: (name: string) => PlaceholderKind;
  protectedPaths: string[];
  denyRead: string[];
  /** Policy `git`: under `commit` a root's `.git` directory is planned by git-commit.ts instead of bound whole. */
  git?: GitAccess;
  /** Where the plan says what it could not do as asked (a `.git` kept read-only under `commit`). */
  warnings?: string[];
}

export interface ProtectionFacts {
  kind(path: string): Kind;
  /** Text of a `.git` file. */
  readText(path: string): string;
  canonical(path: string): string | null;
}

/** What the nested-git walk (nested-git.ts) reads besides. */
export interface WalkFacts extends ProtectionFacts {
  /** Entries of a directory (names and kinds), never following links. */
  list(dir: string): { name: string; kind: 'dir' | 'file' | 'symlink' | 'other' }[];
  /** Up to `max` bytes of a regular file, never following a link (throws when missing). */
  readBytes(path: string, max: number): Buffer;
}

/** The git directory a `.git` file names (`gitdir: <path>`, relative to the file's directory). */
export function gitdirTarget(gitFile: string, text: string): string | null {
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (m === null) return null;
  const target = m[1]!;
  return isAbsolute(target) ? target : resolve(dirname(gitFile), target);
}

const within = posixPaths.within;

export function planProtection(input: ProtectionInput, facts: ProtectionFacts): ProtectionStep[] {
  const steps: ProtectionStep[] = [];
  const bound = new Set<string>();
  const bind = (path: string) => {
    if (!bound.has(path)) steps.push({ op: 'bind', path });
    bound.add(path);
  };
  const refuseLink = (path: string): never => {
    throw new CorralError('request_invalid', `protected path ${path} is a symbolic link; a link in a writable directory can be replaced, so Corral cannot keep it read-only — replace it with the real directory or file, or remove it from \`protected\``);
  };
  for (const root of input.writableRoots) {
    for (const name of input.protectedNames) {
      const path = join(root, name);
      const kind = facts.kind(path);
      switch (kind) {
        case 'missing':
          steps.push({ op: 'reserve', root, name, kind: input.placeholderKind(name) });
          bound.add(path);
          break;
        case 'symlink':
          refuseLink(path);
          break;
        case 'dir': {
          if (name === '.git' && input.git === 'commit') {
            const plan = planGitCommit(path, facts);
            if (plan.ok) {
              for (const step of plan.steps) {
                if (step.op === 'bind') bind(step.path);
                else {
                  steps.push(step);
                  bound.add(`${step.root}/${step.name}`);
                }
              }
              break;
            }
            input.warnings?.push(`git: "commit" is not in force for ${path}, which stays read-only: ${plan.why}`);
          }
          bind(path);
          break;
        }
        case 'other':
          bind(path);
          break;
        case 'file': {
          bind(path);
          if (name === '.git') {
            const target = gitdirTarget(path, facts.readText(path));
            const canonical = target === null ? null : facts.canonical(target);
            if (canonical !== null && facts.kind(canonical) === 'dir') bind(canonical);
          }
          break;
        }
      }
    }
  }
  for (const path of input.protectedPaths) {
    const kind = facts.kind(path);
    if (kind === 'symlink') refuseLink(path);
    if (kind === 'missing') {
      const parent = dirname(path);
      // Reserve only where the sandbox could otherwise create it: directly inside a writable tree.
      if (input.writableRoots.some((r) => within(parent, r)) && facts.kind(parent) === 'dir') {
        const name = path.slice(parent.length + 1);
        steps.push({ op: 'reserve', root: parent, name, kind: input.placeholderKind(name) });
      }
      continue;
    }
    bind(path);
  }
  for (const path of input.denyRead) {
    const kind = facts.kind(path);
    if (kind === 'dir') steps.push({ op: 'mask-dir', path });
    else if (kind === 'file' || kind === 'other') steps.push({ op: 'mask-file', path });
  }
  return steps;
}

function kindOf(st: Stats): Kind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

export const liveFacts: WalkFacts = {
  list(dir) {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({
      name: d.name,
      kind: d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other',
    }));
  },
  readBytes(path, max) {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      const buf = Buffer.alloc(Math.min(st.size, max));
      let n = 0;
      while (n < buf.length) {
        const r = readSync(fd, buf, n, buf.length - n, null);
        if (r === 0) break;
        n += r;
      }
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  },
  kind(path) {
    try {
      return kindOf(lstatSync(path));
    } catch {
      return 'missing';
    }
  },
  readText(path) {
    return readFileSync(path, 'utf8').slice(0, 4096);
  },
  canonical(path) {
    try {
      return realpathSync(path);
    } catch {
      return null;
    }
  },
};

/** A placeholder's parent directory, opened once (in the host's mount namespace) and checked. */
export interface PlaceholderDir {
  fd: number;
  dev: number;
  ino: number;
}

/**
 * Open the parent directory of every `reserve` step once (O_PATH), before anything is created,
 * with no link anywhere on its path (open-no-symlinks.ts), and check that it is a directory owned by one of
 * `ownerUids` (the real user, or the identity for directories an earlier session made).
 * Placeholders are then created through these descriptors (/proc/self/fd/<fd>/<name>), and the
 * reaper removes them through the same ones, so a real user who swaps a root for a link
 * afterwards steers neither root's creation nor its removal elsewhere. Close with closePlaceholderDirs.
 */
export function openPlaceholderDirs(steps: ProtectionStep[], ownerUids: number[]): Map<string, PlaceholderDir> {
  const dirs = new Map<string, PlaceholderDir>();
  try {
    for (const step of steps) {
      if (step.op !== 'reserve' || dirs.has(step.root)) continue;
      const opened = openForStep(step.root, { directory: true });
      dirs.set(step.root, { fd: opened.fd, dev: opened.dev, ino: opened.ino });
      if (!ownerUids.includes(opened.stats.uid)) throw new CorralError('workspace_not_owned', `${step.root} changed while the session was being set up`);
    }
    return dirs;
  } catch (err) {
    closePlaceholderDirs(dirs);
    throw err;
  }
}

export function closePlaceholderDirs(dirs: Map<string, PlaceholderDir>): void {
  for (const dir of dirs.values()) closeSync(dir.fd);
  dirs.clear();
}

/**
 * Create the placeholder `name` in `dir` unless an entry is there. EEXIST: an earlier step, a
 * concurrent session's placeholder, or an entry the real user just made; binding it read-only
 * is right for any real directory or file of theirs, but never for a link.
 */
function ensurePlaceholder(dir: PlaceholderDir, root: string, name: string, kind: ReserveKind): void {
  const target = `/proc/self/fd/${dir.fd}/${name}`;
  try {
    if (kind === 'dir') mkdirSync(target, { mode: 0o555 });
    else {
      const fd = openSync(target, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o444);
      try {
        if (kind === 'dot-file') writeSync(fd, DOT_FILE_CONTENT);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (lstatSync(target).isSymbolicLink()) throw new CorralError('request_invalid', `${join(root, name)} turned into a symbolic link while the session was being set up`);
}

/**
 * Bind the placeholder read-only in the session's mount namespace. The host descriptor's mount
 * belongs to the host's namespace (a mount on it would land there), so the root is opened again
 * here and must be the same inode as the checked one; a placeholder that vanished meanwhile
 * (the real user may delete it) is made again, a bounded number of times.
 */
function bindPlaceholder(dir: PlaceholderDir, root: string, name: string, kind: ReserveKind): void {
  const fd = reopenSame(root, dir, { directory: true });
  try {
    for (let attempt = 1; ; attempt++) {
      ensurePlaceholder(dir, root, name, kind);
      let entry: number;
      try {
        entry = openEntryNoFollow(fd, name, join(root, name));
      } catch (err) {
        if (isLinkOnPath(err)) throw changedWhileSettingUp(join(root, name), err);
        if ((err as { details?: { errno?: string } }).details?.errno !== 'ENOENT' || attempt >= 3) throw err;
        continue;
      }
      try {
        bindReadOnlyAt(entry, join(root, name));
        return;
      } finally {
        closeSync(entry);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Turn a `bind` of an entry that is a live placeholder of another session (sharedPlaceholder
 * says so: root-owned, empty, with a marker in the registry) into a `reserve` of it, so that
 * this session counts as one of its holders and the other session's reaper leaves it. Call it
 * under the registry lock, and register the reservations before releasing it.
 */
export function adoptSharedPlaceholders(steps: ProtectionStep[], sharedPlaceholder: (path: string) => ReserveKind | null): ProtectionStep[] {
  return steps.map((step) => {
    if (step.op !== 'bind') return step;
    const kind = sharedPlaceholder(step.path);
    return kind === null ? step : { op: 'reserve', root: dirname(step.path), name: basename(step.path), kind };
  });
}

/**
 * Pin a directory (nested-git.ts). Opened with no link on its path (open-no-symlinks.ts) and
 * checked to be a directory, then bound through /proc/self/fd, so that a directory swapped
 * for a link since the plan was made is refused rather than followed.
 */
function pinDirectory(path: string): void {
  const fd = openForStep(path, { directory: true }).fd;
  try {
    pinInPlace(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Create the placeholders of the plan's `reserve` steps, without binding them. With an
 * idmapped workspace this runs before the idmapped mount is made (uid 0 has no mapping in it);
 * creation goes through the host descriptors, which are not idmapped, in any case.
 */
export function createPlaceholders(steps: ProtectionStep[], dirs: Map<string, PlaceholderDir>): void {
  for (const step of steps) {
    if (step.op === 'reserve') ensurePlaceholder(placeholderDir(dirs, step.root), step.root, step.name, step.kind);
  }
}

function placeholderDir(dirs: Map<string, PlaceholderDir>, root: string): PlaceholderDir {
  const dir = dirs.get(root);
  if (dir === undefined) throw new CorralError('runner_failed', `internal: no descriptor for ${root}`);
  return dir;
}

/**
 * Open a step's path once, with no link anywhere on it (open-no-symlinks.ts): the mount is then
 * made through the descriptor. A link found now (or a path gone) came after the plan, which
 * refuses links: the session is refused rather than following it.
 */
function openForStep(path: string, options: OpenOptions): ReturnType<typeof openAndStat> {
  try {
    return openAndStat(path, options);
  } catch (err) {
    // Gone, a link, not a directory any more: all were otherwise when the plan was made.
    if (err instanceof LibcError) throw changedWhileSettingUp(path, err);
    throw err;
  }
}

function withStepDescriptor(path: string, options: OpenOptions, fn: (fd: number) => void): void {
  const { fd } = openForStep(path, options);
  try {
    fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** Perform the plan in the current (private) mount namespace. Every mount is made through a descriptor. */
export function applyProtection(steps: ProtectionStep[], dirs: Map<string, PlaceholderDir>): void {
  for (const step of steps) {
    switch (step.op) {
      case 'bind':
        withStepDescriptor(step.path, {}, (fd) => bindReadOnlyAt(fd, step.path));
        break;
      case 'pin':
        pinDirectory(step.path);
        break;
      case 'reserve':
        bindPlaceholder(placeholderDir(dirs, step.root), step.root, step.name, step.kind);
        break;
      case 'mask-dir':
        withStepDescriptor(step.path, { directory: true }, (fd) => maskDirectoryAt(fd, step.path));
        break;
      case 'mask-file':
        withStepDescriptor(step.path, {}, (fd) => maskFileAt(fd, step.path));
        break;
    }
  }
}
