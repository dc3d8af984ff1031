/**
 * Shell-style exit status of a sandboxed command (DESIGN.md §Errors and exit codes):
 * 124 on timeout (as coreutils `timeout`), 128 + signal number when killed, else the code.
 */
import { constants } from 'node:os';

export const TIMEOUT_STATUS = 124;
const SIGNAL_BASE = 128;

export function signalNumber(signal: string): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[signal];
}

export function isSignalName(signal: string): signal is NodeJS.Signals {
  return signalNumber(signal) !== undefined;
}

export function exitStatus(exit: { exitCode: number | null; signal: string | null; timedOut: boolean }): number {
  if (exit.timedOut) return TIMEOUT_STATUS;
  if (exit.signal !== null) {
    const n = signalNumber(exit.signal);
    // An unknown signal name still means "killed": report it as SIGKILL would be.
    return SIGNAL_BASE + (n ?? constants.signals.SIGKILL);
  }
  return exit.exitCode ?? 1;
}
