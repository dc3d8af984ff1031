/**
 * A Session over a RunnerClient whose `hello` has arrived: checks each command's input,
 * starts it, collects or streams its output, writes its audit record, and closes.
 * openSession (open.ts) builds one; unit tests build one over a fake runner.
 */
import { randomUUID } from 'node:crypto';
import { CorralError, isCorralError } from '../../core/errors.js';
import type { EnvPolicy } from '../policy/env.js';
import type { AuditLog } from '../audit/log.js';
import type { AuditRecord } from '../audit/record.js';
import { AUDIT_VERSION } from '../audit/record.js';
import type { Enforcement, Network } from '../../core/protocol.js';
import type { GitAccess, Limits } from '../../core/vocabulary.js';
import type { Hello, RunnerClient } from './client.js';
import { checkPtySize, RunningCommand } from './command.js';
import { checkArgv, commandEnvironment, resolveCwd, sessionEnvironment, timeoutMs } from './command-input.js';
import type { CommandExit, ExecOptions, ExecResult, SandboxedProcess, Session, SpawnOptions } from './types.js';
import { execViaSpawn } from './exec-via-spawn.js';

export interface SessionContext {
  realUser: string;
  workspace: string;
  network: Network;
  /** Policy `git` (absent: read). */
  git?: GitAccess;
  policyDigest: string;
  envPolicy: EnvPolicy;
  /** The filtered environment every command starts from. */
  baseEnv: Record<string, string>;
  /** The resolved policy's limits (the request's; the runner may lower them to the machine's ceilings). */
  limits: Readonly<Limits>;
  audit: AuditLog | null;
  /** The policy's shell (shell.ts); null where there is none (Windows). */
  shell: string | null;
  /** Policy `session.idleSec`: how long a session host keeps this session after its last command (0: not kept). */
  idleSec?: number;
  /** Environment names compare without case (Windows): how spawnFrom filters a caller's environment. */
  environmentNamesIgnoreCase?: boolean;
}

export class SessionImpl implements Session {
  readonly id = randomUUID();
  readonly identity: string;
  readonly enforcement: Enforcement;
  readonly warnings: readonly string[];
  readonly published: readonly string[];
  readonly ptys: boolean;
  /** Where violation reports come from, each `on` or why not (hello's enforcement; empty from runners without sources). */
  readonly violationSources: Readonly<Record<string, string>>;
  private nextId = 1;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly client: RunnerClient,
    hello: Hello,
    private readonly ctx: SessionContext,
  ) {
    this.identity = hello.identity;
    this.enforcement = hello.enforcement;
    this.warnings = Object.freeze([...(hello.enforcement.warnings ?? [])]);
    this.published = Object.freeze(Array.isArray(hello.published) ? hello.published.filter((a): a is string => typeof a === 'string') : []);
    this.violationSources = Object.freeze({ ...(hello.enforcement.violationSources ?? {}) });
    this.ptys = hello.pty === true;
  }

  get workspace(): string {
    return this.ctx.workspace;
  }

  get network(): Network {
    return this.ctx.network;
  }

  get git(): GitAccess {
    return this.ctx.git ?? 'read';
  }

  get policyDigest(): string {
    return this.ctx.policyDigest;
  }

  get limits(): Readonly<Limits> {
    return this.ctx.limits;
  }

  get shell(): string | null {
    return this.ctx.shell;
  }

  spawn(argv: readonly string[], options: SpawnOptions = {}): SandboxedProcess {
    return this.spawnWithBase(this.ctx.baseEnv, argv, options);
  }

  /**
   * spawn, with the command's environment started from `source` (filtered by the session's env
   * policy, as openSession filters process.env) instead of the session's own: a session host
   * (session-host/host.ts) serves each `corral run` with that caller's environment.
   */
  spawnFrom(source: Readonly<Record<string, string | undefined>>, argv: readonly string[], options: SpawnOptions = {}, extra: { reap?: boolean } = {}): SandboxedProcess {
    const base = sessionEnvironment(source, this.ctx.envPolicy, { ignoreCase: this.ctx.environmentNamesIgnoreCase === true });
    return this.spawnWithBase(base, argv, options, extra.reap === true);
  }

  /** Policy `session.idleSec` (session-host/host-main.ts keeps the session this long after its last command). */
  get idleSec(): number {
    return this.ctx.idleSec ?? 0;
  }

  /** Resolves once the runner has ended, for whatever reason. */
  get ended(): Promise<void> {
    return this.client.done;
  }

  /** Whether close() was called (or the session ended). */
  get closed(): boolean {
    return this.closing !== null || !this.client.isOpen;
  }

  /** `reap`: the runner kills what the command left when it ends (SpawnRequest.reap). */
  private spawnWithBase(baseEnv: Record<string, string>, argv: readonly string[], options: SpawnOptions, reap = false): SandboxedProcess {
    if (this.closing !== null) throw new CorralError('session_closed', 'the session is closed');
    const args = checkArgv(argv);
    const cwd = resolveCwd(this.ctx.workspace, options.cwd);
    const env = commandEnvironment(baseEnv, options.env, this.ctx.envPolicy);
    const limitMs = timeoutMs(options.timeoutSec, this.ctx.limits.timeoutSec);
    const withStdin = (options.stdin ?? 'pipe') === 'pipe';
    const pty = options.pty === undefined ? undefined : checkPtySize(options.pty, 'pty');
    if (pty !== undefined && !this.ptys) throw new CorralError('platform_unsupported', "this session's runner cannot give commands a pseudo-terminal (Session.ptys is false): spawn without `pty`");
    const id = String(this.nextId++);
    const command = new RunningCommand(id, this.client, withStdin, pty !== undefined);
    const startedAt = new Date();
    this.client.spawn({ type: 'spawn', id, argv: args, cwd, env, timeoutMs: limitMs, stdin: withStdin ? 'pipe' : null, ...(pty === undefined ? {} : { pty: { cols: pty.cols, rows: pty.rows } }), ...(reap ? { reap: true } : {}) }, command.sink);
    // No audit log (audit: false): no record to build for each command.
    if (this.ctx.audit !== null) {
      command.exit.then(
        (exit) => this.record(startedAt, id, args, cwd, exit),
        (err: unknown) => this.recordFailure(startedAt, id, args, cwd, err),
      );
    }
    return command;
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execViaSpawn((a, o) => this.spawn(a, o), argv, options);
  }

  close(): Promise<void> {
    this.closing ??= this.client.close().finally(() => this.ctx.audit?.close());
    return this.closing;
  }

  private base(startedAt: Date, command: string, argv: string[], cwd: string) {
    return {
      v: AUDIT_VERSION,
      time: startedAt.toISOString(),
      session: this.id,
      command,
      realUser: this.ctx.realUser,
      identity: this.identity,
      network: this.ctx.network,
      workspace: this.ctx.workspace,
      argv,
      cwd,
      policyDigest: this.ctx.policyDigest,
      ...(this.published.length > 0 ? { published: [...this.published] } : {}),
    } as const;
  }

  private record(startedAt: Date, command: string, argv: string[], cwd: string, exit: CommandExit): void {
    this.write({
      ...this.base(startedAt, command, argv, cwd),
      exitCode: exit.exitCode,
      signal: exit.signal,
      status: exit.status,
      durationMs: exit.durationMs,
      timedOut: exit.timedOut,
      outputTruncated: exit.outputTruncated,
      ...(exit.connections.length > 0 ? { connections: exit.connections } : {}),
      ...(exit.violations.length > 0 ? { violations: exit.violations } : {}),
      ...(exit.violationsDropped > 0 ? { violationsDropped: exit.violationsDropped } : {}),
    });
  }

  private recordFailure(startedAt: Date, command: string, argv: string[], cwd: string, err: unknown): void {
    this.write({
      ...this.base(startedAt, command, argv, cwd),
      exitCode: null,
      signal: null,
      status: null,
      durationMs: Date.now() - startedAt.getTime(),
      timedOut: false,
      outputTruncated: false,
      error: isCorralError(err) ? err.code : 'internal',
    });
  }

  private write(record: AuditRecord): void {
    try {
      this.ctx.audit?.append(record);
    } catch (err) {
      // A full disk must not kill the command's caller; the failure is reported once per session.
      if (!this.auditFailed) {
        this.auditFailed = true;
        process.emitWarning(`corral: could not write the audit log ${this.ctx.audit?.file}: ${(err as Error).message}`);
      }
    }
  }

  private auditFailed = false;
}
