/**
 * One round of `bench/compare.ts` for one built tree, in a process of its own (as root).
 *
 * argv: TREE WORKSPACE RUNS. TREE is a checkout with `dist/` built (this one or another
 * commit's); CORRAL_INSTANCE is set by the parent. The tree's own CLI and its own
 * `openSession` are used, so the numbers are that commit's code. Prints one JSON object of raw
 * samples (milliseconds) on stdout: the parent pools rounds before taking medians.
 *
 * Rows: `setup` re-run on the installed workspace (the no-op), `corral run -- /bin/true` (cold,
 * the whole CLI), `session.exec(['/bin/true'])` (warm), and a plain spawn of /bin/true as the
 * baseline measured in the same round.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, runOk } from './spawn-util.js';
import { timeOnce } from './stats.js';

export interface RoundSamples {
  noopSetup: number[];
  cold: number[];
  warm: number[];
  plain: number[];
}

interface WarmSession {
  exec(argv: string[], opts: { cwd: string }): Promise<{ status: number | null }>;
  close(): Promise<unknown>;
}

async function samples(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timeOnce(fn));
  return out;
}

async function main(): Promise<void> {
  const [tree, ws, runsArg] = process.argv.slice(2);
  if (tree === undefined || ws === undefined || runsArg === undefined) throw new Error('usage: compare-round TREE WORKSPACE RUNS');
  const runs = Number(runsArg);
  const cli = path.join(tree, 'dist', 'orchestrator', 'cli', 'main.js');
  const corral = (args: string[]) => runOk(process.execPath, [cli, ...args], { cwd: ws });

  const noopSetup = await samples(Math.max(3, Math.ceil(runs / 10)), () => corral(['setup', '--yes', '--workspace', ws]));
  const cold = await samples(Math.max(5, Math.ceil(runs / 4)), () => corral(['run', '--workspace', ws, '--', '/bin/true']));

  const { openSession } = (await import(pathToFileURL(path.join(tree, 'dist', 'orchestrator', 'index.js')).href)) as {
    openSession(o: { workspace: string; audit: boolean }): Promise<WarmSession>;
  };
  const session = await openSession({ workspace: ws, audit: false });
  let warm: number[];
  try {
    const once = async () => {
      const r = await session.exec(['/bin/true'], { cwd: ws });
      if (r.status !== 0) throw new Error(`session.exec /bin/true exited ${r.status}`);
    };
    await samples(5, once);
    warm = await samples(runs, once);
  } finally {
    await session.close();
  }
  const plain = await samples(runs, async () => {
    const code = await run('/bin/true', [], { cwd: ws });
    if (code !== 0) throw new Error(`/bin/true exited ${code}`);
  });
  const out: RoundSamples = { noopSetup, cold, warm, plain };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
