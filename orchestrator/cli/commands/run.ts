/**
 * `corral run [--workspace DIR] [--network offline|online] [--allow-host H[:P]]... [--deny-host H[:P]]... [--publish PORT]... [--cwd DIR] [--timeout SEC] [--json] -- CMD [ARG...]`
 *
 * Runs one command in a session, through the library API. The exit code is the command's
 * (124 on timeout, 128+signal when killed); stdout and stderr are copied byte for byte as they
 * come; runner warnings go to stderr once, before the command's output.
 *
 * stdin: forwarded when it is not a terminal (a pipe, a file, /dev/null). On a terminal (stdin
 * and stdout both terminals, or --pty) the command gets a pseudo-terminal in the session instead
 * (terminal.ts): the keys typed go to it, corral's terminal is raw meanwhile, the window size
 * follows. --no-pty refuses one: then a terminal on stdin is not forwarded (end-of-file).
 *
 * Ctrl-C, SIGTERM and SIGHUP sent to corral are forwarded as a kill of the command (and all it
 * started) with the same signal; a second Ctrl-C kills it with SIGKILL. If our stdout is closed
 * (`corral run -- yes | head`), the command is killed with SIGPIPE, as it would be without corral,
 * and corral exits 141 (run-stream.ts, closed-pipe.ts).
 */
import { fstatSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CorralError } from '../../../core/errors.js';
import type { Session } from '../../session/types.js';
import { jsonOutput, printJson } from '../output.js';
import { collect } from '../flags.js';
import { sessionOptionsFrom } from '../session-options.js';
import { commandNotices } from '../notices.js';
import { explainLines, type ExplainContext } from '../explain.js';
import { installationFor } from '../../../core/installation.js';
import { userConfigFile } from '../../policy/files.js';
import type { SetExit } from './set-exit.js';

export interface RunFlags {
  workspace?: string;
  network?: string;
  allowHost?: string[];
  denyHost?: string[];
  publish?: string[];
  cwd?: string;
  timeout?: string;
  json?: boolean;
  quietViolations?: boolean;
  explain?: boolean;
  /** --pty (true) / --no-pty (false); neither: a pty when stdin and stdout are terminals. */
  pty?: boolean;
  /** Never reuse a kept session, and keep none (a session of this run's own). */
  fresh?: boolean;
}

export { parseNetwork, parseTimeout } from '../session-options.js';

/** The command's cwd: --cwd (relative to where corral was started), else here if inside the workspace, else the workspace. */
function commandCwd(session: Session, flag: string | undefined, startingCwd: (workspace: string) => string): string {
  if (flag !== undefined) return path.resolve(process.cwd(), flag);
  return startingCwd(session.workspace);
}

/** Whether fd 0 is something to forward: open, and not a terminal. */
export function shouldForwardStdin(stdin: { isTTY?: boolean } = process.stdin): boolean {
  try {
    fstatSync(0);
  } catch {
    return false;
  }
  return stdin.isTTY !== true;
}

/** What `--explain` needs to know of the real user (explain.ts); this process runs as them. */
function explainContext(): ExplainContext {
  const home = homedir();
  return {
    uid: process.getuid?.() ?? -1,
    home,
    userConfig: userConfigFile(installationFor('linux'), home),
    ownerOf: (dir) => {
      try {
        return statSync(dir).uid;
      } catch {
        return null;
      }
    },
  };
}

async function runJson(session: Session, argv: string[], cwd: string, explain: ExplainContext | null): Promise<number> {
  const r = await session.exec(argv, { cwd, ...(shouldForwardStdin() ? { input: await readAll(process.stdin) } : {}) });
  const { toolLogsAfter, toolLogLines, STDERR_TAIL_BYTES } = await import('../tool-logs.js');
  const toolLogs = await toolLogsAfter(session, r.status, r.stderr.subarray(Math.max(0, r.stderr.length - STDERR_TAIL_BYTES)).toString('utf8'));
  printJson({
    ok: true,
    session: session.id,
    identity: session.identity,
    status: r.status,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    killed: r.killed,
    outputTruncated: r.outputTruncated,
    networkUnreachable: r.networkUnreachable,
    notices: [...commandNotices(r, { limits: session.limits, network: session.network, git: session.git, argv }), ...toolLogLines(toolLogs)],
    toolLogs,
    published: session.published,
    durationMs: r.durationMs,
    connections: r.connections,
    violations: r.violations,
    ...(r.violationsDropped > 0 ? { violationsDropped: r.violationsDropped } : {}),
    violationSources: session.violationSources,
    ...(explain === null ? {} : { explain: explainLines(r.violations, r.connections, explain).map((l) => l.replace(/^corral: explain: /, '').trimEnd()) }),
    warnings: session.warnings,
    stdout: jsonOutput(r.stdout),
    stderr: jsonOutput(r.stderr),
  });
  return r.status;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Stream a command through corral's own stdio; resolves with its shell-style status. */
async function runStreaming(session: Session, argv: string[], cwd: string, quiet: boolean, explain: ExplainContext | null, ptyFlag: boolean | undefined): Promise<number> {
  const { choosePty, terminalFacts } = await import('../terminal.js');
  const pty = choosePty(ptyFlag, false, session.ptys, terminalFacts());
  const forwardStdin = pty !== null || shouldForwardStdin();
  const child = session.spawn(argv, { cwd, stdin: forwardStdin ? 'pipe' : 'ignore', ...(pty === null ? {} : { pty }) });
  const [{ streamCommand }, { OutputTail, toolLogsAfter, toolLogLines }] = await Promise.all([import('../run-stream.js'), import('../tool-logs.js')]);
  const tail = new OutputTail();
  const status = await streamCommand(child, { forwardStdin, pty: pty !== null, notices: { limits: session.limits, network: session.network, git: session.git, argv }, quietViolations: quiet, ...(explain === null ? {} : { explain }), onStderr: (chunk) => tail.push(chunk) });
  for (const line of toolLogLines(await toolLogsAfter(session, status, tail.text()))) process.stderr.write(`corral: ${line}\n`);
  return status;
}

export async function runCommand(argv: string[], flags: RunFlags): Promise<number> {
  if (argv.length === 0) {
    throw new CorralError('usage', 'no command given: `corral run [options] -- CMD [ARG...]`');
  }
  return runInSession(() => argv, flags);
}

/**
 * Open the session for `flags` (the current directory's workspace unless --workspace) — a kept
 * one when there is one for the same key, or a new kept one (session-host/acquire.ts); `kept`:
 * the one the fast client path already connected to — run the
 * command `commandFor` names once the session is open (`corral sh` needs the session's shell),
 * stream it or print it as JSON, close the session; resolves with the command's status.
 */
export async function runInSession(commandFor: (session: Session) => string[], flags: RunFlags, kept?: Session): Promise<number> {
  const options = sessionOptionsFrom(flags);
  const onWarning = (w: string) => {
    if (flags.json !== true) process.stderr.write(`corral: warning: ${w}\n`);
  };
  // Loaded here, not at the top, so that every other command starts without the session modules.
  const [{ acquireSession }, { startingCwd }] = await Promise.all([import('../../session-host/acquire.js'), import('../../session/command-input.js')]);
  let session: Session;
  if (kept !== undefined) {
    // A kept session the fast client path found (fast-run.ts): its warnings, as a fresh one says them.
    session = kept;
    for (const w of session.warnings) onWarning(w);
  } else {
    session = await acquireSession(options, flags, { onWarning });
  }
  try {
    // Said before the command, so the developer knows where to open the dev server.
    if (flags.json !== true && session.published.length > 0) process.stderr.write(`corral: published on the host: ${session.published.join(', ')} (to the same port inside the session)\n`);
    const argv = commandFor(session);
    const cwd = commandCwd(session, flags.cwd, startingCwd);
    const explain = flags.explain === true ? explainContext() : null;
    if (flags.json === true && flags.pty === true) throw new CorralError('usage', '--pty and --json do not go together: --json collects stdout and stderr apart, a pty merges them');
    return flags.json === true ? await runJson(session, argv, cwd, explain) : await runStreaming(session, argv, cwd, flags.quietViolations === true, explain, flags.pty);
  } finally {
    await session.close();
  }
}

export function registerRun(program: Command, setExit: SetExit): void {
  // Options after the command's name belong to the command: `corral run ls -la` works without `--`.
  program.enablePositionalOptions();
  program
    .command('run')
    .description('Run a command in the sandbox of a workspace; exits with its code (124 timeout, 128+signal killed).')
    .usage('[options] -- CMD [ARG...]')
    .option('--workspace <dir>', 'the workspace the command may write (default: current directory)')
    .option('--network <offline|online>', 'network policy for this command')
    .option('--allow-host <host[:port]>', 'reach this host through the filtering proxy (repeatable; implies the allowlist network)', collect)
    .option('--deny-host <host[:port]>', 'refuse this host even when allowed (repeatable)', collect)
    .option(
      '--publish <port>',
      "dev servers: forward the host's 127.0.0.1:PORT and [::1]:PORT to PORT inside the session's own network (repeatable; offline and allowlist sessions; the other way round from loopback: [ports])",
      collect,
    )
    .option('--cwd <dir>', 'working directory inside the workspace (default: current directory, if inside it)')
    .option('--timeout <sec>', "kill the command and all it started after this many seconds (at most the policy's limit)")
    .option('--json', 'collect the output and print one JSON document instead of streaming')
    .option('--pty', 'give the command a pseudo-terminal even when stdin or stdout is not a terminal (default: when both are)')
    .option('--no-pty', 'never give the command a pseudo-terminal: pipes, and a terminal on stdin is not forwarded')
    .option('--explain', 'after the command, print for each refused access the smallest policy change that would allow it (never applied)')
    .option('--fresh', 'run in a session of its own: never reuse a kept session, and keep none (see session.idleSec)')
    .option('--quiet-violations', 'do not print the `corral: blocked: ...` lines for accesses the kernel refused')
    .argument('[command...]', 'the command and its arguments')
    .addHelpText(
      'after',
      '\nAfter the command, Corral says what it did on stderr, one `corral: ...` line each (with --json: `notices`):\n' +
        'a timeout (limits.timeoutSec, exit 124), output cut at limits.maxOutputBytes, an out-of-memory kill,\n' +
        'a connection the allowlist refused, and in an offline session a failed attempt to reach the network.\n' +
        'Accesses the kernel refused get one `corral: blocked: KIND TARGET (RULE)` line each (with --json: `violations`),\n' +
        "on Linux from Landlock's audit records when the kernel's audit is enabled, and, in an offline session,\n" +
        'from the packets its network namespace refused: `connect to ADDRESS:PORT` (`violationSources` says which are on).\n' +
        'Commands see CORRAL_NETWORK=offline|online|allowlist; offline, npm, pip and cargo are told they are offline.\n\n' +
        'Ports, two directions:\n' +
        '  --publish 3000 (or "publish": [3000] in your user config): you reach the session. A server the command starts\n' +
        '      on 127.0.0.1:3000 inside the session is opened on the host at http://127.0.0.1:3000 (and [::1]:3000);\n' +
        '      only you and root can connect to it. The session still has no network.\n' +
        '  "loopback": [5432] in a config file: the session reaches the host. Commands may connect to the host\'s\n' +
        '      127.0.0.1:5432 (a database you run); the session then shares the host\'s network namespace.',
    )
    .passThroughOptions()
    .action(async (command: string[], opts: RunFlags) => {
      setExit(await runCommand(command, opts));
    });
}
