/** Every CLI command, registered in help order. One file per command. */
import type { Command } from 'commander';
import { registerPolicy } from './policy.js';
import { registerSetup } from './setup.js';
import { registerStatus } from './status.js';
import { registerTeardown } from './teardown.js';
import { registerRun } from './run.js';
import { registerSh } from './sh.js';
import { registerAudit } from './audit.js';
import { registerVerify } from './verify.js';
import { registerMcp } from './mcp.js';
import { registerSession } from './session.js';

/** `setExit` records the exit code a command wants (commands never call process.exit). */
export type { SetExit } from './set-exit.js';
import type { SetExit } from './set-exit.js';

/** `argv`: the command line being parsed (`corral sh` takes its arguments from it as given). */
export function registerCommands(program: Command, setExit: SetExit, argv: readonly string[]): void {
  registerRun(program, setExit);
  registerSh(program, setExit, argv);
  registerSetup(program, setExit);
  registerStatus(program, setExit);
  registerTeardown(program, setExit);
  registerPolicy(program, setExit);
  registerAudit(program, setExit);
  registerVerify(program, setExit);
  registerMcp(program, setExit);
  registerSession(program, setExit);
}
