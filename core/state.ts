/**
 * The recorded machine state of one Linux installation: `<stateDir>/state.json`.
 *
 * Written only by provisioning (root), atomically (write to a temp file, fsync, rename).
 * Mode 0644: it holds no secrets, and a non-root `corral run` reads it to tell "not
 * provisioned" apart from other failures. The session runner reads it (as root) to map
 * the real user to their identities; it trusts it because the directory and the file
 * are root-owned (the runner checks that).
 *
 * `version` is bumped on any incompatible change; readers refuse versions they do not
 * know with `state_corrupt`, and setup upgrades older ones.
 */

import type { Loopback, Network } from './vocabulary.js';

export const STATE_VERSION = 1;

export interface AccountRecord {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupRecord {
  name: string;
  gid: number;
}

/** How a workspace is made writable for the identities (see issue 7 / DESIGN.md). */
export type WorkspaceAccess = 'idmap' | 'acl';

export interface WorkspaceRecord {
  /** Canonical absolute path. */
  path: string;
  access: WorkspaceAccess;
  /** Linux, access 'acl': protected paths inside the workspace that got read-only entries. */
  protectedPaths?: string[];
  /** Linux: ancestors of the workspace that got execute-only entries for the identities. */
  traverse?: string[];
}

export interface UserRecord {
  realUser: AccountRecord & { home: string };
  identities: { offline: AccountRecord; online: AccountRecord };
  network: Network;
  /** Linux: the loopback policy the offline identity's nft rules were rendered from. */
  loopback?: Loopback;
  /** Keyed by canonical path. */
  workspaces: Record<string, WorkspaceRecord>;
}

export interface RunnerRecord {
  /** Root-owned copy the sudo rule names. */
  node: string;
  entry: string;
  /** Digest of the installed files, to tell whether a re-run must copy again. */
  digest: string;
  /** Linux: digest of the sources it was copied from (a re-run copies again when it changes). */
  sourceDigest?: string;
}

/** Linux: the nftables table holding the offline identities' rules. */
export interface FirewallRecord {
  family: 'inet';
  table: string;
}

/** Linux: the sudoers drop-in and the one rule it holds. */
export interface SudoersRecord {
  file: string;
  line: string;
}

export interface MachineState {
  version: typeof STATE_VERSION;
  installation: string;
  sandboxGroup: GroupRecord | null;
  userGroup: GroupRecord | null;
  runner: RunnerRecord | null;
  firewall?: FirewallRecord | null;
  sudoers?: SudoersRecord | null;
  /** Keyed by real user name. */
  users: Record<string, UserRecord>;
}

export function emptyState(installation: string): MachineState {
  return { version: STATE_VERSION, installation, sandboxGroup: null, userGroup: null, runner: null, users: {} };
}
