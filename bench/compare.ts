/**
 * `npm run bench:compare -- --against DIR` (as root): this tree against another built checkout
 * (an older commit, typically `git worktree add DIR <commit> && cd DIR && npm ci && npm run build`),
 * on the rows a change to the core must not slow down: the no-op `setup` re-run, cold
 * `corral run`, warm `session.exec`. A plain spawn of /bin/true is measured in every round as
 * the baseline.
 *
 * Both trees are provisioned side by side (installations `cbencha`, `cbenchb`, root as the real
 * user, throwaway workspaces under /tmp) and measured in interleaved rounds, the order flipped
 * every round (A B, B A, …), so load on the machine that drifts during the run falls on both
 * alike. Each round runs in a fresh process of its own (bench/compare-round.ts) that loads that
 * tree's code. Samples are pooled over rounds; the report gives medians and ratios. Both
 * installations are torn down at the end, even on failure (a run killed by a signal leaves them:
 * the next run re-uses and then removes them, or `CORRAL_INSTANCE=cbencha corral teardown --yes`).
 *
 * Options: --against DIR (required), --rounds N (default 6), --runs N (warm/plain samples per
 * round, default 60), --json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RoundSamples } from './compare-round.js';
import { runOk } from './spawn-util.js';
import { fmtMs, summarize, type Timing } from './stats.js';

interface Options {
  against: string;
  rounds: number;
  runs: number;
  json: boolean;
}

interface Tree {
  label: string;
  dir: string;
  instance: string;
  ws: string;
  samples: RoundSamples;
}

const ROWS: { key: keyof RoundSamples; name: string }[] = [
  { key: 'noopSetup', name: 'setup, no-op re-run' },
  { key: 'cold', name: 'corral run -- /bin/true (cold)' },
  { key: 'warm', name: 'session.exec /bin/true (warm)' },
  { key: 'plain', name: 'plain spawn /bin/true (baseline)' },
];

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { against: '', rounds: 6, runs: 60, json: false };
  const positive = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number (got ${v ?? 'nothing'})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--against') opts.against = path.resolve(argv[++i] ?? '');
    else if (a === '--rounds') opts.rounds = positive(a, argv[++i]);
    else if (a === '--runs') opts.runs = positive(a, argv[++i]);
    else if (a === '--json') opts.json = true;
    else throw new Error(`unknown option ${a}; accepted: --against DIR, --rounds N, --runs N, --json`);
  }
  if (opts.against === '') throw new Error('--against DIR is required: a checkout of the commit to compare with, built (npm ci && npm run build)');
  if (!existsSync(path.join(opts.against, 'dist', 'orchestrator', 'cli', 'main.js'))) {
    throw new Error(`${opts.against} has no dist/orchestrator/cli/main.js: build it first (cd ${opts.against} && npm ci && npm run build)`);
  }
  return opts;
}

function commitOf(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return path.basename(dir);
  }
}

function cli(t: Tree, args: string[]): Promise<void> {
  return runOk(process.execPath, [path.join(t.dir, 'dist', 'orchestrator', 'cli', 'main.js'), ...args], {
    cwd: t.ws,
    env: { ...process.env, CORRAL_INSTANCE: t.instance },
  });
}

function round(t: Tree, runs: number): Promise<RoundSamples> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'compare-round.js'), t.dir, t.ws, String(runs)], {
      env: { ...process.env, CORRAL_INSTANCE: t.instance },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`round for ${t.label} exited ${code}`));
      else resolve(JSON.parse(out) as RoundSamples);
    });
  });
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:compare provisions two test installations and needs root.\n');
    return 4;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const base = mkdtempSync('/tmp/corral-compare-');
  const empty = (): RoundSamples => ({ noopSetup: [], cold: [], warm: [], plain: [] });
  const here = path.resolve(import.meta.dirname, '..', '..');
  const trees: Tree[] = [
    { label: `before (${commitOf(opts.against)})`, dir: opts.against, instance: 'cbencha', ws: path.join(base, 'a'), samples: empty() },
    { label: `after (${commitOf(here)})`, dir: here, instance: 'cbenchb', ws: path.join(base, 'b'), samples: empty() },
  ];
  const provisioned: Tree[] = [];
  try {
    for (const t of trees) {
      mkdirSync(t.ws);
      log(`provisioning ${t.label}…`);
      provisioned.push(t);
      await cli(t, ['setup', '--yes', '--workspace', t.ws]);
    }
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? trees : [...trees].reverse();
      for (const t of order) {
        log(`round ${r + 1}/${opts.rounds}: ${t.label}`);
        const s = await round(t, opts.runs);
        for (const { key } of ROWS) t.samples[key].push(...s[key]);
      }
    }
  } finally {
    for (const t of provisioned) await cli(t, ['teardown', '--yes']).catch((err: unknown) => log(`cleanup ${t.label}: ${(err as Error).message}`));
    rmSync(base, { recursive: true, force: true });
  }

  const [before, after] = trees as [Tree, Tree];
  const rows = ROWS.map(({ key, name }) => {
    const b: Timing = summarize(before.samples[key]);
    const a: Timing = summarize(after.samples[key]);
    return { name, before: b, after: a, afterOverBefore: a.median / b.median };
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), options: opts, before: before.label, after: after.label, rows }, null, 2)}\n`);
    return 0;
  }
  const plainB = rows[3]!.before.median;
  const plainA = rows[3]!.after.median;
  const lines = [
    `Corral A/B — ${opts.rounds} interleaved rounds; medians (p95) over pooled samples`,
    `${'row'.padEnd(36)} ${before.label.padEnd(24)} ${after.label.padEnd(24)} after/before  before÷plain  after÷plain`,
    ...rows.map((r) =>
      [
        r.name.padEnd(36),
        `${fmtMs(r.before.median)} (${fmtMs(r.before.p95)})`.padEnd(24),
        `${fmtMs(r.after.median)} (${fmtMs(r.after.p95)})`.padEnd(24),
        ratio(r.after.median, r.before.median).padEnd(13),
        ratio(r.before.median, plainB).padEnd(13),
        ratio(r.after.median, plainA),
      ].join(' '),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:compare: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
