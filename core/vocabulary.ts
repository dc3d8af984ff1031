/**
 * The words of policy, each spelled once: modes, networks, loopback, limits. The config
 * schema (orchestrator/policy), the protocol (core/protocol.ts), the machine state and both
 * runners take them from here.
 */

/** What a session may write: nothing, the workspace (and writable roots), or everything (no sandbox). */
export const MODES = ['read-only', 'workspace-write', 'full-access'] as const;
export type Mode = (typeof MODES)[number];

/** Which identity a session runs as: offline (no network) or online. */
export const NETWORKS = ['offline', 'online'] as const;
export type Network = (typeof NETWORKS)[number];

/**
 * The shell `corral sh` runs inside the session: `sh` is `/bin/sh`; `login` is the real user's
 * login shell (the passwd entry's). A preference of the client, not a restriction: the runner
 * never sees it, and every command is confined the same whichever shell reads it.
 */
export const SHELLS = ['sh', 'login'] as const;
export type ShellChoice = (typeof SHELLS)[number];

/**
 * What a session may do to the git directories in its writable roots: `read` (the default:
 * every `.git` read-only) or `commit` (the top-level `.git` of a writable root takes commits,
 * branches and stashes, while what makes git run code stays read-only:
 * runner/linux/git-commit.ts lists it). Opt-in; a workspace config may only choose `read`.
 */
export const GIT_ACCESS = ['read', 'commit'] as const;
export type GitAccess = (typeof GIT_ACCESS)[number];

/** The two identities of a real user are named after the networks they run. */
export type IdentityKind = Network;

/**
 * The third form of `network`: an offline session whose only way out is Corral's filtering
 * proxy, which admits the hosts `allow` names and `deny` does not (deny wins). Entries are
 * host rules (core/hosts.ts), in their canonical spelling once resolved.
 */
export interface NetworkAllowlist {
  allow: string[];
  deny: string[];
}

/** What the `network` key holds once resolved. */
export type NetworkPolicy = Network | NetworkAllowlist;

/** The identity a network policy runs as: an allowlist session is an offline session plus the proxy. */
export function networkIdentity(network: NetworkPolicy): Network {
  return typeof network === 'string' ? network : 'offline';
}

/**
 * Offline sessions only: `private` (the session's own loopback in its own network namespace,
 * Linux), `deny` (no loopback), or a list of host loopback ports allowed.
 */
export const LOOPBACK_KEYWORDS = ['private', 'deny'] as const;
export type Loopback = (typeof LOOPBACK_KEYWORDS)[number] | number[];

/**
 * Ports a session publishes (`publish`, `--publish`): Corral listens on the host's 127.0.0.1:PORT
 * (and [::1]:PORT) and forwards each connection there to 127.0.0.1:PORT inside the session's own
 * network namespace. The other way round from `loopback: [ports]`, which lets the session reach
 * the host's ports. Unprivileged ports only: publishing must never give a member of the corral
 * group a host port below 1024 that it could not bind itself.
 */
export const PUBLISH_MIN_PORT = 1024;
export const PUBLISH_MAX_PORTS = 16;

/** Per-session resource limits. */
export interface Limits {
  /** Wall-clock limit per command, seconds. */
  timeoutSec: number;
  /** Output kept per stream per command; beyond it output is cut and flagged. */
  maxOutputBytes: number;
  /** Processes (tasks) per session. */
  pids: number;
  /**
   * Memory of the whole session (all its commands, their page cache and its tmpfs pages),
   * bytes; no swap beyond it. Optional in the protocol (older clients, Windows).
   */
  memoryBytes?: number;
  /**
   * Disk the session may write into the identity's home for this workspace (HOME), bytes: the
   * size of the ext4 image mounted there (runner/linux/home-image.ts). Shared by every session
   * of that identity and workspace, and kept between them. Optional in the protocol (older
   * clients, Windows, where it is not enforced); absent: the home is an unbounded directory.
   */
  homeBytes?: number;
}

/** The documented default memory limit: half of the machine's RAM (DEFAULT_MEMORY_SHARE). */
export const DEFAULT_MEMORY_SHARE = 0.5;
export const MIN_MEMORY_BYTES = 16 * 1024 * 1024;

export function defaultMemoryBytes(totalMemBytes: number): number {
  return Math.max(MIN_MEMORY_BYTES, Math.floor((totalMemBytes * DEFAULT_MEMORY_SHARE) / 4096) * 4096);
}

/** The documented default home limit: 8 GiB (a sparse image: only what is written uses disk). */
export const DEFAULT_HOME_BYTES = 8 * 1024 * 1024 * 1024;
/** The smallest home: ext4's journal and metadata take a few MiB of it. */
export const MIN_HOME_BYTES = 32 * 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = { timeoutSec: 600, maxOutputBytes: 64 * 1024 * 1024, pids: 4096 };
