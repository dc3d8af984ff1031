/** Every CLI command, registered in help order. One file per command. */
import type { Command } from 'commander';
import { registerPolicy } from './policy.js';
import { registerRun } from './run.js';
import { registerAudit } from './audit.js';

/** `setExit` records the exit code a command wants (commands never call process.exit). */
export type SetExit = (code: number) => void;

export function registerCommands(program: Command, setExit: SetExit): void {
  registerRun(program, setExit);
  registerPolicy(program, setExit);
  registerAudit(program, setExit);
}
