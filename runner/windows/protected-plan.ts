/**
 * Protected names and paths on Windows: what a session must hold, and what it must reserve.
 * Pure (over facts the caller reads); unit-tested on every OS. session-dirs.ts performs it.
 *
 * Provisioning protects what exists at grant time (deny-write ACEs on `.git`, `.vscode`, …,
 * Grant-CorralWorkspace). What does not exist then would stay writable for good — a later
 * `git init`, `.vscode/tasks.json` or `.mcp.json` then runs code as the real user. So each
 * session, before any command runs:
 *  - reserves every missing protected name in each writable root with an empty placeholder of
 *    the kind the tool reading it expects (core/protected-names.ts, as on Linux: a directory for
 *    `.git`, `.vscode`…, an empty file for `.mcp.json`, `.npmrc`…; a name not in that list gets a
 *    directory), created by the runner with a protected DACL that grants commands no write
 *    (security-descriptor.ts), removed when the session ends;
 *  - holds every protected entry (existing or reserved) open without FILE_SHARE_DELETE while
 *    the session lives, so that no command can delete or rename it (a rename needs DELETE);
 *    a concurrent session's placeholder thereby also outlives the first session's close;
 *  - asks Windows (AccessCheck with the command token) whether a command could write each
 *    existing protected entry, and refuses the session if it could: created after the grant,
 *    it has no deny ACE, and only an elevated setup can add one.
 *
 * Names are matched the way Windows resolves them: case-insensitively (`.GiT` is `.git` on
 * NTFS, so one placeholder blocks every spelling), and a name with a stream or trailing dots
 * or spaces (`.git:x`, `.mcp.json::$DATA`, `.git.`) names the same file, so such spellings are
 * refused as policy entries rather than half-handled. Writes to a stream of a protected entry
 * (`.git:x`) need write access to that entry, which its DACL denies.
 */
import { win32 } from 'node:path';
import type { PlaceholderKind } from '../../core/protected-names.js';

export type EntryKind = 'dir' | 'file' | 'missing' | 'reparse';

export interface ProtectedTarget {
  /** Absolute path of the protected entry. */
  path: string;
  /** The writable root it lies in. */
  root: string;
  /** What a missing entry is reserved with. */
  kind: PlaceholderKind;
}

export type ProtectionStep =
  | { op: 'hold'; path: string; root: string }
  | { op: 'reserve'; path: string; kind: PlaceholderKind }
  | { op: 'warn'; path: string; message: string };

export class ProtectedNameError extends Error {
  override readonly name = 'ProtectedNameError';
}

/** A protected name as Windows would resolve it; throws for spellings that alias another name. */
export function checkProtectedName(name: string): string {
  if (name === '' || name === '.' || name === '..') throw new ProtectedNameError(`protected name ${JSON.stringify(name)} names no entry`);
  if (/[\\/]/.test(name)) throw new ProtectedNameError(`protected name ${JSON.stringify(name)} is a path; list paths as absolute paths`);
  if (name.includes(':')) throw new ProtectedNameError(`protected name ${JSON.stringify(name)} names a stream; protect the entry itself`);
  if (/[. ]$/.test(name)) throw new ProtectedNameError(`protected name ${JSON.stringify(name)} ends in a dot or space, which Windows strips`);
  if (/[\0-\x1f<>"|?*]/.test(name)) throw new ProtectedNameError(`protected name ${JSON.stringify(name)} holds a character Windows does not allow in names`);
  return name;
}

function key(path: string): string {
  return win32.normalize(path).replace(/\\+$/, '').toLowerCase();
}

function inside(path: string, root: string): boolean {
  const p = key(path);
  const r = key(root);
  return p === r || p.startsWith(`${r}\\`);
}

/**
 * The protected entries of a session: each name in each writable root, and each absolute
 * protected path that lies in a writable root (others need nothing: commands can't write
 * there anyway). One target per entry, compared case-insensitively.
 */
export function protectedTargets(
  writableRoots: readonly string[],
  protectedEntries: readonly string[],
  kindOf: (name: string) => PlaceholderKind = () => 'dir',
): ProtectedTarget[] {
  const out = new Map<string, ProtectedTarget>();
  for (const entry of protectedEntries) {
    if (win32.isAbsolute(entry) && /^[A-Za-z]:\\/.test(entry)) {
      const path = win32.normalize(entry).replace(/\\+$/, '');
      if (path.includes(':', 2)) throw new ProtectedNameError(`protected path ${JSON.stringify(entry)} names a stream`);
      const root = writableRoots.find((r) => inside(path, r));
      if (root !== undefined && key(path) !== key(root) && !out.has(key(path))) out.set(key(path), { path, root, kind: kindOf(win32.basename(path)) });
      continue;
    }
    const name = checkProtectedName(entry);
    for (const root of writableRoots) {
      const path = win32.join(root, name);
      if (!out.has(key(path))) out.set(key(path), { path, root, kind: kindOf(name) });
    }
  }
  return [...out.values()];
}

/** What to do for each target, given what is on disk. A reparse point (link, junction) is refused. */
export function planProtection(targets: readonly ProtectedTarget[], kind: (path: string) => EntryKind): ProtectionStep[] {
  const steps: ProtectionStep[] = [];
  for (const target of targets) {
    const found = kind(target.path);
    switch (found) {
      case 'dir':
      case 'file':
        steps.push({ op: 'hold', path: target.path, root: target.root });
        break;
      case 'missing':
        // Reserved only in an existing directory: the runner creates no parents (a parent it
        // made would be the command's to rename). A deeper missing path stays unreserved, said so.
        if (kind(win32.dirname(target.path)) === 'dir') steps.push({ op: 'reserve', path: target.path, kind: target.kind });
        else steps.push({ op: 'warn', path: target.path, message: `protected path ${target.path} is not reserved: its parent directory does not exist` });
        break;
      case 'reparse':
        throw new ProtectedNameError(`protected entry ${target.path} is a link or junction, which a command could replace: remove it, or protect its target`);
    }
  }
  return steps;
}
