/**
 * The root-owned copy of the runner that the sudo rule names (sudoers.ts):
 *
 *   <libDir>/bin/node              a copy of the Node binary running setup (process.execPath)
 *   <libDir>/app/package.json
 *   <libDir>/app/dist/…            the built dist, minus dist/test and dist/bench
 *   <libDir>/app/node_modules/…    the packages the runner's module graph imports, with
 *                                  their dependencies (koffi and its native package)
 *
 * Threat model: sudo runs <libDir>/bin/node <entry> as root for every member of the user
 * group, so every one of these files, and every directory above them up to `/`, must be
 * root-owned and not writable by group or other — otherwise that member could replace
 * code that root runs. Files are copied with fixed modes (0755 dirs and executables,
 * 0644 others) and owner root:root; symbolic links in the sources are refused rather
 * than followed. `status` re-checks ownership, modes and the digest.
 *
 * Digests (SHA-256): the sources' — content of our own built files (a rebuild that changes
 * nothing copies nothing), size and mtime of the Node binary and the dependencies (the
 * binary alone is ~100 MB and the dependencies ~1000 files: hashing them on every run
 * would make a no-op setup slow; npm and package managers give changed files new mtimes)
 * — and the installed copy's: size and mtime of every file, taken right after copying,
 * so `status` reports a file modified since. A change that keeps size
 * and mtime needs root on the installed side, and is not what these digests are for:
 * ownership and modes are the security check.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  utimesSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError } from '../../../core/errors.js';

/** One file to install: where it comes from, where it goes (relative to libDir). */
export interface InstallFile {
  source: string;
  target: string;
  /** Digest by size and mtime (the Node binary, dependencies, installed files), not content. */
  statOnly: boolean;
}

const EXCLUDED_DIST = new Set(['test', 'bench']);
const BUILTINS = new Set(builtinModules);

/** The package root of this build: the directory above `dist/`. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name;
      if (name === 'corral') return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new CorralError('internal', `no corral package.json above ${from}`);
    dir = up;
  }
}

function walkFiles(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else if (e.isFile()) out.push(p);
    else throw new CorralError('step_failed', `${p}: not a regular file or directory; the runner install copies only those`);
  }
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Bare package names imported by the runner's module graph (dist/runner/**, following relative imports). */
export function runnerPackages(distDir: string): string[] {
  const runnerDir = path.join(distDir, 'runner');
  const start: string[] = [];
  if (existsSync(runnerDir)) walkFiles(runnerDir, start);
  const queue = start.filter((f) => f.endsWith('.js'));
  const seen = new Set(queue);
  const packages = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || BUILTINS.has(spec)) continue;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (target.endsWith('.js') && existsSync(target) && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
        continue;
      }
      const parts = spec.split('/');
      packages.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return [...packages].sort();
}

/** Add each package's installed dependencies (and optional ones that are present). */
export function withDependencies(nodeModules: string, roots: readonly string[]): string[] {
  const out = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (out.has(name)) continue;
    const pkgFile = path.join(nodeModules, name, 'package.json');
    if (!existsSync(pkgFile)) {
      throw new CorralError('step_failed', `the runner imports ${name}, which is not installed in ${nodeModules}; run npm install`);
    }
    out.add(name);
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push(dep);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      if (existsSync(path.join(nodeModules, dep, 'package.json'))) queue.push(dep);
    }
  }
  return [...out].sort();
}

/** Everything the install copies, in a stable order. */
export function installSources(root: string = packageRoot(), nodeBinary: string = process.execPath): InstallFile[] {
  const distDir = path.join(root, 'dist');
  if (!existsSync(distDir)) throw new CorralError('step_failed', `${distDir} does not exist; run npm run build first`);
  const files: InstallFile[] = [{ source: realpathSync(nodeBinary), target: 'bin/node', statOnly: true }];
  files.push({ source: path.join(root, 'package.json'), target: 'app/package.json', statOnly: false });
  for (const e of readdirSync(distDir, { withFileTypes: true })) {
    if (EXCLUDED_DIST.has(e.name)) continue;
    const list: string[] = [];
    const p = path.join(distDir, e.name);
    if (e.isDirectory()) walkFiles(p, list);
    else if (e.isFile()) list.push(p);
    for (const f of list) {
      // Type declarations and source maps are not needed to run.
      if (f.endsWith('.d.ts') || f.endsWith('.map')) continue;
      files.push({ source: f, target: path.join('app/dist', path.relative(distDir, f)), statOnly: false });
    }
  }
  const nodeModules = path.join(root, 'node_modules');
  for (const name of withDependencies(nodeModules, runnerPackages(distDir))) {
    const list: string[] = [];
    walkFiles(path.join(nodeModules, name), list);
    for (const f of list) files.push({ source: f, target: path.join('app/node_modules', path.relative(nodeModules, f)), statOnly: true });
  }
  return files.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** The digest of a set of files (see the module comment). */
export function digestFiles(files: readonly InstallFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f.target}\0`);
    if (f.statOnly) {
      const st = lstatSync(f.source);
      h.update(`size=${st.size} mtime=${Math.trunc(st.mtimeMs)}\0`);
    } else {
      h.update(readFileSync(f.source));
      h.update('\0');
    }
  }
  return h.digest('hex');
}

/** The files installed in `libDir` (walked, not taken from the sources), or null when bin/ or app/ is missing. */
export function installedFiles(libDir: string): InstallFile[] | null {
  const list: string[] = [];
  try {
    walkFiles(path.join(libDir, 'bin'), list);
    walkFiles(path.join(libDir, 'app'), list);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return list
    .map((f) => {
      const target = path.relative(libDir, f);
      return { source: f, target, statOnly: true };
    })
    .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** The digest of what is installed in `libDir`, or null when it is not (completely) there. */
export function installedDigest(libDir: string): string | null {
  const files = installedFiles(libDir);
  return files === null ? null : digestFiles(files);
}

/** Copy into a staging directory, then rename `bin` and `app` into place. */
export function installRunner(libDir: string, files: readonly InstallFile[]): void {
  mkdirSync(libDir, { recursive: true, mode: 0o755 });
  chownSync(libDir, 0, 0);
  chmodSync(libDir, 0o755);
  const stage = path.join(libDir, `.stage-${randomBytes(6).toString('hex')}`);
  mkdirSync(stage, { mode: 0o700 });
  try {
    for (const f of files) {
      const target = path.join(stage, f.target);
      mkdirParents(stage, path.dirname(target));
      copyFileSync(f.source, target);
      const st = lstatSync(f.source);
      chownSync(target, 0, 0);
      chmodSync(target, (st.mode & 0o111) !== 0 ? 0o755 : 0o644);
      utimesSync(target, st.atime, st.mtime);
    }
    chmodSync(stage, 0o755);
    for (const top of ['bin', 'app']) {
      const dest = path.join(libDir, top);
      const old = path.join(libDir, `.old-${randomBytes(6).toString('hex')}`);
      if (existsSync(dest)) renameSync(dest, old);
      renameSync(path.join(stage, top), dest);
      rmSync(old, { recursive: true, force: true });
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function mkdirParents(base: string, dir: string): void {
  const rel = path.relative(base, dir);
  let cur = base;
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    cur = path.join(cur, part);
    if (!existsSync(cur)) {
      mkdirSync(cur, { mode: 0o755 });
      chownSync(cur, 0, 0);
      chmodSync(cur, 0o755);
    }
  }
}

/**
 * Ownership and mode problems of the installed tree and of every directory above it:
 * each must be owned by root and not writable by group or other. Empty: safe.
 */
export function ownershipProblems(libDir: string): string[] {
  const problems: string[] = [];
  const check = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch (err) {
      problems.push(`${p}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      return;
    }
    if (st.isSymbolicLink()) problems.push(`${p}: is a symbolic link`);
    if (st.uid !== 0) problems.push(`${p}: owned by uid ${st.uid}, not root`);
    if ((st.mode & 0o022) !== 0) problems.push(`${p}: mode ${(st.mode & 0o7777).toString(8)} is writable by group or other`);
    if (st.isDirectory()) for (const name of readdirSync(p)) check(path.join(p, name));
  };
  let dir = path.dirname(libDir);
  for (;;) {
    const st = lstatSync(dir);
    if (st.uid !== 0) problems.push(`${dir}: owned by uid ${st.uid}, not root`);
    // Sticky world-writable directories (/tmp) still let others replace our directory.
    if ((st.mode & 0o022) !== 0) problems.push(`${dir}: mode ${(st.mode & 0o7777).toString(8)} is writable by group or other`);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (existsSync(libDir)) check(libDir);
  else problems.push(`${libDir}: missing`);
  return problems;
}
