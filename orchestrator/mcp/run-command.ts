/**
 * The `run_command` tool: one command in the server's session for the network asked for, its
 * output collected, and how it ended.
 *
 * Everything here is input from the MCP client (the agent, or whatever text steered it): it
 * chooses the command, cwd, timeout, network and environment, and none of it widens anything.
 * The session checks cwd (inside the workspace), the timeout (at most the policy's limit) and
 * the environment (secret-looking names dropped), the policy decides which networks may be
 * opened, and the runner enforces the rest. A shell string is the agent's own command line, run
 * by a shell inside the sandbox: nothing here builds shell text from values.
 */
import { z } from 'zod';
import { CorralError } from '../../core/errors.js';
import type { ConnectionRecord } from '../../core/protocol.js';
import { NETWORKS } from '../../core/vocabulary.js';
import { commandNotices } from '../cli/notices.js';
import { jsonOutput } from '../cli/output.js';
import type { Session } from '../session/types.js';

export const RUN_COMMAND_DESCRIPTION =
  'Run a command confined by Corral: it may write only inside the workspace, reaches the network only as the policy allows, and runs as a sandbox identity, not as you. ' +
  'Pass argv (an array, run without a shell) or command (a string, run by the session\'s shell with -c: /bin/sh unless the policy says otherwise). Returns stdout, stderr, the exit code and how it ended; ' +
  'a non-zero exit is a result, not an error. Writes outside the workspace fail with "Permission denied" or "Read-only file system".';

export const runCommandInput = z
  .strictObject({
    argv: z.array(z.string()).min(1).optional().describe('The program and its arguments, run without a shell, e.g. ["npm", "test"]. Exactly one of argv and command.'),
    command: z
      .string()
      .min(1)
      .optional()
      .describe('A shell command line, run as SHELL -c COMMAND with the session\'s shell (/bin/sh unless the policy\'s shell key says "login"), e.g. "make test 2>&1 | tail -20". Exactly one of argv and command.'),
    cwd: z.string().min(1).optional().describe('Working directory: absolute, or relative to the workspace; must be inside it. Default: where the server started if inside the workspace, else the workspace.'),
    timeoutSec: z.number().positive().optional().describe("Kill the command and all it started after this many seconds (at most the policy's limits.timeoutSec, the default)."),
    network: z.enum(NETWORKS).optional().describe("offline or online: run in the session of that network, if the policy allows it. Default: the server's --network, else the policy's."),
    stdin: z.string().optional().describe("Text written to the command's stdin, which is then closed. Default: none (end of file)."),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment variables. Secret-looking names (*_TOKEN, AWS_*…) are dropped unless the policy allows them by name.'),
  })
  .describe('What to run and where.');

export type RunCommandInput = z.infer<typeof runCommandInput>;

const output = z.strictObject({
  encoding: z.enum(['utf8', 'base64']).describe('utf8: data is the text; base64: the output was not valid UTF-8 and data holds its bytes.'),
  data: z.string(),
});

export const runCommandOutput = z.strictObject({
  sessionId: z.string().describe('The session the command ran in (also in its audit record).'),
  exitCode: z.number().nullable().describe("The command's exit code; null when a signal killed it."),
  signal: z.string().nullable().describe('The signal that killed it, e.g. SIGKILL; null when it exited.'),
  status: z.number().describe('Shell-style status: the exit code, 124 on timeout, 128 + the signal number when killed.'),
  timedOut: z.boolean().describe('The timeout killed it and everything it started.'),
  killed: z.string().nullable().describe('"out of memory" when the session\'s memory limit killed it; null otherwise.'),
  outputTruncated: z.boolean().describe("The output went over the policy's maxOutputBytes; the rest was cut."),
  networkUnreachable: z.boolean().describe('Offline session: the command tried to reach the network (a name lookup or a connection) and was refused.'),
  notices: z.array(z.string()).describe('What Corral did to the command, in plain words (the lines `corral run` prints as `corral: …`): timeout, output cut, out of memory, offline network attempt.'),
  durationMs: z.number(),
  stdout: output,
  stderr: output,
  blocked: z
    .array(z.strictObject({ host: z.string(), port: z.number(), rule: z.string(), via: z.string(), attempts: z.number() }))
    .describe('Connections the filtering proxy refused while it ran (allowlist network), one entry per host, port and rule.'),
  violations: z
    .array(z.strictObject({ kind: z.string(), target: z.string(), operation: z.string(), time: z.string(), rule: z.string(), source: z.string() }))
    .describe("Accesses the kernel refused while it ran (Linux: Landlock's audit records, when the kernel's audit is enabled), e.g. a write outside the workspace."),
});

export type RunCommandOutput = z.infer<typeof runCommandOutput>;

/** Refuse a call naming both or neither of argv and command (before any session is opened). */
export function checkOneCommand(input: Pick<RunCommandInput, 'argv' | 'command'>): void {
  if ((input.argv === undefined) === (input.command === undefined)) {
    throw new CorralError('usage', 'run_command takes exactly one of argv (an array) and command (a shell string)');
  }
}

/**
 * The argv to run: `argv` as given, or `command` as `SHELL -c COMMAND` with the session's shell
 * (policy `shell`, the same as `corral sh`: /bin/sh unless it says "login"). `shell` null: the
 * session has no POSIX shell (Windows), so only argv is accepted.
 */
export function commandArgv(input: Pick<RunCommandInput, 'argv' | 'command'>, shell: string | null): string[] {
  checkOneCommand(input);
  if (input.argv !== undefined) return [...input.argv];
  if (shell === null) throw new CorralError('usage', 'this session has no POSIX shell to run a command string with: pass argv');
  return [shell, '-c', input.command!];
}

/** The refused attempts, one entry per host, port and rule (a retrying tool would otherwise repeat each). */
export function blockedConnections(connections: readonly ConnectionRecord[]): RunCommandOutput['blocked'] {
  const byKey = new Map<string, RunCommandOutput['blocked'][number]>();
  for (const c of connections) {
    if (c.allowed) continue;
    const key = JSON.stringify([c.host, c.port, c.rule, c.via]);
    const entry = byKey.get(key);
    if (entry !== undefined) entry.attempts++;
    else byKey.set(key, { host: c.host, port: c.port, rule: c.rule, via: c.via, attempts: 1 });
  }
  return [...byKey.values()];
}

/**
 * Run `argv` in `session` and collect it. `signal` is the MCP request's: a cancelled call (or a
 * client that went away) kills the command and all it started.
 */
export async function runInSession(session: Session, argv: string[], input: RunCommandInput, cwd: string, signal: AbortSignal): Promise<RunCommandOutput> {
  const child = session.spawn(argv, {
    cwd,
    stdin: input.stdin !== undefined ? 'pipe' : 'ignore',
    ...(input.timeoutSec !== undefined ? { timeoutSec: input.timeoutSec } : {}),
    ...(input.env !== undefined ? { env: input.env } : {}),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  if (input.stdin !== undefined) {
    // A command that exits without reading its stdin closes the pipe under us: not an error.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(Buffer.from(input.stdin, 'utf8'));
  }
  const cancel = (): void => child.kill('SIGKILL');
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  try {
    const exit = await child.exit;
    return {
      sessionId: session.id,
      exitCode: exit.exitCode,
      signal: exit.signal,
      status: exit.status,
      timedOut: exit.timedOut,
      killed: exit.killed,
      outputTruncated: exit.outputTruncated,
      networkUnreachable: exit.networkUnreachable,
      // The call's own timeout, when it set one, is the one that fired.
      notices: commandNotices(exit, { network: session.network, git: session.git, argv, limits: { ...session.limits, ...(input.timeoutSec !== undefined ? { timeoutSec: input.timeoutSec } : {}) } }),
      durationMs: exit.durationMs,
      stdout: jsonOutput(Buffer.concat(out)),
      stderr: jsonOutput(Buffer.concat(err)),
      blocked: blockedConnections(exit.connections),
      violations: exit.violations.map((v) => ({ ...v })),
    };
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
