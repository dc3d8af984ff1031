/**
 * The Linux runner backend: confine this process once, synchronously, then start commands.
 *
 * Start order (DESIGN.md §Linux mechanisms; each step depends on the ones before):
 *  1. validate the request (request-validation.ts) — hostile input
 *  2. mark inherited descriptors close-on-exec
 *  3. plan protected/read-deny mounts (in the host's view; nested .git, submodule slots and the
 *     pins of deep protected paths too: nested-git.ts); under the reservation lock adopt other
 *     sessions' live placeholders, open the placeholders' parent directories once, start the
 *     root reaper with every target (it cleans up whatever of the steps below happened,
 *     however the runner ends) and register this session's reservations
 *  4. session temp dir, cgroups (this process moves in: everything it forks is contained); the
 *     workspace's HOME with its bounded filesystem mounted on it in the host's mount namespace
 *     (home-image.ts); then, still in the host's network namespace, the published ports' host
 *     listeners and their forwarder (publish.ts), and the allowlist's filtering proxy (proxy.ts)
 *  5. unshare the mount namespace (mounts made slave), and for offline sessions the network
 *     namespace with only `lo` up
 *  6. protected-name placeholders, workspace access (idmapped mount of the writable roots),
 *     then the protected binds and read-deny masks on top of it
 *  7. no_new_privs, then Landlock (which forbids later mounts), then setgroups/setresgid/
 *     setresuid to the identity
 * Landlock, no_new_privs and unshare apply to the calling thread: all of this runs on Node's
 * main thread, the thread libuv forks commands from.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { arch, totalmem } from 'node:os';
import { defaultMemoryBytes } from '../../core/vocabulary.js';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import { placeholderKind } from '../../core/protected-names.js';
import type { ConfinedSession, RunnerBackend } from '../backend.js';
import type { Enforcement, SessionRequest, SpawnRequest } from '../../core/protocol.js';
import { createSessionCgroups, detectCgroups, SessionCgroup } from './cgroup.js';
import { exists, newGitlinkGitDirs, quarantine, recordGitlinks, type GitlinkBaseline } from './new-gitlinks.js';
import { startCommand } from './command.js';
import { dropTo, setNoNewPrivs } from './creds.js';
import { commandEnvironment } from './environment.js';
import { floorEnvironment } from '../../core/policy/env.js';
import type { MachineLayer } from '../../core/policy/floor.js';
import { markInheritedDescriptorsCloseOnExec } from './fds.js';
import { landlockAbi, restrictWrites, type WritableRule } from './landlock.js';
import { kernelAuditEnabled, LandlockAuditSocket } from './landlock-audit.js';
import { landlockSource, nflogSource, SessionViolations, type ViolationSource } from './violations.js';
import { NflogSocket } from './nflog.js';
import { installRefusalTable } from './refusal-table.js';
import { makeMountsSlave } from './mount.js';
import { bringLoopbackUp, unshareIpcNamespace, unshareMountNamespace, unshareNetworkNamespace } from './namespaces.js';
import { joinFreshSessionKeyring } from './keyring.js';
import { installSessionFilter } from './seccomp.js';
import { buildSessionView, type KeepPath } from './session-view.js';
import { writePlaceholderExcludes } from './placeholder-excludes.js';
import { adoptSharedPlaceholders, applyProtection, closePlaceholderDirs, createPlaceholders, liveFacts, openPlaceholderDirs, planProtection, type PlaceholderDir, type ProtectionStep } from './protected-paths.js';
import { oomKills } from './memory-limit.js';
import { NoRouteTally } from './no-route.js';
import { prepareWorkspaceHome, workspaceHomeName } from './workspace-home.js';
import { ensureHomeImage } from './home-image.js';
import { planNestedGit } from './nested-git.js';
import { startReaper, type ReaperHandle, type ReaperPlaceholder } from './reaper.js';
import { closePinnedDirectories, resolveSession, type ResolvedSession } from './request-validation.js';
import { lockReservations, registerReservation, sharedPlaceholder } from './reservations.js';
import { createSessionTmp, sessionTmpPath } from './session-tmp.js';
import { makeWorkspaceWritableForIdentity, type WorkspaceAccessResult } from './workspace-access.js';
import { posixPaths } from '../../core/paths.js';
import type { ProxyDecision } from '../../core/proxy/server.js';
import { startProxy, type SessionProxy } from './proxy.js';
import { proxyEnvironment } from '../../core/proxy/environment.js';
import { publishPorts, type PublishedPorts } from './publish.js';
import { ptyArchitectureProblem } from './pty.js';

/** Device nodes a shell and common tools write or ioctl. */
const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx', '/dev/pts'];
const CLOSE_WAIT_MS = 5000;
/** Retries of a refused command-group removal: 50 ms, 100 ms … 3.2 s after the command ended. */
const LINGER_RETRIES = 6;
/** The session's temp dir inside its view (a private tmpfs: session-view.ts). */
const SESSION_TMP = '/tmp';

/** What the view brings back into covered directories: writable roots as they are, protected binds and the workspace read-only. */
function keepPaths(s: ResolvedSession, steps: ReturnType<typeof planProtection>, workspaceHome: string | null): KeepPath[] {
  const pin = (path: string) => {
    const p = s.pinned.get(path);
    return p === undefined ? {} : { pin: { dev: p.dev, ino: p.ino } };
  };
  const keep: KeepPath[] = s.writableRoots.map((path) => ({ path, access: 'write', why: 'writable root', ...pin(path) }));
  if (workspaceHome !== null) keep.push({ path: workspaceHome, access: 'write', why: "the identity's home for this workspace (HOME)" });
  if (!s.writableRoots.includes(s.workspace)) keep.push({ path: s.workspace, access: 'read', why: 'the workspace (read-only mode)', ...pin(s.workspace) });
  for (const step of steps) if (step.op === 'bind') keep.push({ path: step.path, access: 'read', why: 'protected path' });
  for (const path of s.readRoots) keep.push({ path, access: 'read', why: 'readRoots' });
  return keep;
}

export interface LinuxBackendOptions {
  installation: Installation;
  /** The real user's uid (SUDO_UID, or our own). */
  realUid: number;
  /** Reads the machine state (root-owned state.json). */
  readState: () => import('../../core/state.js').MachineState;
  /** The machine config layer the runner read itself (machine-config.ts), or null when there is none. */
  machine?: MachineLayer | null;
}

/**
 * The identity's own home, in which each workspace gets its home (workspace-home.ts), writable
 * so that package managers and compilers keep their caches (~/.npm, ~/.cache, ~/.cargo). It
 * belongs to the sandbox identity, not to any real user, and each identity (offline, online)
 * has its own, so what a session leaves there can reach only later sessions of the same
 * identity in the same workspace — never the real user's files, never another workspace, and
 * never the network-capable identity from an offline one. Used only when passwd's home is a
 * real directory (not a link), owned by the identity, directly under the installation's home
 * base: a mis-set home such as `/` must not widen the Landlock write set.
 */
function usableIdentityHome(identity: { home: string; uid: number }, installation: Installation): string | null {
  const base = `${installation.homeBase}/`;
  if (!identity.home.startsWith(base) || identity.home.slice(base.length).includes('/')) return null;
  try {
    const st = lstatSync(identity.home);
    // Canonical too: the view binds it back through a no-link open (open-no-symlinks.ts).
    return st.isDirectory() && st.uid === identity.uid && realpathSync(identity.home) === identity.home ? identity.home : null;
  } catch {
    return null;
  }
}

/** Device and inode of a placeholder, looked up through its parent's descriptor (null: gone, or a link). */
function placeholderInode(p: ReaperPlaceholder): { dev: number; ino: number } | null {
  try {
    const st = lstatSync(`/proc/self/fd/${p.dirFd}/${p.name}`);
    return st.isSymbolicLink() ? null : { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

function isDirectory(path: string): boolean | null {
  try {
    return statSync(path).isDirectory();
  } catch {
    return null;
  }
}

const within = posixPaths.within;

function pinnedFd(s: ResolvedSession, path: string): number {
  const pin = s.pinned.get(path);
  if (pin === undefined) throw new CorralError('internal', `writable root ${path} has no descriptor from the request's check`);
  return pin.fd;
}

export function linuxBackend(options: LinuxBackendOptions): RunnerBackend {
  return {
    confine(request: SessionRequest): ConfinedSession {
      // `request` was checked in shape by the shared validator (runner/start.ts readOpenRequest).
      const { installation } = options;
      const session = resolveSession(request, installation, options.readState(), options.realUid, options.machine ?? null);
      markInheritedDescriptorsCloseOnExec();
      return confineResolved(installation, session);
    },
  };
}

function confineResolved(installation: Installation, s: ResolvedSession): ConfinedSession {
  const warnings: string[] = [];
  const sessionId = randomBytes(6).toString('hex');
  const layout = detectCgroups();
  if (layout === null) throw new CorralError('kernel_unsupported', 'no cgroup v2 hierarchy is mounted; Corral needs it to contain sessions');
  const identityCreds = { uid: s.identity.uid, gid: s.identity.gid };

  const firstLevel = planProtection(
    {
      writableRoots: s.writableRoots,
      protectedNames: s.protectedNames,
      placeholderKind: (name) => placeholderKind(name, installation.name),
      protectedPaths: s.protectedPaths,
      denyRead: s.denyRead,
      git: s.git,
      warnings,
    },
    liveFacts,
  );
  // Nested .git entries, submodule slots, and pins for every deep protected path (nested-git.ts).
  const nested = planNestedGit({ writableRoots: s.writableRoots, protection: firstLevel }, liveFacts);
  warnings.push(...nested.warnings);
  const pins = nested.steps.filter((step) => step.op === 'pin');
  const planned = [...pins, ...firstLevel, ...nested.steps.filter((step) => step.op !== 'pin')];
  // git: "commit": the gitlinks of each repository whose .git takes commits, and every nested
  // .git that exists (bound) or is reserved now, for the check at close (new-gitlinks.ts).
  const commitRepos = s.git === 'commit' ? s.writableRoots.filter((root) => liveFacts.kind(`${root}/.git`) === 'dir' && !firstLevel.some((step) => step.op === 'bind' && step.path === `${root}/.git`)) : [];
  const gitlinkBaseline = recordGitlinks(commitRepos, liveFacts);
  const gitDirsAtStart = new Set(
    [...firstLevel, ...nested.steps].flatMap((step) => (step.op === 'bind' ? [step.path] : step.op === 'reserve' ? [`${step.root}/${step.name}`] : [])).filter((p) => p.endsWith('/.git')),
  );
  const cgroupV2 = `${layout.v2}/${installation.name}/${sessionId}`;
  const cgroupPids = layout.pids?.kind === 'v1' ? `${layout.pids.mount}/${installation.name}/${sessionId}` : null;
  const tmpdir = sessionTmpPath(installation.name, sessionId);
  const cgroupMemory = layout.memory?.kind === 'v1' && s.limits.memoryBytes !== undefined ? `${layout.memory.mount}/${installation.name}/${sessionId}` : null;

  // Placeholders are shared by sessions on one workspace (reservations.ts). Under the registry
  // lock (the plan itself is made before it, so that a large tree's walk holds no lock): a placeholder another live session holds is adopted (counted, not just bound, so its
  // reaper leaves it while this session lives), the parent directories are opened once, the
  // reaper learns every target, and this session's markers are registered — all before any of
  // it is created, so a runner killed at any later point is cleaned up after.
  const owners = [s.realUser.uid, s.identity.uid];
  let steps: ProtectionStep[];
  let placeholderDirs: Map<string, PlaceholderDir>;
  let placeholders: ReaperPlaceholder[];
  let reaper: ReaperHandle;
  const unlock = lockReservations(installation.name);
  try {
    // The plan was made before the lock: an entry it binds may have been another session's
    // placeholder that its reaper removed since. Such a vanished entry is reserved now, as a
    // plan made now would (the parent's owner is still checked: openPlaceholderDirs).
    steps = adoptSharedPlaceholders(
      planned,
      (path) => sharedPlaceholder(installation.name, path) ?? (liveFacts.kind(path) === 'missing' ? placeholderKind(basename(path), installation.name) : null),
    );
    placeholderDirs = openPlaceholderDirs(steps, owners);
    placeholders = steps.flatMap((step) =>
      step.op === 'reserve' ? [{ path: `${step.root}/${step.name}`, dirFd: placeholderDirs.get(step.root)!.fd, name: step.name, kind: step.kind }] : [],
    );
    reaper = startReaper({ installation: installation.name, sessionId, cgroupV2, cgroupPids, cgroupMemory, tmpdir, placeholders });
    for (const p of placeholders) registerReservation(installation.name, sessionId, p.path);
  } finally {
    unlock();
  }

  createSessionTmp(installation.name, sessionId, identityCreds);
  const cg = createSessionCgroups(layout, installation.name, sessionId, identityCreds, s.limits.pids, s.limits.memoryBytes);
  warnings.push(...cg.warnings);

  // HOME: the identity's home for this workspace (workspace-home.ts), made before the view
  // binds it back into the hidden identity home; with limits.homeBytes, its bounded filesystem
  // (home-image.ts) is mounted on it here, in the host's mount namespace, before the unshare.
  const identityHome = usableIdentityHome(s.identity, installation);
  let home: string | null = null;
  if (identityHome === null) {
    warnings.push(`the identity's home ${s.identity.home} is not a directory of its own under ${installation.homeBase}: HOME stays read-only (tool caches such as ~/.npm will fail)`);
  } else {
    const prepared = prepareWorkspaceHome(identityHome, s.workspace, identityCreds);
    if (prepared.ok) home = prepared.path;
    else warnings.push(`no home for this workspace: ${prepared.why}; HOME stays read-only (tool caches such as ~/.npm will fail)`);
  }
  if (home !== null && s.limits.homeBytes !== undefined) {
    const image = ensureHomeImage(installation, { name: s.identity.name, ...identityCreds }, home, workspaceHomeName(s.workspace), s.limits.homeBytes);
    warnings.push(...image.warnings);
  }

  // Published ports: the host listeners are bound here, in the host's network namespace and as
  // root (a port in use ends the session before it starts: port_in_use), and handed to the
  // forwarder, which drops to the real user; this process keeps no host socket (publish.ts).
  const published = s.publish === null ? null : publishPorts(s.publish.ports, s.publish.forwarder, s.publish.peers);

  // Allowlist network: the proxy starts here, while this process is still in the host's mount
  // and network namespaces (proxy.ts); it drops to the online identity before it serves.
  const proxy = s.allowlist === null ? null : startProxy(s.allowlist.rules, s.allowlist.proxyIdentity);

  // The violation source: opened while this process is root and in the host's network namespace
  // (landlock-audit.ts), read in the serving phase.
  const violationSource = openViolationSource();

  unshareMountNamespace();
  makeMountsSlave();
  unshareIpcNamespace();
  let networkNamespace = false;
  let refusals: { socket: NflogSocket | null; status: string } = { socket: null, status: 'off: the session is online (nothing is refused)' };
  if (s.network === 'offline') {
    if (proxy !== null) {
      // An allowlist session: its own namespace, `lo` up for the proxy's listeners (even under loopback: deny).
      unshareNetworkNamespace();
      networkNamespace = true;
      bringLoopbackUp();
      refusals = openRefusalSource();
      proxy.listenInSession((text) => process.stderr.write(`corral runner: ${text}\n`));
      published?.serveSession((text) => process.stderr.write(`corral runner: ${text}\n`));
    } else if (Array.isArray(s.loopback)) {
      refusals = { socket: null, status: "off: the session shares the host's network namespace (loopback ports): the host's firewall rule refuses its packets, and nothing reads that rule's log" };
      warnings.push(`loopback ports ${s.loopback.join(',')} of the host are allowed: the session shares the host's network namespace and relies on the firewall's uid rule alone`);
    } else {
      unshareNetworkNamespace();
      networkNamespace = true;
      if (s.loopback === 'private') {
        bringLoopbackUp();
        refusals = openRefusalSource();
      } else {
        refusals = { socket: null, status: 'off: loopback "deny": no interface is up, so a connection fails with ENETUNREACH before any firewall hook (counted, not recorded)' };
      }
      published?.serveSession((text) => process.stderr.write(`corral runner: ${text}\n`));
    }
  }

  let access: WorkspaceAccessResult;
  try {
    // Placeholders before the idmapped mount, binds after it, so that protected paths sit
    // read-only on top of the idmapped workspace.
    createPlaceholders(steps, placeholderDirs);
    access = makeWorkspaceWritableForIdentity({
      access: s.workspaceAccess,
      workspace: s.workspace,
      writableRoots: s.writableRoots,
      pinned: s.pinned,
      realUser: { name: s.realUser.name, uid: s.realUser.uid, gid: s.realUser.gid },
      identity: { uid: s.identity.uid, gid: s.identity.gid },
    });
    applyProtection(steps, placeholderDirs);
    // The reaper removes a placeholder only while it is still this inode (reaper.ts). Looked up
    // after the binds (a placeholder re-made before its bind has its final inode) through the
    // host descriptors, whose lookups see the host's entry, not this namespace's mounts.
    reaper.reportInodes(placeholders.map((p) => placeholderInode(p)));
  } finally {
    closePlaceholderDirs(placeholderDirs);
  }
  warnings.push(...access.warnings);

  // The constructed view (session-view.ts): private /tmp, /var/tmp, /dev/shm, /run, the real
  // user's home and the identity's home hidden, a hidepid procfs, the session's mqueue. After
  // the protection mounts (it binds them back) and before Landlock (which forbids mounts).
  const view = buildSessionView({
    keep: keepPaths(s, steps, home),
    realHome: s.realUser.home,
    identityHome,
    network: s.network,
    memoryBytes: s.limits.memoryBytes ?? defaultMemoryBytes(totalmem()),
  });
  // Commands get ptys only on the session's own devpts (session-view.ts says why).
  const ptyProblem = view.ptys !== 'private' ? view.ptys : ptyArchitectureProblem();
  if (ptyProblem !== null) warnings.push(`commands get no pseudo-terminal (corral run --pty): ${ptyProblem}`);
  const gitExcludes = writePlaceholderExcludes(SESSION_TMP, steps);
  joinFreshSessionKeyring(arch());

  setNoNewPrivs();
  if (!installSessionFilter()) warnings.push(`no seccomp filter for ${arch()}: non-IP socket families and keyctl are not refused`);
  const rules: WritableRule[] = [
    // The writable roots by the descriptors their check opened (request-validation.ts): the
    // rules cover the inodes that were checked, whatever their paths name by now.
    ...s.writableRoots.map((path) => ({ path, kind: 'tree' as const, fd: pinnedFd(s, path) })),
    ...view.writable.map((path) => ({ path, kind: 'tree' as const })),
    ...(home === null ? [] : [{ path: home, kind: 'tree' as const }]),
    { path: cg.sessionDir, kind: 'cgroup' },
    ...DEVICES.map((path) => ({ path, kind: 'device' as const })),
  ];
  const landlock = restrictWrites(rules, isDirectory, { logCommandDenials: violationSource.socket !== null });
  closePinnedDirectories(s);
  if (landlock.abi === 0) {
    warnings.push('Landlock is not available on this kernel: writes are limited only by file permissions (DAC), not to the workspace');
  } else if (landlock.abi < 2) {
    warnings.push(`Landlock ABI ${landlock.abi}: moving or linking files between directories is refused`);
  } else if (landlock.abi < 6) {
    warnings.push(`Landlock ABI ${landlock.abi}: signals and abstract unix sockets are not scoped to the session`);
  }

  dropTo({ uid: s.identity.uid, gid: s.identity.gid, groups: [s.sandboxGid] });
  process.chdir('/');

  const enforcement: Enforcement = {
    landlockAbi: landlock.abi,
    workspaceAccess: access.mechanism,
    networkNamespace,
    containment: cg.description,
    warnings,
    violationSources: { landlock: violationSource.status, nflog: refusals.status },
  };
  const sources: ViolationSource[] = [];
  if (violationSource.socket !== null) sources.push(landlockSource(violationSource.socket, process.pid));
  const packets = refusals.socket === null ? null : nflogSource(refusals.socket, proxy === null ? OFFLINE_RULE : ALLOWLIST_RULE);
  if (packets !== null) sources.push(packets);
  const violations = sources.length === 0 ? null : new SessionViolations(sources);
  const memory = cg.memory;
  const countOom = memory === null ? undefined : () => oomKills(memory);
  // Offline with a namespace of its own: its no-route counters are the session's alone (no-route.ts).
  const offlineNamespace = networkNamespace && proxy === null;
  const git = { excludes: gitExcludes, repositories: nested.repositories };
  const gitlinkCheck = gitlinkBaseline.length === 0 ? null : { baseline: gitlinkBaseline, atStart: gitDirsAtStart, sessionId };
  const noRoutes = offlineNamespace ? new NoRouteTally(() => packets?.refusals ?? 0) : null;
  return linuxSession(s, home ?? s.identity.home, enforcement, new SessionCgroup(cg.sessionDir), tmpdir, git, countOom, proxy, noRoutes, published, violations, gitlinkCheck, ptyProblem === null);
}

/** The rule a refused packet names (ViolationRecord.rule). */
const OFFLINE_RULE = 'the session is offline (network: "offline")';
const ALLOWLIST_RULE = 'a direct connection: the session reaches the network only through its allowlist proxy';

/**
 * The session namespace's refused packets as a violation source (nflog.ts, refusal-table.ts),
 * or why there is none. Root phase, in the session's fresh namespace with `lo` up. The socket
 * is bound before the table and the routes exist, so no refusal goes unheard; on any failure
 * nothing of it stays (the namespace then refuses by having no route, as before).
 */
function openRefusalSource(): { socket: NflogSocket | null; status: string } {
  let socket: NflogSocket;
  try {
    socket = NflogSocket.open();
  } catch (err) {
    return { socket: null, status: `off: ${(err as Error).message}` };
  }
  try {
    const { ipv6 } = installRefusalTable();
    return { socket, status: ipv6 ? 'on' : 'on (IPv4 only: the kernel refused the IPv6 route; IPv6 fails with ENETUNREACH, counted, not recorded)' };
  } catch (err) {
    socket.close();
    return { socket: null, status: `off: ${(err as Error).message}` };
  }
}

/**
 * Landlock's audit records as the session's violation source, or why there is none: Landlock
 * ABI 7 writes them, and only while the kernel's audit is enabled (Corral leaves that setting
 * to the administrator: auditctl -e 1, or auditd).
 */
function openViolationSource(): { socket: LandlockAuditSocket | null; status: string } {
  const abi = landlockAbi();
  if (abi < 7) return { socket: null, status: abi === 0 ? 'off: no Landlock' : `off: Landlock ABI ${abi} writes no audit records (ABI 7 does)` };
  const enabled = kernelAuditEnabled();
  if (enabled === false) return { socket: null, status: "off: the kernel's audit is disabled (auditctl -e 1, or run auditd)" };
  if (enabled !== true) return { socket: null, status: `off: ${enabled}` };
  try {
    return { socket: LandlockAuditSocket.open(), status: 'on' };
  } catch (err) {
    return { socket: null, status: `off: ${(err as Error).message}` };
  }
}

function linuxSession(
  s: ResolvedSession,
  home: string,
  enforcement: Enforcement,
  cgroup: SessionCgroup,
  tmpdir: string,
  git: { excludes: string | null; repositories: string[] },
  countOom: (() => number) | undefined,
  proxy: SessionProxy | null,
  noRoutes: NoRouteTally | null,
  published: PublishedPorts | null,
  violations: SessionViolations | null,
  gitlinkCheck: { baseline: GitlinkBaseline[]; atStart: Set<string>; sessionId: string } | null,
  pty: boolean,
): ConfinedSession {
  const network = proxy !== null ? 'allowlist' : s.network;
  const cwdRoots = [s.workspace, ...s.writableRoots, SESSION_TMP];
  // git trusts the writable roots and every repository found in them at session start (nested-git.ts
  // says why the repositories too: ACL grants, git's exact match). Trust here only lets the session's
  // own, confined git read those repositories' config; the real user's git is not affected.
  const safeDirectories = [...new Set([s.workspace, ...s.writableRoots, ...git.repositories])];
  // Groups whose rmdir was refused (EBUSY): background processes of the command remain, or the
  // kernel has not yet marked a just-emptied group unpopulated. Tried again a few times, with
  // growing delays, then left to close().
  const lingering = new Set<string>();
  const retryRemoval = (group: string, attempt: number) => {
    const timer = setTimeout(() => {
      if (!lingering.has(group)) return;
      if (cgroup.remove(group)) lingering.delete(group);
      else if (attempt < LINGER_RETRIES) retryRemoval(group, attempt + 1);
    }, 50 * 2 ** attempt);
    timer.unref();
  };
  return {
    identity: s.identity.name,
    enforcement,
    home,
    tmpdir,
    ...(proxy === null ? {} : { onConnection: (listener: (d: ProxyDecision) => void) => proxy.onDecision(listener) }),
    ...(published === null ? {} : { published: published.addresses }),
    policyDigest: s.policyDigest,
    limits: { timeoutSec: s.limits.timeoutSec, maxOutputBytes: s.limits.maxOutputBytes },
    pty,
    spawn(request: SpawnRequest, events) {
      let cwd: string;
      try {
        cwd = realpathSync(request.cwd);
      } catch {
        events.failed('cwd_outside_workspace', `cwd ${request.cwd} does not exist`);
        return { writeStdin() {}, closeStdin() {}, kill() {}, pauseOutput() {}, resumeOutput() {} };
      }
      if (!cwdRoots.some((root) => within(cwd, root))) {
        events.failed('cwd_outside_workspace', `cwd ${cwd} is outside the workspace ${s.workspace}`);
        return { writeStdin() {}, closeStdin() {}, kill() {}, pauseOutput() {}, resumeOutput() {} };
      }
      // The client's environment filtered again by the enforced env policy (hostile input).
      const env = commandEnvironment(floorEnvironment(request.env, s.env), { home, tmpdir: SESSION_TMP, identity: s.identity.name, safeDirectories, gitExcludes: git.excludes, network, gitIdentity: s.gitIdentity });
      if (proxy !== null) Object.assign(env, proxyEnvironment(proxy.port));
      return startCommand(request, events, {
        cgroup,
        env,
        cwd,
        ...(countOom === undefined ? {} : { oomKills: countOom }),
        ...(noRoutes === null ? {} : { noRoutes }),
        ...(violations === null ? {} : { violations }),
        onFinished(group) {
          // rmdir refuses (EBUSY) while background processes of the command remain.
          if (!cgroup.remove(group)) {
            lingering.add(group);
            retryRemoval(group, 0);
          }
        },
      });
    },
    async close() {
      cgroup.close();
      const groups = cgroup.commandGroups();
      for (const group of groups) cgroup.kill(group);
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (groups.some((g) => cgroup.populated(g)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const group of groups) cgroup.remove(group);
      lingering.clear();
      proxy?.close();
      published?.close();
      violations?.close();
      // Every command is dead now: a gitlink the session added for a .git it made is moved aside (new-gitlinks.ts).
      if (gitlinkCheck !== null) {
        const found = newGitlinkGitDirs(gitlinkCheck.baseline, liveFacts, exists, (p) => gitlinkCheck.atStart.has(p));
        for (const line of quarantine(found, gitlinkCheck.sessionId)) process.stderr.write(`corral runner: ${line}\n`);
      }
    },
  };
}
