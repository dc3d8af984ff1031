/**
 * What a Linux session's constructed view replaces, listed once (runner/linux/session-view.ts
 * mounts it; `corral policy show` prints it). Pure data.
 */

export interface Cover {
  path: string;
  /** tmpfs mode. */
  mode: string;
  /** Writable by the session (a Landlock rule). */
  writable: boolean;
  /**
   * tmpfs size as a share of the session's memory limit. Their pages are charged to the
   * session's memory cgroup; the shares add up to 3/4, so a full /tmp leaves the session's
   * processes (and its runner, in the same cgroup) room to run instead of an OOM loop.
   */
  share: number;
  why: string;
}

/** The host directories replaced by an empty private tmpfs in every session. */
export const COVERS: readonly Cover[] = [
  { path: '/tmp', mode: '1777', writable: true, share: 1 / 2, why: "the session's temp dir (TMPDIR); the host's holds other users' files and unix sockets (X11, tmux, ssh-agent, relays)" },
  { path: '/var/tmp', mode: '1777', writable: true, share: 1 / 8, why: "the session's own; the host's holds other users' files and sockets" },
  { path: '/dev/shm', mode: '1777', writable: true, share: 1 / 8, why: 'POSIX shared memory and semaphores of the session only (Python multiprocessing needs it writable)' },
  { path: '/run', mode: '0755', writable: false, share: 0, why: 'daemon sockets (dbus, systemd, nscd, docker, resolved varlink, databases); only the run entries come back' },
  { path: '/var/run', mode: '0755', writable: false, share: 0, why: 'the same as /run where it is a directory of its own rather than a link to /run' },
];

/** What comes back into /run, read-only (never a socket). */
export const RUN_ENTRY_REASONS = {
  resolvConf: 'online sessions only: the target of /etc/resolv.conf when it links into /run (systemd-resolved, resolvconf), for name resolution',
} as const;

export const HOME_COVER_WHY = "the real user's home: hidden; only the workspace, writable roots and read roots in it are bound back";

export const IDENTITY_HOME_COVER_WHY = "the sandbox identity's home: hidden; only this workspace's home in it (HOME) is bound back, so nothing of another workspace's sessions is read or run";
