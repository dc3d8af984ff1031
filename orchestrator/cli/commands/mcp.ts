/**
 * `corral mcp [--workspace DIR] [--network offline|online]`: a stdio MCP server whose tools run
 * commands confined in sessions of one workspace (orchestrator/mcp/server.ts). An MCP client
 * (an agent) starts it and talks JSON-RPC on its stdin and stdout; it ends when the client goes.
 */
import type { Command } from 'commander';
import { parseNetwork } from './run.js';
import type { SetExit } from './set-exit.js';

interface McpFlags {
  workspace?: string;
  network?: string;
}

export function registerMcp(program: Command, setExit: SetExit): void {
  program
    .command('mcp')
    .description(
      'Serve the Model Context Protocol on stdin/stdout for an agent: tools run_command (argv, or a string run by the session shell with -c; cwd, timeout, network) and session_info. Commands run confined in a session of the workspace, opened on first use, reused, and closed when the client disconnects.',
    )
    .option('--workspace <dir>', 'the workspace commands may write (default: the provisioned workspace the current directory is in)')
    .option('--network <offline|online>', "network of calls that name none (default: from policy); a call may ask for the other if policy allows it")
    .addHelpText(
      'after',
      [
        '',
        'Register it with an agent, e.g. Claude Code:',
        '  claude mcp add corral -- corral mcp --workspace /path/to/project',
        'stdout carries the protocol only; warnings go to stderr.',
      ].join('\n'),
    )
    .action(async (opts: McpFlags) => {
      const network = parseNetwork(opts.network);
      // Loaded here: every other command starts without the SDK.
      const { serveStdio } = await import('../../mcp/server.js');
      await serveStdio({
        ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
        ...(network !== undefined ? { network } : {}),
        version: program.version() ?? '0.0.0',
      });
      setExit(0);
    });
}
