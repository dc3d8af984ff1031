/**
 * A second `npm ci` (issue 13 item 6): is an install served from the cache as fast inside the
 * sandbox as outside? A small real project (ms, semver, minimist from the npm registry; its
 * lockfile made here, in the bench's throwaway directory) is installed once on each side to
 * fill the cache, then `npm ci --offline` is timed, median of RUNS:
 *
 * - outside: the bench's real user (root) with a cache of its own in the bench directory;
 * - inside: `corral run -- npm ci --offline`, the whole CLI, each run a new offline session of
 *   the workspace — its cache is the offline identity's home for this workspace, filled first by
 *   `npm ci` in an allowlist session (`--allow-host registry.npmjs.org`), which runs as that
 *   identity (README design note 5); and the same `npm ci` through one open session
 *   (`session.exec`), which leaves out what `corral run -- /bin/true` costs (also timed).
 *
 * Without the registry every row says why it has no figure. `benchNpmCache(ws)` is for the bench
 * harness (the workspace provisioned); `node dist/bench/npm-cache.js` provisions its own
 * installation (CORRAL_INSTANCE=cbenchnpm, root) and runs it alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSession } from '../orchestrator/index.js';
import { CLI, corral } from './corral.js';
import type { Row } from './per-command.js';
import { fmtMs, summarize, timeOnce } from './stats.js';
import { runOk } from './spawn-util.js';

export const NPM_SECTION = 'A second npm ci: served from the cache (ms, semver, minimist; median of 3)';
export const NPM_ROW = {
  outside: 'outside: npm ci --offline, warm cache',
  inside: 'inside: corral run -- npm ci --offline (new offline session)',
  warm: 'inside: session.exec npm ci --offline (one open offline session)',
  cold: 'corral run -- /bin/true (the session\'s own cost)',
} as const;
const RUNS = 3;
const REGISTRY_HOST = 'registry.npmjs.org';
const PROJECT = { name: 'cache-bench', version: '1.0.0', private: true, dependencies: { ms: '2.1.3', semver: '7.6.3', minimist: '1.2.8' } };
const NPM_FLAGS = ['--no-audit', '--no-fund', '--ignore-scripts'];

function skipped(note: string): Row[] {
  return Object.values(NPM_ROW).map((name) => ({ section: NPM_SECTION, name, timing: null, note }));
}

function firstLine(err: unknown): string {
  return String((err as { message?: string }).message ?? err)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-1)[0]!
    .slice(0, 200);
}

/** The rows; `ws` is a provisioned workspace of the bench's installation. */
export async function benchNpmCache(ws: string): Promise<Row[]> {
  const npm = ['/usr/bin/npm', '/usr/local/bin/npm'].find((p) => existsSync(p));
  if (npm === undefined) return skipped('no npm on this machine');
  const outside = path.join(ws, 'npm-outside');
  const inside = path.join(ws, 'npm-inside');
  const cache = path.join(path.dirname(ws), 'npm-cache-outside');
  try {
    for (const dir of [outside, inside]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(PROJECT, null, 2)}\n`);
    }
    try {
      await runOk(npm, ['install', '--package-lock-only', ...NPM_FLAGS, '--cache', cache], { cwd: outside });
      await runOk(npm, ['ci', ...NPM_FLAGS, '--cache', cache], { cwd: outside });
    } catch (err) {
      return skipped(`the npm registry is not reachable: ${firstLine(err)}`);
    }
    execFileSync('cp', [path.join(outside, 'package-lock.json'), inside]);
    const inCorral = (args: string[]) => runOk(process.execPath, [CLI, 'run', '--workspace', ws, '--cwd', inside, ...args], { cwd: inside });
    try {
      await inCorral(['--allow-host', REGISTRY_HOST, '--', npm, 'ci', ...NPM_FLAGS]);
    } catch (err) {
      return skipped(`npm ci in an allowlist session (--allow-host ${REGISTRY_HOST}) failed: ${firstLine(err)}`);
    }
    const out: number[] = [];
    const inn: number[] = [];
    const warm: number[] = [];
    const cold: number[] = [];
    const session = await openSession({ workspace: ws, audit: false });
    try {
      for (let i = 0; i < RUNS; i++) {
        out.push(await timeOnce(() => runOk(npm, ['ci', '--offline', ...NPM_FLAGS, '--cache', cache], { cwd: outside })));
        inn.push(await timeOnce(() => inCorral(['--', npm, 'ci', '--offline', ...NPM_FLAGS])));
        warm.push(
          await timeOnce(async () => {
            const r = await session.exec([npm, 'ci', '--offline', ...NPM_FLAGS], { cwd: inside });
            if (r.status !== 0) throw new Error(`npm ci --offline in the session exited ${r.status}: ${r.stderr.toString().slice(-300)}`);
          }),
        );
        cold.push(await timeOnce(() => inCorral(['--', '/bin/true'])));
      }
    } finally {
      await session.close();
    }
    const o = summarize(out);
    const ratio = (t: { median: number }) => `ratio ${(t.median / o.median).toFixed(2)} (to outside, medians)`;
    const n = summarize(inn);
    const w = summarize(warm);
    return [
      { section: NPM_SECTION, name: NPM_ROW.outside, timing: o },
      { section: NPM_SECTION, name: NPM_ROW.inside, timing: n, note: ratio(n) },
      { section: NPM_SECTION, name: NPM_ROW.warm, timing: w, note: ratio(w) },
      { section: NPM_SECTION, name: NPM_ROW.cold, timing: summarize(cold) },
    ];
  } finally {
    rmSync(outside, { recursive: true, force: true });
    rmSync(inside, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.getuid?.() !== 0) {
    process.stderr.write('node dist/bench/npm-cache.js provisions a test installation and needs root.\n');
    process.exit(4);
  }
  process.env.CORRAL_INSTANCE = 'cbenchnpm';
  const base = mkdtempSync('/tmp/corral-bench-npm-');
  const ws = path.join(base, 'ws');
  mkdirSync(ws);
  try {
    await corral(['setup', '--yes', '--workspace', ws]);
    for (const r of await benchNpmCache(ws)) {
      process.stdout.write(`${r.name}: ${r.timing === null ? '—' : `median ${fmtMs(r.timing.median)} (runs ${r.timing.runs})`}${r.note === undefined ? '' : `  ${r.note}`}\n`);
    }
  } finally {
    await corral(['teardown', '--yes']).catch((err: unknown) => process.stderr.write(`cleanup: ${(err as Error).message}\n`));
    rmSync(base, { recursive: true, force: true });
  }
}
