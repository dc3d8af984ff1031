/**
 * The session's constructed view: in its private mount namespace, the places where the host
 * keeps other principals' live state are replaced by empty, private filesystems, and only
 * what the session is given is bound back. What it replaces, and why, is listed once here
 * (COVERS, core/session-view-spec.ts); what it binds back into /run is listed once (RUN_ENTRIES).
 *
 * - /tmp, /var/tmp, /dev/shm: fresh tmpfs (mode 1777), the session's own. The host's hold
 *   other users' files and pathname unix sockets (X11, tmux, ssh-agent, a developer's relays)
 *   that Landlock ABI ≤ 8 cannot stop a connect(2) to. /tmp is the session temp dir
 *   (TMPDIR=/tmp). Their pages are charged to the session's memory cgroup, and each is sized
 *   as a share of the session's memory limit (1/2, 1/8, 1/8: see `share`), so together they
 *   stay under memory.max: that is how they are bounded without a quota.
 * - /run (and /var/run where it is a directory, not the usual link): fresh read-only tmpfs;
 *   daemons' sockets live there (dbus, systemd, nscd, docker, resolved's varlink, postgres).
 *   Only RUN_ENTRIES come back, read-only — never a socket.
 * - The real user's home: a read-only tmpfs; the writable roots and the read roots in it are
 *   bound back (keepPaths). A `0644` credential whose name no denylist knows stays unreadable.
 * - The identity's home: a read-only tmpfs too, with only this workspace's home in it bound
 *   back (workspace-home.ts): other workspaces' homes of the same identity are not in view.
 * - /proc: a fresh procfs with hidepid=invisible, so other users' processes (their argv, the
 *   root reaper's) are not even listed. Chosen over a PID namespace: the runner forks each
 *   command from its own (host-namespace) main thread, so a PID namespace would need an init
 *   process of the runner's inside it and a procfs mounted from there; hidepid gives the same
 *   view of other users at no per-session process cost. Left visible: processes of the same
 *   identity in other sessions of this user (same uid); Landlock's ptrace scoping keeps their
 *   memory, environ and fds out of reach, but their argv shows.
 * - /dev/mqueue, where the host mounts one: a fresh mqueue of the session's IPC namespace.
 * - /dev/pts: a devpts instance of the session's own (`newinstance`), for the commands' pseudo-
 *   terminals (pty.ts). On the host's instance a pty of this identity (mode 0600, its owner's)
 *   could be opened by a command of another session of the same identity — another workspace of
 *   the same user — to read what is typed into it or write to its screen; in a private instance
 *   each session sees and opens only its own. /dev/ptmx resolves to the `pts` beside it in the
 *   opener's namespace (Linux 4.7+), so it needs no bind. A session whose devpts could not be
 *   mounted gives no pty (`ptys` says why): never one on the host's instance.
 * - Offline sessions (and allowlist ones, whose proxy resolves names outside): the resolv.conf
 *   the session reads names an address that is never routed (OFFLINE_RESOLV_CONF), so a name
 *   lookup fails at once with no route (counted: no-route.ts) instead of asking the host's name
 *   server, which the session cannot reach anyway. Where /etc/resolv.conf links into /run, the
 *   file is written there on the fresh /run; else it is written on /run and bound, read-only,
 *   over the host's file.
 *
 * Paths to keep are opened (O_PATH, with no link on their way) before anything is covered and bound back from
 * /proc/self/fd/<n> with everything mounted below them (the idmapped workspace, its
 * read-only protected binds, read-deny masks), onto mount points made on the fresh tmpfs.
 * Runs after the protection steps (which need the host's /run for the reservation registry)
 * and before Landlock, which forbids later mounts.
 */
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, constants, realpathSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { posixPaths } from '../../core/paths.js';
import { COVERS, HOME_COVER_WHY, IDENTITY_HOME_COVER_WHY, RUN_ENTRY_REASONS, type Cover } from '../../core/session-view-spec.js';
import { bindTree, mountDevpts, mountMqueue, mountProc, mountTmpfs, remountReadOnly } from './mount.js';
import { changedWhileSettingUp, openNoSymlinks, reopenSame } from './open-no-symlinks.js';

export { COVERS, type Cover };

export interface RunEntry {
  /** Resolved at session start; null when not applicable on this host. */
  path: () => string | null;
  network: 'online' | 'any';
  why: string;
}

/**
 * What comes back into /run, read-only. Never a socket: every entry is checked to be a
 * regular file or directory of regular files when bound.
 */
export const RUN_ENTRIES: readonly RunEntry[] = [
  {
    path: () => resolvConfUnderRun(),
    network: 'online',
    why: RUN_ENTRY_REASONS.resolvConf,
  },
];

/**
 * An offline session's resolv.conf. 192.0.2.1 is TEST-NET-1 (RFC 5737), never routed: with no
 * interface but `lo` a query fails at once (ENETUNREACH); in the host's namespace (offline with
 * `loopback: [ports]`) the offline identity's firewall rule rejects it at once. One attempt.
 */
export const OFFLINE_RESOLV_CONF =
  '# Corral: this session is offline (CORRAL_NETWORK=offline): no name server is reachable.\n' + 'nameserver 192.0.2.1\n' + 'options attempts:1 timeout:1\n';

/** Where the offline resolv.conf goes on the fresh /run when /etc/resolv.conf is a file of its own. */
const OFFLINE_RESOLV_UNDER_RUN = '/run/corral-session/resolv.conf';

/** The file /etc/resolv.conf resolves to (a link target may be absent), or null. Resolved before anything is covered. */
function resolvConfTarget(): string | null {
  try {
    const st = lstatSync('/etc/resolv.conf');
    if (st.isFile()) return '/etc/resolv.conf';
    if (!st.isSymbolicLink()) return null;
  } catch {
    return null;
  }
  try {
    return realpathSync('/etc/resolv.conf');
  } catch {
    return null; // dangling on the host too: the session's resolver falls back to 127.0.0.1, unreachable or refused at once
  }
}

function resolvConfUnderRun(): string | null {
  try {
    const target = realpathSync('/etc/resolv.conf');
    return posixPaths.within(target, '/run') ? target : null;
  } catch {
    return null;
  }
}

export interface KeepPath {
  path: string;
  /** `write`: bound as it is (the idmapped, protected workspace); `read`: bound read-only. */
  access: 'write' | 'read';
  why: string;
  /** Device and inode the request's check pinned (workspace, writable roots): the path must still name it. */
  pin?: { dev: number; ino: number };
}

export interface ViewInput {
  /** Canonical paths to bring back into a covered directory. */
  keep: KeepPath[];
  /** The real user's home, hidden unless null. */
  realHome: string | null;
  /** The identity's home, hidden but for this workspace's home in it (workspace-home.ts; a keep path). */
  identityHome?: string | null;
  network: 'offline' | 'online';
  /** tmpfs size bound of each writable cover. */
  /** The session's memory limit: each writable cover gets its share of it as tmpfs size. */
  memoryBytes: number;
}

export interface ViewResult {
  /** Covers actually mounted, with their reasons (for hello/policy show). */
  covered: string[];
  /** Keep paths bound back. */
  kept: string[];
  /** Directories the session may write (Landlock rules): the writable covers. */
  writable: string[];
  /** `private`: the session has a devpts of its own and may give commands ptys; else why not. */
  ptys: string;
}

/** Directories that are never a "home" to hide (a mis-set passwd home). */
const NOT_A_HOME = new Set(['/', '/usr', '/etc', '/var', '/bin', '/sbin', '/lib', '/lib64', '/opt', '/srv', '/proc', '/sys', '/dev', '/run', '/tmp', '/boot', '/nonexistent']);

function isRealDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Pure: which covers apply, and which keep paths each needs (those not inside another keep). */
export function planView(input: ViewInput, isDirectory: (path: string) => boolean): { covers: Cover[]; keep: KeepPath[] } {
  const candidates: Cover[] = COVERS.filter((c) => isDirectory(c.path));
  // The home stays visible when a keep path is the home or contains it (a workspace that is
  // the home, `readRoots: ["~"]`): hiding it would hide what the session was given.
  const homeGiven = (home: string) => input.keep.some((k) => posixPaths.within(home, k.path));
  if (input.realHome !== null && !NOT_A_HOME.has(input.realHome) && isDirectory(input.realHome) && !homeGiven(input.realHome)) {
    candidates.push({ path: input.realHome, mode: '0755', writable: false, share: 0, why: HOME_COVER_WHY });
  }
  if (input.identityHome !== undefined && input.identityHome !== null && !NOT_A_HOME.has(input.identityHome) && isDirectory(input.identityHome) && !homeGiven(input.identityHome)) {
    candidates.push({ path: input.identityHome, mode: '0755', writable: false, share: 0, why: IDENTITY_HOME_COVER_WHY });
  }
  // A cover inside another cover is hidden by it already.
  const covers = candidates.filter((c) => !candidates.some((o) => o !== c && posixPaths.within(c.path, o.path)));
  const underCover = input.keep.filter((k) => covers.some((c) => posixPaths.within(k.path, c.path) && k.path !== c.path));
  const keep = underCover.filter((k) => !underCover.some((o) => o !== k && o.path !== k.path && posixPaths.within(k.path, o.path) && !(o.access === 'read' && k.access === 'write')));
  const unique = new Map<string, KeepPath>();
  for (const k of keep) {
    const seen = unique.get(k.path);
    if (seen === undefined || (seen.access === 'read' && k.access === 'write')) unique.set(k.path, k);
  }
  // Parents before children (a writable root inside a read root is bound after it, on top).
  return { covers, keep: [...unique.values()].sort((a, b) => a.path.length - b.path.length) };
}

/** Build the view in the current (private) mount namespace. Root phase only. */
export function buildSessionView(input: ViewInput): ViewResult {
  const { covers, keep } = planView(input, isRealDirectory);
  const runEntries = RUN_ENTRIES.filter((e) => e.network === 'any' || e.network === input.network)
    .map((e) => e.path())
    .filter((p): p is string => p !== null && regularFile(p));
  const runCovered = covers.some((c) => c.path === '/run');
  const offlineResolv = input.network === 'offline' && runCovered ? resolvConfTarget() : null;
  const held: { target: string; fd: number; read: boolean; dir: boolean }[] = [];
  try {
    for (const k of keep) {
      // No link anywhere on the path (open-no-symlinks.ts), and a pinned root must still be the
      // inode its check opened: a path swapped since is refused, never bound into the view.
      const fd = k.pin === undefined ? openKept(k.path) : reopenSame(k.path, k.pin, { directory: true });
      held.push({ target: k.path, fd, read: k.access === 'read', dir: fstatSync(fd).isDirectory() });
    }
    for (const path of runEntries) {
      const fd = openSync(path, constants.O_RDONLY | 0o10000000 | constants.O_NOFOLLOW);
      held.push({ target: path, fd, read: true, dir: false });
    }
    for (const c of covers) mountTmpfs(c.path, `mode=${c.mode},size=${tmpfsBytes(c, input.memoryBytes)}`);
    for (const h of held) {
      // On the fresh tmpfs: nothing the session made can be in the way.
      mkdirSync(dirname(h.target), { recursive: true, mode: 0o755 });
      if (h.dir) {
        if (!existsSync(h.target)) mkdirSync(h.target, { mode: 0o755 });
      } else if (!existsSync(h.target)) {
        writeFileSync(h.target, '', { mode: 0o444 });
      }
      bindTree(`/proc/self/fd/${h.fd}`, h.target);
      if (h.read) remountReadOnly(h.target);
    }
    if (offlineResolv !== null) writeOfflineResolvConf(offlineResolv);
  } finally {
    for (const h of held) closeSync(h.fd);
  }
  for (const c of covers) if (!c.writable) remountReadOnly(c.path);
  mountProc('hidepid=invisible');
  if (isMountPoint('/dev/mqueue')) mountMqueue('/dev/mqueue');
  const ptys = privateDevpts();
  return { covered: covers.map((c) => c.path), kept: keep.map((k) => k.path), writable: covers.filter((c) => c.writable).map((c) => c.path), ptys };
}

/** The session's own devpts on /dev/pts, or why there is none (then commands get no pty). */
function privateDevpts(): string {
  if (!isRealDirectory('/dev/pts')) return 'no /dev/pts directory on this host';
  try {
    mountDevpts('/dev/pts');
    return 'private';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * On the fresh /run (still writable: it is remounted read-only after this): the offline
 * resolv.conf at `target` when that is in /run, else beside it on /run and bound read-only over
 * `target` (the host's /etc/resolv.conf, root's file: nothing of the session's has run yet).
 */
function writeOfflineResolvConf(target: string): void {
  const underRun = posixPaths.within(target, '/run');
  const file = underRun ? target : OFFLINE_RESOLV_UNDER_RUN;
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, OFFLINE_RESOLV_CONF, { mode: 0o444 });
  if (underRun || !regularFile(target)) return;
  bindTree(file, target);
  remountReadOnly(target);
}

function openKept(path: string): number {
  try {
    return openNoSymlinks(path);
  } catch (err) {
    throw changedWhileSettingUp(path, err);
  }
}

/** A writable cover's share of the memory limit (page-aligned, at least 1 MiB); 1 MiB for the rest. */
export function tmpfsBytes(cover: Cover, memoryBytes: number): number {
  const MIB = 1024 * 1024;
  return cover.writable ? Math.max(MIB, Math.floor((memoryBytes * cover.share) / 4096) * 4096) : MIB;
}

function regularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function isMountPoint(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.dev !== lstatSync(dirname(path)).dev;
  } catch {
    return false;
  }
}
