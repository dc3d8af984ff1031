/**
 * The one error type Corral raises for expected failures, and the fixed table of
 * stable error codes. Tests assert codes, never message text. The CLI maps a code to
 * its exit code and prints message + remedy, never a stack trace.
 *
 * The PowerShell module's ErrorIds map onto these codes (see
 * orchestrator/provision/windows/error-map.ts); keep both lists in step.
 */

/** Every stable error code, with its CLI exit code and the remedy shown to the user. */
export const ERROR_CODES = {
  usage: { exit: 2, remedy: 'Run `corral --help` (or `corral <command> --help`) for the accepted flags.' },
  config_invalid: { exit: 2, remedy: 'Fix the named file and key; `corral policy show` prints the resolved policy.' },
  config_locked: { exit: 2, remedy: 'The machine config locks this key; ask the administrator, or remove the key from the named file.' },
  workspace_invalid: { exit: 2, remedy: 'Pass an existing directory with --workspace.' },
  workspace_not_owned: {
    exit: 2,
    remedy: 'A workspace must be a directory owned by the real user it is provisioned for; `sudo corral setup --remove-workspace DIR` stops using one (its grants and identity homes go, the rest stays).',
  },
  workspace_in_use: { exit: 1, remedy: 'End the sessions that use the workspace, then run the same command again; nothing was changed.' },
  port_in_use: {
    exit: 2,
    remedy: 'Something on this machine already listens on that host loopback port: stop it, or publish another port (--publish, `publish` in your user config); `ss -ltnp` shows who holds it.',
  },
  cwd_outside_workspace: { exit: 2, remedy: 'Pass a --cwd inside the workspace.' },
  not_provisioned: { exit: 3, remedy: 'Run `sudo corral setup` first (or `corral setup` as root).' },
  not_elevated: { exit: 4, remedy: 'Run the command again with elevation (sudo on Linux, an elevated terminal on Windows).' },
  already_sandboxed: { exit: 4, remedy: 'Run the command directly: inside a Corral sandbox it is already confined, and sessions do not nest.' },
  not_permitted: { exit: 4, remedy: 'Ask an administrator to run `corral setup --user <you>` so your account may start sessions.' },
  elevation_cancelled: { exit: 4, remedy: 'Approve the elevation prompt, or run the command from an elevated terminal.' },
  tool_missing: { exit: 5, remedy: 'Install the named package, then run the command again.' },
  platform_unsupported: { exit: 5, remedy: 'Corral supports Linux and Windows.' },
  kernel_unsupported: { exit: 5, remedy: 'This kernel lacks a feature Corral needs; see the message for which.' },
  firewall_ineffective: { exit: 1, remedy: 'Enable the firewall on every profile and make sure Group Policy does not override local rules.' },
  identity_conflict: { exit: 1, remedy: 'An account with a sandbox identity\'s name exists but was not created by this installation; remove or rename it, or use another installation name.' },
  name_conflict: { exit: 1, remedy: 'An account with a name Corral uses exists but Corral did not create it; remove or rename it, or use another installation name.' },
  cancelled: { exit: 1, remedy: 'Nothing was changed; run the command again when ready.' },
  drift_detected: { exit: 1, remedy: 'Run `corral setup --yes` again to restore what was provisioned.' },
  step_failed: { exit: 1, remedy: 'Fix the cause shown; run the same command again — it resumes from the journal.' },
  state_corrupt: { exit: 1, remedy: 'The state or journal file could not be read; see the message for the file.' },
  state_unwritable: {
    exit: 1,
    remedy: 'The state directory must be writable with free space (it holds the journal that undoes every change): remount it read-write or free space, then run the same command again.',
  },
  package_unverified: {
    exit: 1,
    remedy: 'Setup runs only a Corral package whose files match its build-time digest list: reinstall Corral outside any workspace (npm install -g, or the fleet package) and run setup from that copy.',
  },
  runner_failed: { exit: 1, remedy: 'The session runner could not start or stopped; see the message.' },
  request_invalid: { exit: 2, remedy: 'The session runner refused the request; the message names the field. Check the policy (`corral policy show`).' },
  command_not_found: { exit: 127, remedy: 'The program was not found in the sandbox; check argv[0] and PATH.' },
  command_not_executable: { exit: 126, remedy: 'The program exists but cannot be executed by the sandbox identity.' },
  protocol_error: { exit: 1, remedy: 'The session runner sent something unexpected; this is a bug, please report it.' },
  session_closed: { exit: 1, remedy: 'Open a new session.' },
  session_unsafe: { exit: 1, remedy: 'A session socket or its directory is not private to you: remove the one the message names; until then corral run starts a fresh session each time.' },
  internal: { exit: 1, remedy: 'This is a bug; please report it with the message.' },
} as const satisfies Record<string, { exit: number; remedy: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export class CorralError extends Error {
  override readonly name = 'CorralError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** A remedy for this case when the code's usual one would send the user the wrong way. */
  private readonly specificRemedy: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown>; remedy?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.specificRemedy = options.remedy;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get remedy(): string {
    return this.specificRemedy ?? ERROR_CODES[this.code].remedy;
  }

  toJSON(): { code: ErrorCode; message: string; remedy: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, remedy: this.remedy, details: this.details };
  }
}

export function isCorralError(err: unknown, code?: ErrorCode): err is CorralError {
  return err instanceof CorralError && (code === undefined || err.code === code);
}
