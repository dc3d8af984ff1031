/**
 * The interfaces the shared core uses, and the one place that picks the platform leaf.
 *
 * The core (policy, planner, journal, session protocol, CLI) never looks at
 * process.platform; it asks `currentPlatform()` here, which loads the leaf lazily (so the
 * Windows bindings are never loaded on Linux and vice versa).
 */
import type { Readable, Writable } from 'node:stream';
import type { CorralError, ErrorCode } from '../core/errors.js';
import type { Installation, PlatformName } from '../core/installation.js';
import type { ResolvedPolicy } from './policy/resolve.js';
import type { ConnectionRecord, SessionRequest } from '../core/protocol.js';
import type { Journal, UndoRecord } from './journal.js';
import type { Network } from '../core/vocabulary.js';

/** The real user on whose behalf Corral provisions or runs. */
export interface RealUser {
  name: string;
  /** Linux uid; undefined on Windows. */
  uid?: number;
  gid?: number;
  /** Windows SID; undefined on Linux. */
  sid?: string;
  home: string;
  /** Linux: the login shell from the passwd database (policy `shell: "login"`); undefined on Windows. */
  shell?: string;
}

export interface SetupRequest {
  realUser: RealUser;
  /** Canonical absolute workspace paths. */
  workspaces: string[];
  network: Network;
  policy: ResolvedPolicy;
  /**
   * Windows: the loopback port of the allowlist proxy the firewall admits (`--proxy-port`);
   * absent: the one recorded by an earlier setup, else the default (core/proxy/port.ts).
   * Linux has no such port (its proxy listens in the session's own namespace).
   */
  proxyPort?: number;
}

/**
 * One idempotent change. `preview` holds the exact commands / module calls (for --dry-run).
 * `undo` is journaled before the step runs (see journal.ts): idempotent records that
 * reverse what the step is about to change; `apply` may return the exact undo once it is
 * known, which is journaled with `done`.
 */
export interface PlanStep {
  id: string;
  title: string;
  /** Why this change is needed, in plain words (shown in the readable plan). */
  why?: string;
  preview: string[];
  undo: UndoRecord[];
  /** Teardown steps: the journal `begin` sequence numbers this step settles. */
  reverts?: number[];
  /** false: not journaled (teardown's last step, which removes the journal itself). */
  journaled?: boolean;
  apply(): Promise<StepOutcome | void>;
}

export interface StepOutcome {
  /** The exact undo, when it differs from the planned one (e.g. the ACL entries really added). */
  undo?: UndoRecord[];
}

export interface Plan {
  action: 'setup' | 'teardown' | 'remove-workspace';
  steps: PlanStep[];
  /** Items already as desired (shown as "unchanged"). */
  unchanged: string[];
  /** Things the administrator should know (shown, never fatal). */
  warnings: string[];
  /** Setup: how each workspace will be made writable for the identities, and why (shown in the plan). */
  workspaceAccess?: { path: string; access: 'idmap' | 'acl'; reason: string }[];
}

/** `unchecked`: could not be checked without elevation (detail says why). */
export type ItemState = 'ok' | 'missing' | 'drifted' | 'unchecked';

export interface StatusItem {
  id: string;
  kind: string;
  description: string;
  state: ItemState;
  detail?: string;
  /** For a finding (missing, drifted): what to do, when it is not "run setup again". */
  remedy?: string;
  /** For a finding: the error code a session would meet because of it (e.g. config_invalid). */
  code?: ErrorCode;
}

export interface StatusReport {
  installation: string;
  platform: PlatformName;
  provisioned: boolean;
  items: StatusItem[];
  warnings: string[];
}

/** A platform's provisioning leaf (provision/linux, provision/windows). */
export interface Provisioner {
  readonly installation: Installation;
  /**
   * The orchestrator's provisioning journal in the installation's state directory, or null
   * where the platform journals elsewhere (Windows: the elevated PowerShell module journals
   * each change itself, so every Windows step is `journaled: false`).
   */
  readonly journal: Journal | null;
  /**
   * Elevation and required tools; throws not_elevated / tool_missing. `invocation` is the
   * command line (after the executable) to show in the "run it elevated" message. With
   * `dryRun` (setup's preview, which changes nothing) elevation is not required where the
   * platform can plan without it (Linux).
   */
  checkPrerequisites(invocation?: readonly string[], opts?: { dryRun?: boolean }): Promise<void>;
  /**
   * `name`, or the default real user; `workspace` (the first workspace, absolute) lets the
   * default be the directory's owner where the platform decides so (Linux, as root).
   */
  resolveRealUser(name: string | undefined, hint?: { workspace?: string }): Promise<RealUser>;
  planSetup(request: SetupRequest): Promise<Plan>;
  status(): Promise<StatusReport>;
  /**
   * Take back what setup did for one workspace of `realUser` (its grants, its identity homes,
   * its state record), keeping everything else. `workspace` is the directory as given, made
   * absolute. Throws not_provisioned when it is not one of the user's workspaces. Optional, so that a
   * platform leaf without it answers platform_unsupported (both Linux and Windows have it).
   */
  planRemoveWorkspace?(request: { realUser: RealUser; workspace: string }): Promise<Plan>;
  /** Reverse every pending journal step, newest first; then remove state and journal. */
  planTeardown(): Promise<Plan>;
  /**
   * Serialise setup/teardown of this installation: resolves once this process holds the
   * lock (waiting, with a notice, while another holds it); returns the release function.
   * Absent where the platform serialises elsewhere.
   */
  lock?(command: string): Promise<() => void>;
  /** Before the first change: throws state_unwritable when the journal could not be written. */
  preflightApply?(): Promise<void>;
  /** Release sessions (e.g. the PowerShell process). */
  close(): Promise<void>;
}

/** A started runner process: framed protocol on stdin/stdout, diagnostics on stderr. */
export interface RunnerProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code once the runner process has ended. */
  exited: Promise<number | null>;
  kill(): void;
  /**
   * Why the runner ended before `hello`, when the privilege bridge can tell from the runner's
   * stderr and exit code (e.g. sudo refused the user: not_permitted); undefined otherwise.
   */
  explainEarlyExit?(stderr: string, code: number | null): CorralError | undefined;
  /**
   * Allowlist sessions whose filtering proxy the privilege bridge serves itself (Windows: the
   * launcher, as the real user): its decisions, each as it is made. The client gives each one
   * to the commands running then, as the runner's `connection` frames are given (Linux).
   */
  onConnection?(listener: (record: ConnectionRecord) => void): void;
}

/** The privilege bridge: starts the session runner as / for the sandbox identity. */
export interface RunnerLauncher {
  /**
   * Whether this caller may start sessions at all (Linux: root, or a member of the user group the
   * sudo rule admits); throws not_permitted (exit 4) with what to do. Checked before provisioning,
   * so a refused user hears "not permitted" rather than "not provisioned".
   */
  checkPermitted?(realUser: RealUser): Promise<void>;
  launch(request: SessionRequest, realUser: RealUser): Promise<RunnerProcess>;
  /**
   * Start the runner before the request is known, when the bridge does not need it (the runner
   * reads the request from its input): openSession then resolves the policy while the runner
   * starts, so the two start-ups overlap. Undefined when starting needs the request (Windows: the
   * identity to log on depends on the network).
   */
  prelaunch?(realUser: RealUser): Promise<RunnerProcess>;
  /**
   * Start a runner for `realUser` now and keep it for the next prelaunch of this installation
   * and user in this process (the CLI calls it first thing for `corral run`, so the runner's
   * start-up overlaps the CLI's own). Returns a function that stops the runner if nobody took it
   * (it ends the runner's input: a runner that has read no request exits having done nothing).
   */
  startEarly?(realUser: RealUser): () => void;
}

/**
 * What is provisioned on this machine for one real user, as the platform's own state file
 * records it (the early check of `corral run`; the runner is the authority).
 */
export interface ProvisionedUser {
  runnerInstalled: boolean;
  /** null: the user has no record (not provisioned). */
  user: {
    /** Workspace paths, as the state spells them. */
    workspaces: string[];
    /** The default network chosen at setup (`setup --network`); sessions use it unless a layer sets `network`. */
    network: Network;
  } | null;
}

export interface PlatformLeaf {
  name: PlatformName;
  installation: Installation;
  /**
   * What is provisioned for `realUser` here: not_provisioned when nothing is set up,
   * state_corrupt when the state can't be parsed, null when it can't be read for another
   * reason (the runner then decides). Windows keys users by SID, Linux by name.
   */
  provisioned(realUser: RealUser): ProvisionedUser | null;
  /** Environment variable names compare case-insensitively (Windows: `Path` is PATH). */
  readonly environmentNamesIgnoreCase: boolean;
  createProvisioner(): Promise<Provisioner>;
  createLauncher(): Promise<RunnerLauncher>;
  /** The real user for a command run by this process (SUDO_USER on Linux). */
  currentRealUser(): Promise<RealUser>;
}
