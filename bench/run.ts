/**
 * `npm run bench` (as root): Corral's cost beside a plain spawn, bubblewrap, sandbox-runtime
 * and Node start-up, measured in one run on this machine; provisioning times; workspace
 * grant growth; concurrency. Prints a table and writes bench/results/latest.json.
 *
 * It provisions a private installation (CORRAL_INSTANCE=cbench) for root as the real user,
 * with throwaway workspaces under /tmp, and tears it all down at the end, even on failure.
 *
 * Options: --runs N (per-command iterations, default 200), --quick (runs 30, skips the
 * 100k-file workspace), --json (print the JSON document instead of the table).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { benchCommands, bubblewrap, nodeStartup, plainSpawn, sandboxRuntime, timeRow, type Row, type Runner } from './per-command.js';
import { findMedian, ratioTarget, renderRows, renderTargets, type Target } from './report.js';
import { ensureBwrap, ensureSrt, SRT_VERSION } from './tools.js';
import { benchConcurrency } from './concurrency.js';
import { benchProvisioning, corralCli, corralWarm, withSession } from './corral.js';
import { benchWorkspaceGrowth } from './workspace-growth.js';
import { benchSessionStart } from './session-start.js';

interface Options {
  runs: number;
  quick: boolean;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { runs: 200, quick: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      opts.quick = true;
      opts.runs = 30;
    } else if (a === '--json') opts.json = true;
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else throw new Error(`unknown option ${a}; accepted: --runs N, --quick, --json`);
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
  const extra: Record<string, unknown> = {};
  try {
    log('provisioning (fresh setup, no-op re-runs, teardown)…');
    const prov = await benchProvisioning(base, opts.quick ? 3 : 5, opts.quick ? 10 : 30);
    rows.push(...prov.rows);

    log('peers: bubblewrap, sandbox-runtime…');
    const bwrap = bubblewrap(ensureBwrap(), ws);
    const srt = sandboxRuntime(ensureSrt(), ws);

    await withSession(ws, async (session) => {
      const cli = corralCli(ws);
      for (const cmd of benchCommands(ws)) {
        const section = `Per command: ${cmd.label} (median/p95 over ${opts.runs} after warm-up)`;
        log(section);
        const runners: [string, Runner | string][] = [
          ['plain child_process.spawn', plainSpawn(ws)],
          ['Corral warm (session.exec)', corralWarm(session, ws)],
          ['Corral cold (corral run, whole CLI)', cli],
          ['bwrap --unshare-net', bwrap],
          [`srt -c (sandbox-runtime ${SRT_VERSION})`, srt],
          ['node -e 0', nodeStartup()],
        ];
        for (const [name, runner] of runners) {
          // srt costs ~0.4 s a run: cap it so the bench stays within minutes, and say so.
          const runs = name.startsWith('srt') ? Math.min(opts.runs, 200) : opts.runs;
          rows.push(await timeRow(section, name, runner, cmd, runs));
        }
      }
    });

    log('concurrency: 8 sessions × 100 commands…');
    const conc = await benchConcurrency(ws, 8, opts.quick ? 25 : 100);
    rows.push(...conc.rows);
    extra.concurrency = conc.summary;

    log('workspace size: grant time and session start…');
    // The bench's real user is root, and root is never idmapped: these rows are the ACL path.
    const growth = await benchWorkspaceGrowth(base, opts.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]);
    rows.push(...growth);
    log('session start: idmap vs ACL grant, for a non-root real user…');
    rows.push(...(await benchSessionStart()));
  } finally {
    await benchProvisioning.cleanup(base).catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    rmSync(base, { recursive: true, force: true });
  }

  const trueSection = rows.find((r) => r.name === 'plain child_process.spawn')?.section ?? '';
  const targets: Target[] = [
    ratioTarget(
      'warm exec vs plain spawn (/bin/true)',
      findMedian(rows, trueSection, 'Corral warm (session.exec)'),
      findMedian(rows, trueSection, 'plain child_process.spawn'),
      { max: 1.5 },
      'median warm / median plain',
    ),
    ratioTarget(
      'warm exec faster than bubblewrap (/bin/true)',
      findMedian(rows, trueSection, 'bwrap --unshare-net'),
      findMedian(rows, trueSection, 'Corral warm (session.exec)'),
      { min: 3 },
      'median bwrap / median warm',
    ),
    ratioTarget(
      'cold corral run vs node -e 0',
      findMedian(rows, trueSection, 'Corral cold (corral run, whole CLI)'),
      findMedian(rows, trueSection, 'node -e 0'),
      { max: 1.6 },
      'median cold / median node -e 0',
    ),
  ];
  const noop = rows.find((r) => r.name === 'setup, no-op re-run')?.timing?.median ?? null;
  targets.push({
    name: 'no-op setup',
    goal: '≤ 0.5 s',
    value: noop === null ? null : noop / 1000,
    pass: noop === null ? null : noop <= 500,
    detail: 'median seconds of `corral setup --yes` with nothing to do',
  });
  const conc = extra.concurrency as { corralPerSec: number; plainPerSec: number; failures: number } | undefined;
  const concTarget = ratioTarget(
    'concurrent throughput vs plain spawn',
    conc?.corralPerSec ?? null,
    conc?.plainPerSec ?? null,
    { min: 0.7 },
    `commands/s, 8 sessions × 100; failures: ${conc?.failures ?? '—'}`,
  );
  if (conc !== undefined && conc.failures > 0) concTarget.pass = false;
  targets.push(concTarget);

  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  const doc = { date: new Date().toISOString(), machine, options: opts, rows, targets, ...extra };
  const out = path.resolve(import.meta.dirname, '..', '..', 'bench', 'results', 'latest.json');
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
