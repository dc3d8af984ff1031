/**
 * The public types of a session (the library API, `import { openSession } from 'corral'`).
 * Platform types never appear here: a session is the same on Linux and Windows.
 */
import type { Readable, Writable } from 'node:stream';
import type { ConnectionRecord, Enforcement, Network, ViolationRecord } from '../../core/protocol.js';
import type { GitAccess, Limits } from '../../core/vocabulary.js';

export type { ConnectionRecord, Enforcement, Limits, Network };

export interface SessionOptions {
  /**
   * The workspace the session may write: one provisioned with `corral setup --workspace`. Default: the
   * provisioned workspace the current directory is in.
   */
  workspace?: string;
  /** `offline` (default from policy) or `online`; a flag-level policy value, so machine locks apply. */
  network?: Network;
  /**
   * Allowlist network (exclusive with `network`): hosts the session may reach through Corral's
   * filtering proxy — `name`, `*.suffix`, `1.2.3.4` or `[v6]`, each with an optional `:port`
   * (bare: 80 and 443). A flag-level `network.allow`: it replaces the configured list.
   */
  allowHosts?: string[];
  /** Hosts refused even when allowed (added to the configured `network.deny`). */
  denyHosts?: string[];
  /**
   * Dev servers (Linux, offline and allowlist sessions): session ports published on the host's
   * loopback — Corral listens on 127.0.0.1:PORT and [::1]:PORT and forwards each connection to
   * 127.0.0.1:PORT inside the session. A flag-level `publish`: it replaces the configured list.
   * Ports 1024-65535; a port already in use on the host is `port_in_use`.
   */
  publish?: readonly number[];
  /** Default per-command timeout in seconds (a flag-level policy value: `limits.timeoutSec`). */
  timeoutSec?: number;
  /**
   * The environment commands inherit from, filtered by the policy's `env` (allowlist, secret-looking
   * names dropped, `set` added). Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Extra read-deny paths for this session, added to the policy's (a flag-level value: it can
   * only add protection, never remove any).
   */
  denyRead?: readonly string[];
  /** Called once per enforcement warning from the runner (e.g. a degraded mechanism). */
  onWarning?: (message: string) => void;
  /**
   * Audit log: default the real user's `~/.local/state/<installation>/audit.jsonl`; a path to
   * write elsewhere; `false` for none (benchmarks, tests).
   */
  audit?: string | false;
}

export interface CommandOptions {
  /** Working directory: absolute, or relative to the workspace; must be inside the workspace. Default: the workspace. */
  cwd?: string;
  /**
   * Extra variables for this command. Secret-looking names (`*_TOKEN`, `AWS_*`…) are dropped unless the
   * policy's `env.allow` names them exactly — the same rule as for the inherited environment.
   */
  env?: Readonly<Record<string, string>>;
  /** Timeout in seconds; at most the policy's `limits.timeoutSec` (the default). */
  timeoutSec?: number;
}

export interface SpawnOptions extends CommandOptions {
  /**
   * `pipe` (default): `stdin` is a Writable; `ignore`: the command reads end-of-file (with `pty`:
   * nothing is typed into its terminal).
   */
  stdin?: 'pipe' | 'ignore';
  /**
   * A pseudo-terminal of this size (character cells, each 1–10000) inside the session, where
   * `Session.ptys` is true (else platform_unsupported): the command's stdin, stdout and stderr are
   * the pty, it is the session leader with the pty as its controlling terminal, so `\x03`, `\x1a`
   * and `\x1c` written to `stdin` are SIGINT, SIGTSTP and SIGQUIT for its foreground job, and
   * full-screen programs work. Everything it shows comes on `stdout` (with the terminal's \r\n
   * line ends and echo); `stderr` stays empty; ending `stdin` types ^D. Resize with
   * `SandboxedProcess.resize`. Absent: pipes.
   */
  pty?: { cols: number; rows: number };
}

export interface ExecOptions extends CommandOptions {
  /** Bytes written to the command's stdin, which is then closed. Default: no stdin (end-of-file). */
  input?: string | Buffer;
}

/** How a command ended. */
export interface CommandExit {
  /** The command's own exit code; null when it was killed by a signal. */
  exitCode: number | null;
  /** The signal that killed it, e.g. `SIGKILL`; null when it exited. */
  signal: NodeJS.Signals | null;
  /** The timeout killed it (with everything it started). */
  timedOut: boolean;
  /** Killed by the sandbox without anyone asking: `out of memory` (the session's memory limit); null otherwise. */
  killed: 'out of memory' | null;
  /** stdout + stderr went over the policy's `maxOutputBytes`: the rest was cut. */
  outputTruncated: boolean;
  /**
   * Offline session (Linux): while it ran, the command tried to reach an address outside the
   * session and was refused (a connection, or a name lookup: the session's name server is
   * unreachable by design) — the refused packets' records (`violations`, source nflog) say
   * where to. False where it is not counted (allowlist, Windows).
   */
  networkUnreachable: boolean;
  durationMs: number;
  /** Shell-style status: 124 on timeout, 128 + signal number when killed, else the exit code. */
  status: number;
  /** Allowlist network: every connection attempt the filtering proxy decided while it ran (empty otherwise). */
  connections: ConnectionRecord[];
  /**
   * Accesses the kernel refused while it ran, read by the session's root side (Linux: Landlock's
   * audit records; empty where there is no source — see Session.violationSources).
   */
  violations: ViolationRecord[];
  /** Refused accesses that were not recorded (the runner could not keep up). */
  violationsDropped: number;
}

export interface ExecResult extends CommandExit {
  stdout: Buffer;
  stderr: Buffer;
}

/** A command started with `session.spawn`: output streams as it comes. */
export interface SandboxedProcess {
  /** The command's id within the session (also in the audit record). */
  readonly id: string;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** null when started with `stdin: 'ignore'`. */
  readonly stdin: Writable | null;
  /** Resolves with how the command ended, after stdout and stderr have ended; rejects with a CorralError if it could not start. */
  readonly exit: Promise<CommandExit>;
  /** Kill the command and everything it started (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /**
   * A command started with `pty`: its terminal's new size (its foreground job gets SIGWINCH).
   * Ignored for a command without one, and once it has ended. Sizes as for `pty`.
   */
  resize(cols: number, rows: number): void;
  /**
   * A command with `pty` was stopped for a ^Z typed into it that nothing in the session would
   * act on (its own process group is in front: no job-control shell of the session watches it,
   * and the kernel drops terminal stop signals for such a group). The runner stopped it
   * (SIGSTOP) instead; continue it with `kill('SIGCONT')`. `corral run` suspends itself.
   */
  onSuspend(listener: () => void): void;
}

export interface Session {
  /** Random id, in every audit record of this session. */
  readonly id: string;
  /** The sandbox identity commands run as. */
  readonly identity: string;
  /** Canonical workspace path. */
  readonly workspace: string;
  readonly network: Network;
  /** Policy `git`: `read` (every .git read-only) or `commit` (commits, branches and stashes allowed). */
  readonly git: GitAccess;
  readonly policyDigest: string;
  /**
   * The resolved policy's limits, as requested from the runner (per-command timeout, output kept,
   * processes, memory). The runner applies the machine's ceilings on top and may lower them.
   */
  readonly limits: Readonly<Limits>;
  /**
   * The shell for a command given as one string (`corral sh`): `/bin/sh`, or the real user's login
   * shell when the policy says `shell: "login"`; null where there is none (Windows).
   */
  readonly shell: string | null;
  /** What the runner could enforce, as it reported it. */
  readonly enforcement: Enforcement;
  /** The host addresses Corral listens on for published ports (`127.0.0.1:3000`, `[::1]:3000`); empty when none. */
  readonly published: readonly string[];
  /** Commands may get a pseudo-terminal (`spawn`'s `pty`): Linux runners on their own devpts; false on Windows for now. */
  readonly ptys: boolean;
  /** The enforcement warnings (also passed to `onWarning`). */
  readonly warnings: readonly string[];
  /** Where the violation reports of `CommandExit.violations` come from, each `on` or why not (Linux: `landlock`). */
  readonly violationSources: Readonly<Record<string, string>>;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  spawn(argv: readonly string[], options?: SpawnOptions): SandboxedProcess;
  /** Kill what still runs and stop the runner. Idempotent. */
  close(): Promise<void>;
}
