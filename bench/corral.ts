/**
 * Corral's side of the benchmark: the CLI as a user runs it (cold), one warm session
 * (`session.exec`), and provisioning times. Everything uses the bench's own installation
 * (CORRAL_INSTANCE=cbench, set by run.ts) with root as the real user.
 */
import path from 'node:path';
import { openSession } from '../orchestrator/index.js';
import type { Session } from '../orchestrator/session/types.js';
import type { BenchCommand, Row, Runner } from './per-command.js';
import { run, runOk } from './spawn-util.js';
import { summarize, timeOnce } from './stats.js';

export const NOOP_SETUP_ROW = 'setup, no-op re-run';

export const CLI = path.resolve(import.meta.dirname, '..', 'orchestrator', 'cli', 'main.js');

export function corral(args: readonly string[], cwd?: string): Promise<void> {
  return runOk(process.execPath, [CLI, ...args], cwd === undefined ? {} : { cwd });
}

/** `corral run -- CMD` through the whole CLI, as a user types it. */
export function corralCli(ws: string): Runner {
  return async (cmd: BenchCommand) => {
    const code = await run(process.execPath, [CLI, 'run', '--workspace', ws, '--', ...cmd.argv], { cwd: ws });
    if (code !== 0) throw new Error(`corral run ${cmd.label} exited ${code}`);
  };
}

/** One command through an open session. */
export function corralWarm(session: Session, ws: string): Runner {
  return async (cmd: BenchCommand) => {
    const r = await session.exec(cmd.argv, { cwd: ws });
    if (r.status !== 0) throw new Error(`session.exec ${cmd.label} exited ${r.status}: ${r.stderr.toString()}`);
  };
}

export async function withSession<T>(ws: string, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await openSession({ workspace: ws, audit: false });
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

export async function benchProvisioning(base: string, freshRuns: number, noopRuns: number): Promise<Row[]> {
  const ws = path.join(base, 'ws');
  const setup = ['setup', '--yes', '--workspace', ws];
  const fresh: number[] = [];
  const teardown: number[] = [];
  for (let i = 0; i < freshRuns; i++) {
    fresh.push(await timeOnce(() => corral(setup)));
    teardown.push(await timeOnce(() => corral(['teardown', '--yes'])));
  }
  await corral(setup);
  const noop: number[] = [];
  for (let i = 0; i < noopRuns; i++) noop.push(await timeOnce(() => corral(setup)));
  const section = `Provisioning (whole CLI; fresh and teardown ${freshRuns} runs, no-op ${noopRuns})`;
  return [
    { section, name: 'setup, fresh', timing: summarize(fresh) },
    { section, name: NOOP_SETUP_ROW, timing: summarize(noop) },
    { section, name: 'teardown', timing: summarize(teardown) },
  ];
}

/** Remove the bench installation (everything setup made). */
export function removeBenchInstallation(): Promise<void> {
  return corral(['teardown', '--yes']);
}
