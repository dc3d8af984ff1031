/**
 * `corral mcp`: a Model Context Protocol server (the official SDK) whose tools run commands in
 * Corral sessions of one workspace. It is a client of the library API like `corral run` and adds
 * no enforcement of its own: what a command may do is the session's (the runner's) decision.
 *
 * Lifetime: sessions open on first use and stay for later calls (session-pool.ts). When the
 * client goes — stdin ends or closes, the transport closes, or SIGTERM/SIGINT/SIGHUP arrives
 * (the SDK's client sends SIGTERM two seconds after closing stdin) — every session is closed,
 * which kills the commands still running and stops the runners.
 *
 * stdout carries the protocol only: warnings and errors of the server itself go to stderr.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CorralError, isCorralError } from '../../core/errors.js';
import { startingCwd } from '../session/command-input.js';
import type { Network, Session } from '../session/types.js';
import { checkOneCommand, commandArgv, RUN_COMMAND_DESCRIPTION, runCommandInput, runCommandOutput, runInSession } from './run-command.js';
import { SESSION_INFO_DESCRIPTION, sessionInfo, sessionInfoInput, sessionInfoOutput } from './session-info.js';
import { SessionPool, type OpenSession } from './session-pool.js';

export interface McpOptions {
  /** The workspace, as `corral run --workspace` takes it; undefined: resolved from the current directory as `corral run` does. */
  workspace?: string;
  /** The network of calls that name none; undefined: the policy's. */
  network?: Network;
  version: string;
}

/** Errors after which a session is not used again: its runner is gone. */
const SESSION_DEAD = new Set(['session_closed', 'runner_failed', 'protocol_error']);

function toolError(err: unknown): CallToolResult {
  const error = isCorralError(err) ? err : new CorralError('internal', err instanceof Error ? err.message : String(err), { cause: err });
  // A usage error's remedy points at the CLI's --help, not at anything an MCP client can do.
  const remedy = error.code === 'usage' ? '' : `\n${error.remedy}`;
  return { isError: true, content: [{ type: 'text', text: `corral: ${error.message}${remedy} [${error.code}]` }] };
}

function toolResult<T extends Record<string, unknown>>(value: T): CallToolResult {
  // Clients that do not read structuredContent get the same document as text (the spec's advice).
  return { structuredContent: value, content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

/** The MCP server with its two tools over `pool`. `here`: the directory the server started in. */
export function createMcpServer(pool: SessionPool, version: string, here: string = process.cwd()): McpServer {
  const server = new McpServer(
    { name: 'corral', version },
    {
      instructions:
        'Every command run through this server is confined by Corral: it may write only inside the workspace (session_info tells which), ' +
        'reaches the network only as the policy allows, and runs as a sandbox account. Use run_command for shell work in this project.',
    },
  );
  /** Run `use` with the session for `network`; a session whose runner died is dropped so the next call opens a fresh one. */
  async function withSession(network: Network | undefined, use: (session: Session) => Promise<CallToolResult>): Promise<CallToolResult> {
    let session: Session | undefined;
    try {
      session = await pool.get(network);
      return await use(session);
    } catch (err) {
      if (session !== undefined && isCorralError(err) && SESSION_DEAD.has(err.code)) pool.evict(session);
      return toolError(err);
    }
  }
  server.registerTool(
    'run_command',
    { title: 'Run a sandboxed command', description: RUN_COMMAND_DESCRIPTION, inputSchema: runCommandInput, outputSchema: runCommandOutput },
    (input, extra) => {
      try {
        checkOneCommand(input);
      } catch (err) {
        return toolError(err);
      }
      return withSession(input.network, async (session) => {
        const argv = commandArgv(input, session.shell);
        const cwd = input.cwd ?? startingCwd(session.workspace, here);
        return toolResult(await runInSession(session, argv, input, cwd, extra.signal));
      });
    },
  );
  server.registerTool(
    'session_info',
    {
      title: 'Describe the sandbox',
      description: SESSION_INFO_DESCRIPTION,
      inputSchema: sessionInfoInput,
      outputSchema: sessionInfoOutput,
      annotations: { readOnlyHint: true },
    },
    (input) => withSession(input.network, async (session) => toolResult(sessionInfo(session, startingCwd(session.workspace, here)))),
  );
  return server;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Serve MCP on stdin/stdout until the client goes; resolves once every session is closed. */
export async function serveStdio(options: McpOptions, open?: OpenSession): Promise<void> {
  const openSession = open ?? (await import('../session/open.js')).openSession;
  const pool = new SessionPool(
    openSession,
    {
      ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
      onWarning: (w) => process.stderr.write(`corral: warning: ${w}\n`),
    },
    options.network,
  );
  const server = createMcpServer(pool, options.version);
  const transport = new StdioServerTransport();
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => stop();
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  // The SDK's stdio transport does not notice the end of stdin by itself.
  process.stdin.once('end', stop);
  process.stdin.once('close', stop);
  transport.onclose = stop;
  try {
    await server.connect(transport);
    await stopped;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    process.stdin.off('end', stop);
    process.stdin.off('close', stop);
    await pool.closeAll();
    await server.close().catch(() => undefined);
    // Nothing more to read: let the process end even if stdin is still open (a signal stopped us).
    process.stdin.destroy();
  }
}
