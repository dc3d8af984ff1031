/**
 * Path containment and equality, written once for both path flavours.
 *
 * These are lexical checks on paths that callers have already made absolute (and, on
 * Linux, resolved with realpath or opened by descriptor): they never touch the file system.
 * Security decisions that must hold against a path being swapped (symlinks, renames) are
 * made on descriptors elsewhere; these functions only answer "is this text inside that text".
 *
 * POSIX: case-sensitive, `/` only, `..` and `.` segments collapsed, trailing `/` ignored.
 * Windows: case-insensitive (NTFS's default; per-directory case sensitivity is not
 * supported), `/` and `\` both separators, drive letters and UNC roots (`\\server\share`)
 * compared as roots, trailing separators ignored, `..` collapsed.
 */
import { posix, win32 } from 'node:path';

export type PathFlavour = 'posix' | 'windows';

export interface PathRules {
  readonly flavour: PathFlavour;
  /** The canonical text of an absolute path: what `samePath` and `within` compare. */
  normalize(p: string): string;
  /** True when `a` and `b` name the same path. */
  samePath(a: string, b: string): boolean;
  /** True when `p` is `root` or lies below it. */
  within(p: string, root: string): boolean;
  isAbsolute(p: string): boolean;
}

function posixNormalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function windowsNormalize(p: string): string {
  let n = win32.normalize(p.replace(/\//g, '\\'));
  // Keep the root's own separator (`C:\`, `\\server\share\`); strip any other trailing one.
  const root = win32.parse(n).root;
  if (n.length > root.length) n = n.replace(/\\+$/, '');
  return n.toLowerCase();
}

function makeRules(flavour: PathFlavour, normalize: (p: string) => string, sep: string, isAbsolute: (p: string) => boolean): PathRules {
  return {
    flavour,
    normalize,
    isAbsolute,
    samePath: (a, b) => normalize(a) === normalize(b),
    within: (p, root) => {
      const np = normalize(p);
      const nr = normalize(root);
      if (np === nr) return true;
      const prefix = nr.endsWith(sep) ? nr : nr + sep;
      return np.startsWith(prefix);
    },
  };
}

export const posixPaths: PathRules = makeRules('posix', posixNormalize, '/', (p) => posix.isAbsolute(p));
export const windowsPaths: PathRules = makeRules('windows', windowsNormalize, '\\', (p) => /^(?:[a-zA-Z]:[\\/]|[\\/]{2}[^\\/]+[\\/][^\\/]+)/.test(p));

export function pathRules(flavour: PathFlavour): PathRules {
  return flavour === 'posix' ? posixPaths : windowsPaths;
}

/** The host's own path rules: the one place in the floor that asks which OS this is. */
export const nativePaths: PathRules = process.platform === 'win32' ? windowsPaths : posixPaths;
