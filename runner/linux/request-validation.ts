/**
 * The session request, validated as hostile input in the runner's root phase.
 *
 * Threat model: through the sudo rule any member of the user group makes root run us with a
 * request of their choosing. Nothing in it is believed: the real user is SUDO_UID (set by
 * sudo) or our own uid, and the request's `realUser` must name that account; the identity
 * comes from the root-owned state file's record of that user, never from the request; every
 * writable root must be an existing directory owned by the real user (so a session can never
 * be pointed at someone else's files or at system directories), named by its canonical path;
 * the workspace must be one provisioned for that user.
 *
 * The shape is checked before (core/request-shape.ts, in runner/start.ts); resolveSession checks it against the machine.
 */
import { closeSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { totalmem } from 'node:os';
import { applyFloorToRequest, type EnforcedPolicy, type MachineLayer } from '../../core/policy/floor.js';
import { posixPaths } from '../../core/paths.js';
import { defaultMemoryBytes } from '../../core/vocabulary.js';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import type { MachineState, WorkspaceAccess } from '../../core/state.js';
import type { Loopback, Network, SessionRequest } from '../../core/protocol.js';
import type { NetworkAllowlist } from '../../core/vocabulary.js';
import { userById, userByName, type PasswdEntry } from '../../os/linux/passwd.js';
import { userRecord } from './state-file.js';
import { withCallerFsCredentials } from './creds.js';
import { isLinkOnPath, openAndStat, type Opened } from './open-no-symlinks.js';


/** A directory opened once in the root phase (ownedDirectory): canonical path, O_PATH descriptor, inode. */
export interface PinnedDirectory {
  path: string;
  fd: number;
  dev: number;
  ino: number;
}

export interface Identity {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Everything the confinement steps need, checked. */
export interface ResolvedSession {
  realUser: PasswdEntry;
  identity: Identity;
  sandboxGid: number;
  network: Network;
  loopback: Loopback;
  /**
   * Allowlist network: the host rules, and the principal the filtering proxy runs as — the
   * user's online identity, which may reach the network already (so the proxy holds no right
   * the user's online sessions lack) and is neither root nor the session's offline identity.
   */
  allowlist: { rules: NetworkAllowlist; proxyIdentity: Identity } | null;
  /**
   * Published ports (publish.ts): the ports, the account the forwarder runs as — the real user
   * (who could bind these unprivileged ports on the host anyway), or the online identity when
   * the real user is root (a forwarder never stays root) — and the uids it serves: the real user
   * and root. Null when nothing is published.
   */
  publish: { ports: number[]; forwarder: { uid: number; gid: number }; peers: number[] } | null;
  /** Canonical. */
  workspace: string;
  workspaceAccess: WorkspaceAccess;
  /** Canonical; the workspace first (empty in read-only mode). */
  writableRoots: string[];
  /** The workspace and every writable root, opened once (canonical path → descriptor and inode). */
  pinned: ReadonlyMap<string, PinnedDirectory>;
  /** Canonical; only those that exist. */
  readRoots: string[];
  protectedNames: string[];
  /** Canonical when they exist. */
  protectedPaths: string[];
  denyRead: string[];
  limits: SessionRequest['limits'];
  /** The env policy every spawn's environment is filtered with again (core/policy/env.ts floorEnvironment). */
  env: EnforcedPolicy['env'];
  /** Policy `git` as enforced (core/policy/floor.ts). */
  git: EnforcedPolicy['git'];
  /** The real user's git identity as the request gave it (shape-checked: one line each). */
  gitIdentity: { name?: string; email?: string };
  /** Digest of what this runner enforces (core/policy/floor.ts): sent in `hello`. */
  policyDigest: string;
}

/** The real user: SUDO_UID when sudo started us, else our own real uid. */
export function realUid(env: NodeJS.ProcessEnv, ownUid: number): number {
  const sudoUid = env.SUDO_UID;
  if (sudoUid === undefined || sudoUid === '') return ownUid;
  if (!/^\d{1,10}$/.test(sudoUid)) throw new CorralError('not_permitted', `SUDO_UID is not a uid: ${JSON.stringify(sudoUid)}`);
  return Number(sudoUid);
}

/**
 * A directory of the real user's, resolved and opened once: its canonical path, and a
 * descriptor of it (O_PATH) opened with no link anywhere on that path (open-no-symlinks.ts),
 * whose fstat is what is checked — directory, owned by the user. Everything later acts on
 * this inode: Landlock takes the descriptor, and every mount made on the path opens it again
 * the same way and must find this device and inode (reopenSame), so a path swapped for a link
 * or another directory after this check is refused, never followed.
 */
function ownedDirectory(path: string, user: { uid: number; gid: number }, field: string): PinnedDirectory {
  // Resolved with the user's own file-system credentials (creds.ts), and every message names
  // the path as given: a link into a directory the user cannot search must not make root say
  // what is behind it (that it exists, its kind, its owner, its real name).
  return withCallerFsCredentials(user, () => {
    let canonical: string;
    try {
      canonical = realpathSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CorralError('workspace_invalid', code === 'ENOENT' ? `${field}: ${path} does not exist` : `${field}: ${path} cannot be resolved as the real user (${code})`);
    }
    if (canonical === '/') throw new CorralError('workspace_invalid', `${field}: / can never be writable`);
    let opened: Opened;
    try {
      opened = openAndStat(canonical, { directory: true });
    } catch (err) {
      if (isLinkOnPath(err)) throw new CorralError('workspace_invalid', `${field}: ${path} changed while it was being checked (a link took the place of a directory on its path); start the session again`);
      const code = (err as { details?: { errno?: string } }).details?.errno ?? 'error';
      throw new CorralError('workspace_invalid', code === 'ENOTDIR' ? `${field}: ${path} is not a directory` : `${field}: ${path} cannot be opened as the real user (${code})`);
    }
    if (opened.stats.uid !== user.uid) {
      closeSync(opened.fd);
      throw new CorralError('workspace_not_owned', `${field}: ${path} is owned by uid ${opened.stats.uid}, not by the real user (uid ${user.uid})`);
    }
    return { path: canonical, fd: opened.fd, dev: opened.dev, ino: opened.ino };
  });
}

/** Close the descriptors resolveSession opened (after Landlock took them, or on failure). */
export function closePinnedDirectories(s: Pick<ResolvedSession, 'pinned'>): void {
  for (const pin of s.pinned.values()) {
    try {
      closeSync(pin.fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Read roots that exist, canonical. A link is followed (a toolchain may be a link); what it
 * points to is what is bound back read-only, and denyRead masks below it stay in place.
 */
function existingCanonical(paths: string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    try {
      out.push(realpathSync(path));
    } catch {
      // missing: nothing to bring back
    }
  }
  return [...new Set(out)];
}

function canonicalIfExists(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The policy floor (core/policy/floor.ts), applied in one place: the request's policy fields
 * merged with the defaults and the machine layer this runner read itself, `~` being the real
 * user's home from passwd. Only what this returns is enforced.
 */
function enforcedPolicy(request: SessionRequest, workspace: string, writableRoots: string[], realUser: PasswdEntry, installation: Installation, machine: MachineLayer | null): EnforcedPolicy {
  return applyFloorToRequest(request, { workspace, extraWritableRoots: writableRoots.filter((r) => r !== workspace) }, machine, {
    paths: posixPaths,
    installation: installation.name,
    home: realUser.home,
    canonical: canonicalIfExists,
    defaultMemoryBytes: defaultMemoryBytes(totalmem()),
  });
}

export function resolveSession(request: SessionRequest, installation: Installation, state: MachineState, uid: number, machine: MachineLayer | null = null): ResolvedSession {
  const realUser = userById(uid);
  if (realUser === null) throw new CorralError('not_permitted', `the calling uid ${uid} has no passwd entry`);
  if (request.realUser !== realUser.name) {
    throw new CorralError('not_permitted', `request.realUser is ${JSON.stringify(request.realUser)} but the caller is ${realUser.name} (uid ${uid})`);
  }
  const record = userRecord(state, installation, realUser.name);
  if (record.realUser.uid !== uid) {
    throw new CorralError('state_corrupt', `state records ${realUser.name} as uid ${record.realUser.uid}, passwd says ${uid}; re-run \`corral setup\``);
  }
  const checkedIdentity = (kind: Network) => {
    const account = record.identities[kind];
    const found = userByName(account.name);
    if (found === null || found.uid !== account.uid || found.gid !== account.gid) {
      throw new CorralError('not_provisioned', `identity ${account.name} is missing or changed (uid/gid differ from the state); re-run \`corral setup\``);
    }
    if (found.uid === 0 || found.uid === uid || found.gid === 0) {
      throw new CorralError('state_corrupt', `identity ${account.name} has uid ${found.uid} / gid ${found.gid}, which a sandbox identity may never have`);
    }
    return found;
  };
  const entry = checkedIdentity(request.network);
  let allowlist: ResolvedSession['allowlist'] = null;
  if (request.allowlist !== undefined) {
    if (Array.isArray(request.loopback)) throw new CorralError('request_invalid', 'request.allowlist: an allowlist session has its own network namespace; it cannot share host loopback ports');
    const online = checkedIdentity('online');
    if (online.uid === entry.uid) throw new CorralError('state_corrupt', 'the online and offline identities share a uid');
    allowlist = { rules: request.allowlist, proxyIdentity: { name: online.name, uid: online.uid, gid: online.gid, home: online.home } };
  }
  let publish: ResolvedSession['publish'] = null;
  if (request.publish !== undefined && request.publish.length > 0) {
    // Only a session with a network namespace of its own and `lo` up has a port to forward to.
    if (request.network !== 'offline' || (request.allowlist === undefined && request.loopback !== 'private')) {
      throw new CorralError('request_invalid', 'request.publish: only an offline session with loopback "private", or an allowlist session, has a network namespace of its own to publish ports in');
    }
    let forwarder = { uid: realUser.uid, gid: realUser.gid };
    if (realUser.uid === 0 || realUser.gid === 0) {
      const online = checkedIdentity('online');
      forwarder = { uid: online.uid, gid: online.gid };
    }
    publish = { ports: [...request.publish], forwarder, peers: [...new Set([realUser.uid, 0])] };
  }
  if (state.sandboxGroup === null) throw new CorralError('not_provisioned', `installation ${installation.name} has no sandbox group; run \`corral setup\``);

  const pinned = new Map<string, PinnedDirectory>();
  try {
    const pin = (path: string, field: string): string => {
      const dir = ownedDirectory(path, { uid, gid: realUser.gid }, field);
      if (pinned.has(dir.path)) closeSync(dir.fd);
      else pinned.set(dir.path, dir);
      return dir.path;
    };
    const workspace = pin(request.workspace, 'request.workspace');
    const grant = Object.prototype.hasOwnProperty.call(record.workspaces, workspace) ? record.workspaces[workspace] : undefined;
    if (grant === undefined) {
      throw new CorralError('not_provisioned', `workspace ${workspace} is not provisioned for ${realUser.name}; run \`sudo corral setup --workspace ${workspace}\``);
    }
    const requestedRoots: string[] = [];
    if (request.mode === 'workspace-write') {
      requestedRoots.push(workspace);
      request.writableRoots.forEach((root, i) => {
        const canonical = pin(root, `request.writableRoots[${i}]`);
        if (!requestedRoots.includes(canonical)) requestedRoots.push(canonical);
      });
    }
    const policy = enforcedPolicy(request, workspace, requestedRoots, realUser, installation, machine);
    // Only pinned directories are ever writable: the floor filters the request's, it never adds one.
    const unpinned = policy.writableRoots.find((root) => !pinned.has(root));
    if (unpinned !== undefined) throw new CorralError('internal', `writable root ${unpinned} was not opened by the request's check`);
    const sandboxGid = state.sandboxGroup.gid;
    return {
      realUser,
      identity: { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.home },
      sandboxGid,
      network: policy.network,
      loopback: policy.loopback,
      allowlist,
      publish: publish === null ? null : { ...publish, ports: policy.publish },
      workspace,
      workspaceAccess: grant.access,
      writableRoots: policy.writableRoots,
      pinned,
      readRoots: existingCanonical(policy.readRoots),
      protectedNames: policy.protected.filter((p) => !isAbsolute(p)),
      protectedPaths: policy.protected.filter((p) => isAbsolute(p)),
      denyRead: policy.denyRead,
      limits: policy.limits,
      env: policy.env,
      git: policy.git,
      gitIdentity: { ...(request.gitIdentity ?? {}) },
      policyDigest: policy.digest,
    };
  } catch (err) {
    closePinnedDirectories({ pinned });
    throw err;
  }
}
