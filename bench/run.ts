/**
 * `npm run bench` (as root): Corral's cost beside a plain spawn, bubblewrap, sandbox-runtime
 * and Node start-up, measured in one run on this machine; provisioning times; workspace
 * grant growth; concurrency; a second `npm ci` from the cache inside and outside; reusable
 * sessions (`corral run` against a live session, a first run, --fresh: bench/reuse.ts). Prints a table and writes bench/results/latest.json.
 *
 * It provisions a private installation (CORRAL_INSTANCE=cbench) for root as the real user,
 * with throwaway workspaces under /tmp, and tears it all down at the end, even on failure.
 *
 * Options: --runs N (per-command iterations, default 200), --quick (runs 30, skips the
 * 100k-file workspace), --json (print the JSON document instead of the table), --only allowlist
 * (one setup, then only the allowlist network section: bench/allowlist.ts), --only real-projects
 * (only the real projects, plain against inside: bench/real-projects.ts, its own installation).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { benchCommands, bubblewrap, nodeStartup, plainSpawn, ROW, sandboxRuntime, timeRow, type Row, type Runner } from './per-command.js';
import { renderRows, renderTargets } from './report.js';
import { ensureBwrap, ensureSrt } from './tools.js';
import { benchConcurrency, type ConcurrencySummary } from './concurrency.js';
import { benchProvisioning, corral, corralCli, corralWarm, removeBenchInstallation, withSession } from './corral.js';
import { computeTargets } from './targets.js';
import { benchWorkspaceGrowth } from './workspace-growth.js';
import { benchSessionStart } from './session-start.js';
import { allowlistTargets, benchAllowlist } from './allowlist.js';
import { benchRealProjects } from './real-projects.js';
import { benchViolations } from './violations.js';
import { benchNpmCache } from './npm-cache.js';
import { benchReuse, reuseTargets } from './reuse.js';

interface Options {
  runs: number;
  quick: boolean;
  json: boolean;
  /** Run only this section (after one plain setup). */
  only: 'allowlist' | 'real-projects' | null;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { runs: 200, quick: false, json: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      opts.quick = true;
      opts.runs = 30;
    } else if (a === '--json') opts.json = true;
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--only') {
      const section = argv[++i];
      if (section !== 'allowlist' && section !== 'real-projects') throw new Error(`--only takes: allowlist, real-projects (got ${section ?? 'nothing'})`);
      opts.only = section;
    } else throw new Error(`unknown option ${a}; accepted: --runs N, --quick, --json, --only allowlist|real-projects`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs takes a positive whole number');
  return opts;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('npm run bench provisions a test installation and needs root: run it as root (sudo npm run bench).\n');
    return 4;
  }
  process.env.CORRAL_INSTANCE = 'cbench';
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const base = mkdtempSync('/tmp/corral-bench-');
  const ws = path.join(base, 'ws');
  mkdirSync(ws);
  const rows: Row[] = [];
  let concurrency: ConcurrencySummary | undefined;
  try {
    if (opts.only === 'allowlist') {
      log('setup…');
      await corral(['setup', '--yes', '--workspace', ws]);
      log('allowlist network: 100 MiB downloads and connections, direct vs proxy…');
      rows.push(...(await benchAllowlist(ws, log)));
    } else if (opts.only === 'real-projects') {
      log(REAL_PROJECTS_LOG);
      rows.push(...(await benchRealProjects()));
    } else {
      concurrency = await benchAll(opts, base, ws, rows, log);
    }
  } finally {
    // --only real-projects provisions nothing of cbench (its section has an installation of its own).
    if (opts.only !== 'real-projects') await removeBenchInstallation().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    rmSync(base, { recursive: true, force: true });
  }
  return finish(opts, rows, concurrency);
}

const REAL_PROJECTS_LOG = 'real projects: minimist and gyp-next test suites, git status/diff/log, python3 -m venv, plain vs inside…';

/** The full run, every section in order; returns the concurrency summary. */
async function benchAll(opts: Options, base: string, ws: string, rows: Row[], log: (s: string) => void): Promise<ConcurrencySummary> {
  log('provisioning (fresh setup, no-op re-runs, teardown)…');
  rows.push(...(await benchProvisioning(base, opts.quick ? 3 : 5, opts.quick ? 10 : 30)));

  log('peers: bubblewrap, sandbox-runtime…');
  const bwrap = bubblewrap(ensureBwrap(), ws);
  const srt = sandboxRuntime(ensureSrt(), ws);

  await withSession(ws, async (session) => {
    const cli = corralCli(ws);
    for (const cmd of benchCommands(ws)) {
      const section = `Per command: ${cmd.label} (median/p95 over ${opts.runs} after warm-up)`;
      log(section);
      const runners: [string, Runner | string][] = [
        [ROW.plain, plainSpawn(ws)],
        [ROW.warm, corralWarm(session, ws)],
        [ROW.cold, cli],
        [ROW.bwrap, bwrap],
        [ROW.srt, srt],
        [ROW.node, nodeStartup()],
      ];
      for (const [name, runner] of runners) rows.push(await timeRow(section, name, runner, cmd, opts.runs));
    }
  });

  rows.push(...(await benchReuse(opts.runs, log)));

  log('allowlist network: 100 MiB downloads and connections, direct vs proxy…');
  rows.push(...(await benchAllowlist(ws, log)));

  log('a second npm ci, from the cache, inside and outside…');
  rows.push(...(await benchNpmCache(ws)));

  const perSession = opts.quick ? 25 : 100;
  log(`concurrency: 8 sessions × ${perSession} commands…`);
  const conc = await benchConcurrency(ws, 8, perSession);
  rows.push(...conc.rows);

  log('workspace size: grant time and session start…');
  // The bench's real user is root, and root is never idmapped: these rows are the ACL path.
  const growth = await benchWorkspaceGrowth(base, opts.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]);
  rows.push(...growth);
  log('violation reports: the Landlock audit source off vs on…');
  rows.push(...(await benchViolations(ws, opts.runs)));
  log('session start: idmap vs ACL grant, for a non-root real user…');
  rows.push(...(await benchSessionStart()));
  log(REAL_PROJECTS_LOG);
  rows.push(...(await benchRealProjects()));
  return conc.summary;
}

function finish(opts: Options, rows: Row[], concurrency: ConcurrencySummary | undefined): number {
  const targets = opts.only === 'allowlist' ? allowlistTargets(rows) : opts.only === 'real-projects' ? [] : [...computeTargets(rows, concurrency), ...reuseTargets(rows)];

  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  const doc = { date: new Date().toISOString(), machine, options: opts, rows, targets, concurrency };
  const out = path.resolve(import.meta.dirname, '..', '..', 'bench', 'results', opts.only === null ? 'latest.json' : `latest-${opts.only}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`Corral benchmark — ${doc.date}\n${machine.cpus} × ${machine.cpuModel}, ${machine.memGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}\n`);
    process.stdout.write(`${renderRows(rows)}\n${renderTargets(targets)}\n\nwritten: ${path.relative(process.cwd(), out)}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
