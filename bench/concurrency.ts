/**
 * Concurrency: N sessions × M commands at once (each session runs its commands one after
 * another, all sessions in parallel), beside N parallel loops of M plain spawns.
 */
import { openSession } from '../orchestrator/index.js';
import type { Row } from './per-command.js';
import { run } from './spawn-util.js';

export interface ConcurrencySummary {
  sessions: number;
  commandsPerSession: number;
  corralPerSec: number;
  plainPerSec: number;
  failures: number;
  corralWallMs: number;
  plainWallMs: number;
}

async function wall(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function benchConcurrency(ws: string, sessions: number, commands: number): Promise<{ rows: Row[]; summary: ConcurrencySummary }> {
  let failures = 0;
  const plainWallMs = await wall(() =>
    Promise.all(
      Array.from({ length: sessions }, async () => {
        for (let i = 0; i < commands; i++) if ((await run('/bin/true', [], { cwd: ws })) !== 0) failures++;
      }),
    ),
  );
  const plainFailures = failures;
  failures = 0;
  const opened = await Promise.all(Array.from({ length: sessions }, () => openSession({ workspace: ws, audit: false })));
  let corralWallMs: number;
  try {
    corralWallMs = await wall(() =>
      Promise.all(
        opened.map(async (s) => {
          for (let i = 0; i < commands; i++) {
            const r = await s.exec(['/bin/true']).catch(() => null);
            if (r === null || r.status !== 0) failures++;
          }
        }),
      ),
    );
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
  const total = sessions * commands;
  const summary: ConcurrencySummary = {
    sessions,
    commandsPerSession: commands,
    corralPerSec: total / (corralWallMs / 1000),
    plainPerSec: total / (plainWallMs / 1000),
    failures: failures + plainFailures,
    corralWallMs,
    plainWallMs,
  };
  const section = `Concurrency: ${sessions} sessions × ${commands} × /bin/true (wall time for all; per-command = wall / ${total})`;
  const perCommand = (ms: number) => ({ median: ms / total, p95: Number.NaN, runs: total });
  return {
    rows: [
      { section, name: `plain spawn, ${sessions} parallel loops`, timing: perCommand(plainWallMs), note: `${summary.plainPerSec.toFixed(0)} commands/s` },
      {
        section,
        name: `Corral, ${sessions} sessions in parallel`,
        timing: perCommand(corralWallMs),
        note: `${summary.corralPerSec.toFixed(0)} commands/s, ${failures} failed`,
      },
    ],
    summary,
  };
}
