/**
 * The key of a kept session: a digest of everything the resolved policy and the session's start
 * depend on, computable without the schema library (no zod: the fast client path computes it on
 * every `corral run`). A host serves only the key it was started for (host.ts checks each
 * request), so equal keys mean the client would have opened the same session itself.
 *
 * Why equal keys imply an equal resolved policy: openSession's policy is a pure function of
 *  - the real user (uid, gid, name, home, login shell: `~` and `shell: "login"`),
 *  - the installation (name, its state file: the provisioned workspaces, the setup network
 *    default, the installed runner), the workspace (canonical, as openSession picks it),
 *  - the three config layers the resolver reads (machine, user, workspace file), and the machine
 *    file's trust (its owner and mode, and those of its ancestors),
 *  - the flags that shape the session (network, allow/deny hosts, publish, timeout),
 *  - and, for the request it sends, the real user's git identity (~/.gitconfig, ~/.config/git/config).
 * Each goes into the digest as raw bytes or file facts: a layer file by its bytes and its
 * lstat (device, inode, mode, owner, size, mtime, ctime) or the errno that kept it from being
 * read (ENOENT = no layer); so any edit, replacement, chmod or chown changes the key, and a
 * layer that is the same file with the same bytes resolves the same. The state file the same
 * way, plus the identity of the installed runner and node, of /etc/passwd and /etc/group
 * (account and group changes), and of this corral's own host program (a rebuilt corral starts
 * fresh hosts). `corral setup` also touches the state file when it changed nothing
 * (commands/setup.ts), so every setup ends reuse.
 *
 * So are the existence and identity (device, inode, type) of the paths the session's view is
 * built from at its start — the default read roots and read-deny paths and every path a layer
 * lists (readRoots, denyRead, writableRoots) — so a ~/.local/bin made after a session started
 * is seen by the next run as a fresh session would see it; and, when the caller is the real user,
 * its groups (a login without the installation's group is refused by the sudo rule, as before).
 * The umask is in it too: the runner and so every command inherit the host's, which is its
 * spawner's.
 *
 * What is not in it, on purpose: --cwd, --json, --explain, --quiet-violations (per command),
 * and the environment: each command's environment is the calling client's own, filtered by the
 * session's env policy (host.ts), exactly as a fresh session filters it.
 */
import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Installation } from '../../core/installation.js';
import { layerFiles } from '../policy/files.js';
import { DEFAULT_DENY_READ, DEFAULT_ENV_ALLOW, DEFAULT_READ_ROOTS } from '../../core/policy/defaults.js';
import { stateFile } from '../session/provisioned.js';

/** The `corral run` flags that shape a session (the rest are per command). */
export interface SessionFlags {
  workspace?: string;
  network?: string;
  allowHost?: string[];
  denyHost?: string[];
  publish?: string[];
  timeout?: string;
}

export interface KeyInputs {
  installation: Installation;
  user: { name: string; uid: number; gid?: number; home: string; shell?: string };
  /** The canonical workspace the session opens (openSession's choice). */
  workspace: string;
  flags: SessionFlags;
  /** The process's groups when it is the real user (the sudo rule admits by group; absent for root). */
  groups?: readonly number[];
  /** The process umask (commands inherit it from the session's runner). */
  umask?: number;
  /** The caller's environment: only the variables that move the git identity or the audit log are read. */
  env: NodeJS.ProcessEnv;
}

const KEY_VERSION = 'corral-session-key/1';
/** The host program; its identity is part of the key. */
export const HOST_MAIN = fileURLToPath(new URL('./host-main.js', import.meta.url));

function statFacts(st: Stats): string {
  return [st.dev, st.ino, st.mode, st.uid, st.gid, st.size, st.mtimeMs, st.ctimeMs].join(',');
}

/** A file's facts and bytes (or the errno that kept them from being read) into the digest. */
function addFile(h: Hash, label: string, file: string): void {
  h.update(`\0${label}\0${file}\0`);
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (err) {
    h.update(`lstat:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    return;
  }
  h.update(statFacts(st));
  if (!st.isFile()) return;
  try {
    h.update(readFileSync(file));
  } catch (err) {
    h.update(`read:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Only the file's identity (no bytes): big or root-only files whose replacement is what counts. */
function addIdentity(h: Hash, label: string, file: string): void {
  h.update(`\0${label}\0${file}\0`);
  try {
    h.update(statFacts(lstatSync(file)));
  } catch (err) {
    h.update(`lstat:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Owner and mode of each directory from `file`'s parent up to `/` (the machine file's trust). */
function addAncestors(h: Hash, file: string): void {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const st = lstatSync(dir);
      h.update(`\0anc\0${dir}\0${st.uid},${st.gid},${st.mode}`);
    } catch (err) {
      h.update(`\0anc\0${dir}\0${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** The paths of one layer's path lists (readRoots, denyRead, writableRoots), as the resolver would place them. */
function layerPaths(file: string, home: string, workspace: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return []; // absent, unreadable or invalid: its bytes or errno are in the key already
  }
  const out: string[] = [];
  for (const key of ['readRoots', 'denyRead', 'writableRoots']) {
    const list = (data as Record<string, unknown> | null)?.[key];
    if (Array.isArray(list)) for (const e of list) if (typeof e === 'string' && e !== '') out.push(placed(e, home, workspace));
  }
  return out;
}

function placed(entry: string, home: string, workspace: string): string {
  if (entry === '~' || entry.startsWith('~/')) return path.join(home, entry.slice(2));
  return path.resolve(workspace, entry);
}

/**
 * Every `env.allow` entry any layer file names (read leniently, as data), with the built-in
 * list: a superset of the allowlist the session resolves (env.allow is additive, and a workspace
 * layer cannot add to it). The client sends a kept session only the variables this admits
 * (remote.ts), so a host never receives more of the caller's environment than a session could use.
 */
export function layersEnvAllow(installation: Installation, home: string, workspace: string): string[] {
  const out = new Set<string>(DEFAULT_ENV_ALLOW);
  for (const { file } of layerFiles({ installation, home, cwd: workspace, workspace })) {
    try {
      const allow = (JSON.parse(readFileSync(file, 'utf8')) as { env?: { allow?: unknown } } | null)?.env?.allow;
      if (Array.isArray(allow)) for (const e of allow) if (typeof e === 'string') out.add(e);
    } catch {
      // absent or invalid: nothing it allows
    }
  }
  return [...out];
}

/** Whether each path exists and what it is (device, inode, type): the session's view is built from what exists at its start. */
function addPresence(h: Hash, paths: Iterable<string>): void {
  for (const p of paths) {
    try {
      const st = lstatSync(p);
      h.update(`\0at\0${p}\0${st.dev},${st.ino},${st.mode & 0o170000}`);
    } catch (err) {
      h.update(`\0at\0${p}\0${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}

/** 32 hex digits (128 bits). */
export function sessionKey(inputs: KeyInputs): string {
  const { installation: inst, user } = inputs;
  const h = createHash('sha256');
  h.update(KEY_VERSION);
  h.update(JSON.stringify({ instance: inst.name, user: [user.name, user.uid, user.gid ?? null, user.home, user.shell ?? null], workspace: inputs.workspace }));
  const f = inputs.flags;
  h.update(
    JSON.stringify({
      network: f.network ?? null,
      allowHost: f.allowHost ?? null,
      denyHost: f.denyHost ?? null,
      publish: f.publish ?? null,
      timeout: f.timeout ?? null,
    }),
  );
  // The umask: the runner, and every command, inherits the host's (the spawner's), as a fresh
  // session inherits its client's.
  h.update(`\0umask\0${inputs.umask ?? 'none'}`);
  // The variables the session's start reads besides the policy (git identity, audit log place).
  h.update(JSON.stringify(['XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'XDG_STATE_HOME'].map((n) => inputs.env[n] ?? null)));
  h.update(`\0groups\0${inputs.groups === undefined ? 'root' : [...inputs.groups].sort((a, b) => a - b).join(',')}`);
  const layers = layerFiles({ installation: inst, home: user.home, cwd: inputs.workspace, workspace: inputs.workspace });
  for (const { kind, file } of layers) addFile(h, kind, file);
  // The view's paths that exist or not at the session's start: read roots bound back, read-deny
  // masks, writable roots. (Not the protected names in the workspace: a live session reserves
  // the missing ones with placeholders on disk, so their presence is the session's own doing.)
  addPresence(
    h,
    new Set([
      ...[...DEFAULT_READ_ROOTS, ...DEFAULT_DENY_READ].map((e) => placed(e, user.home, inputs.workspace)),
      ...layers.flatMap(({ file }) => layerPaths(file, user.home, inputs.workspace)),
    ]),
  );
  addAncestors(h, inst.machineConfigFile);
  addFile(h, 'state', stateFile(inst));
  addFile(h, 'gitconfig', path.join(user.home, '.gitconfig'));
  addFile(h, 'gitconfig-xdg', path.join(user.home, '.config', 'git', 'config'));
  for (const [label, file] of [
    ['runner', inst.runnerEntry],
    ['runner-node', inst.runnerNode],
    ['sudoers', inst.sudoersFile],
    ['passwd', '/etc/passwd'],
    ['group', '/etc/group'],
    ['host', HOST_MAIN],
    ['node', process.execPath],
  ] as const) {
    addIdentity(h, label, file);
  }
  return h.digest('hex').slice(0, 32);
}
