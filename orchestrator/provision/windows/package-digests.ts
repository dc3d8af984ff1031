/**
 * What elevated setup runs, and what it installs as the runner, is a copy of this package
 * that has been checked file by file against a digest list made when the package was built.
 *
 * Threat model. Corral may be installed as a library in a workspace's node_modules, which
 * the sessions of that workspace can write. Setup hands the package's files to code that runs
 * elevated (the PowerShell module, elevated-host.ps1) and copies dist/runner and its
 * dependencies to %ProgramFiles%\Corral, where the runner — and every later session — loads
 * them. A session that changed one of those files would run code as Administrator, or as an
 * unrestricted identity. So setup (as the real user, before any elevation):
 *  1. copies every file the list names into a fresh private staging folder under the real
 *     user's own temp folder (the sandbox identities can't write there), hashing each COPY
 *     (SHA-256) and refusing (`package_unverified`) on any mismatch, missing file, link or
 *     unexpected type — so what is checked is exactly what is used, with no window between;
 *  2. runs the module, the elevated host and Install-CorralRunner from that staging copy only.
 * Files the list does not name are not copied at all. The list itself is as trusted as the
 * code of this process (they come from the same package, and this process has already loaded
 * its code): the check catches files changed after the package was built or installed, not a
 * package replaced before this process started — that would already run as the real user.
 * A package root inside a workspace is refused outright (provisioner.ts).
 *
 * The list (`dist/package-digests.json`) is written at build time by
 * scripts/write-package-digests.mjs, which calls `buildDigestList` below. Pure Node; runs and
 * is tested on every OS.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';

export const DIGEST_LIST_FILE = path.join('dist', 'package-digests.json');
export const DIGEST_LIST_VERSION = 1;

/**
 * What the staged copy holds (relative to the package root, `/`-separated). Of node_modules,
 * only what the Windows runner loads: koffi (pinned to one exact version in package.json, so
 * that npm installs the same immutable files everywhere) and its win32-x64 native binary —
 * never the build machine's own platform binary (e.g. koffi-linux-x64), which Windows neither
 * has nor needs. A package built on Linux carries the win32-x64 binary because
 * scripts/prepare-koffi-win32.sh put it there before the build (item 5k).
 */
export const KOFFI_TREE = 'node_modules/koffi';
export const KOFFI_WIN32_TREE = 'node_modules/@koromix/koffi-win32-x64';
const INCLUDED_TREES = ['dist/core', 'dist/os', 'dist/runner', 'dist/orchestrator', 'ps-module', KOFFI_TREE, KOFFI_WIN32_TREE];
const INCLUDED_FILES = ['package.json', 'install.ps1', 'orchestrator/provision/windows/elevated-host.ps1'];

export interface DigestList {
  version: typeof DIGEST_LIST_VERSION;
  /** Relative path (`/`-separated) → lower-case hex SHA-256. */
  files: Record<string, string>;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function walk(root: string, relative: string, out: string[]): void {
  const full = path.join(root, ...relative.split('/'));
  let st;
  try {
    st = lstatSync(full);
  } catch {
    return; // an optional tree (e.g. no win32 koffi on this machine)
  }
  if (st.isDirectory()) {
    for (const name of readdirSync(full).sort()) walk(root, `${relative}/${name}`, out);
  } else if (st.isFile()) out.push(relative);
}

/** The digest list of the package at `root` (build time). */
export function buildDigestList(root: string): DigestList {
  const names: string[] = [];
  for (const tree of INCLUDED_TREES) walk(root, tree, names);
  for (const file of INCLUDED_FILES) walk(root, file, names);
  const files: Record<string, string> = {};
  for (const name of names.sort()) files[name] = sha256(path.join(root, ...name.split('/')));
  return { version: DIGEST_LIST_VERSION, files };
}

function unverified(message: string, details: Record<string, unknown>): CorralError {
  return new CorralError('package_unverified', message, { details });
}

/** Parse the list; a list that is missing or malformed is `package_unverified`. */
export function readDigestList(root: string): DigestList {
  const file = path.join(root, DIGEST_LIST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw unverified(`${file} is missing or not JSON (${(err as Error).message}): this Corral package has no digest list; rebuild it (npm run build) or reinstall it`, { file });
  }
  const list = raw as Partial<DigestList>;
  if (list.version !== DIGEST_LIST_VERSION || typeof list.files !== 'object' || list.files === null || Array.isArray(list.files)) {
    throw unverified(`${file}: expected { version: ${DIGEST_LIST_VERSION}, files: {…} }`, { file });
  }
  for (const [name, digest] of Object.entries(list.files)) {
    const parts = name.split('/');
    if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest) || name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || name.includes('\\') || name.includes(':')) {
      throw unverified(`${file}: entry ${JSON.stringify(name)} is not a relative path with a SHA-256 digest`, { file, entry: name });
    }
  }
  const names = Object.keys(list.files);
  if (!('package.json' in list.files) || !names.some((n) => n.startsWith('dist/runner/'))) {
    throw unverified(`${file} lists no package.json or no runner files`, { file });
  }
  // The runner loads koffi and its win32-x64 binary; a list without them would install a
  // runner that cannot start (a package built without scripts/prepare-koffi-win32.sh).
  for (const tree of [KOFFI_TREE, KOFFI_WIN32_TREE]) {
    if (!names.some((n) => n.startsWith(`${tree}/`))) {
      throw unverified(`${file} lists nothing under ${tree}: this package was built without koffi's win32-x64 binary; on the build machine run scripts/prepare-koffi-win32.sh (or scripts/prepare.sh), then npm run build`, { file, missing: tree });
    }
  }
  return list as DigestList;
}

export interface StagedPackage {
  /** The verified copy: use it as the package root for everything elevated and for the runner copy. */
  root: string;
  remove(): void;
}

/**
 * Copy every listed file of `source` into a fresh folder under `stagingParent`, hashing each
 * copy against the list (see the file comment). Refuses with `package_unverified`.
 */
export function stageVerifiedPackage(source: string, stagingParent: string): StagedPackage {
  const list = readDigestList(source);
  const root = mkdtempSync(path.join(stagingParent, 'corral-setup-'));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    for (const [name, digest] of Object.entries(list.files)) {
      const from = path.join(source, ...name.split('/'));
      const to = path.join(root, ...name.split('/'));
      let st;
      try {
        st = lstatSync(from);
      } catch {
        throw unverified(`${from} is listed in the package's digest list but missing: the package is incomplete or was changed; reinstall it`, { file: name });
      }
      if (!st.isFile()) throw unverified(`${from} is not a regular file (a link or a folder now): the package was changed after it was built; reinstall it`, { file: name });
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
      const found = sha256(to);
      if (found !== digest) {
        throw unverified(`${from} differs from the package's digest list (sha256 ${found}, built as ${digest}): it was changed after the package was built — by a session, if Corral lies in a workspace; reinstall Corral outside any workspace and run setup from there`, {
          file: name,
          expected: digest,
          found,
        });
      }
    }
    mkdirSync(path.join(root, 'node_modules'), { recursive: true }); // Install-CorralRunner copies it, even when empty
    copyFileSync(path.join(source, DIGEST_LIST_FILE), path.join(root, DIGEST_LIST_FILE));
  } catch (err) {
    remove();
    throw err;
  }
  return { root, remove };
}
