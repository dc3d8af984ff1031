/**
 * Real projects, plain against inside (issue 11 item 7): what a developer runs every day, timed
 * plainly as the real user and inside an offline session, median of RUNS each, and the ratio.
 *
 * - minimist 1.2.8's own test suite (`npm run tests-only`: nyc + tape);
 * - gyp-next's own unittest suite (from node-gyp 10.3.1's tarball; `python3 -m unittest`);
 * - `git status`, `git diff`, `git log` in a repository of gyp-next's sources (two commits, a staged,
 *   an unstaged and an untracked change);
 * - creating a venv (`python3 -m venv`, pip included), removed between runs (untimed);
 * - `true`: what the whole `corral run` costs by itself (CLI, sudo, runner, session start and close),
 *   to read the short commands' ratios by.
 *
 * Plain is `runuser -u <real user> -- CMD`; inside is `runuser -u <real user> -- corral run -- CMD`
 * (the whole CLI, the member through the real sudo rule, a new session per command, as an agent's
 * shell tool would run it), so both sides pay runuser. Each run's exit status is checked (a failed
 * run fails its row, with the reason), and the test suites' summaries must agree, so a row never
 * times something that did not work.
 *
 * The real user is a throwaway non-root user with an idmapped workspace in its home — the test
 * suite's own fixture (test/integration/helpers/e2e.ts TestInstallation: its own installation
 * `ctest…`, removed with the user at the end, even on failure), since the bench's main installation
 * is for root, whose workspaces are never idmapped. The projects come from the npm registry into
 * /var/cache/corral-test (test/integration/helpers/real-projects.ts); a project that cannot be
 * fetched leaves its rows without a figure and says why. Runs alone: `npm run bench -- --only real-projects`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runProgram, show, TestInstallation, userFile, type Result, type TestUser } from '../test/integration/helpers/e2e.js';
import {
  GYP_NEXT,
  GYP_TEST_ARGV,
  median,
  MINIMIST,
  MINIMIST_TEST_ARGV,
  PLAIN_PATH,
  prepareGypNext,
  prepareMinimist,
  tapSummary,
  unittestSummary,
  type Prepared,
} from '../test/integration/helpers/real-projects.js';
import type { Row } from './per-command.js';
import { summarize } from './stats.js';

export const REAL_PROJECTS_SECTION = 'Real projects: plain (runuser) vs inside (corral run, offline, as the member), median of 3';
const RUNS = 3;

interface Item {
  what: string;
  /** Why this item cannot run here (its project could not be fetched). */
  unavailable?: string;
  argv: string[];
  cwd: string;
  /** Untimed, before each run (e.g. remove the venv the last run made). */
  reset?: () => void;
  /** What a run printed that must be the same plainly and inside (a suite's summary); throws when the run failed. */
  outcome: (r: Result) => string;
}

function unavailableRows(items: readonly string[], note: string): Row[] {
  return items.flatMap((what) => [
    { section: REAL_PROJECTS_SECTION, name: `${what}, plain`, timing: null, note },
    { section: REAL_PROJECTS_SECTION, name: `${what}, inside`, timing: null, note },
  ]);
}

const ITEM_NAMES = [`${MINIMIST.name} ${MINIMIST.version} tests`, 'gyp-next unittest', 'git status', 'git diff', 'git log', 'python3 -m venv', 'true (corral run alone)'];

function exitZero(r: Result, what: string): void {
  if (r.status !== 0) throw new Error(`${what}: ${show(r)}`);
}

function copyInto(prepared: Prepared, dest: string, user: TestUser): string | undefined {
  if (!prepared.ok) return prepared.reason;
  cpSync(prepared.dir, dest, { recursive: true, verbatimSymlinks: true });
  execFileSync('chown', ['-R', '--no-dereference', `${user.uid}:${user.gid}`, dest]);
  return undefined;
}

export async function benchRealProjects(): Promise<Row[]> {
  if (process.platform !== 'linux') return unavailableRows(ITEM_NAMES, 'Linux only');
  if (process.getuid?.() !== 0) return unavailableRows(ITEM_NAMES, 'needs root (a throwaway user and installation)');
  const minimist = prepareMinimist();
  const gyp = prepareGypNext();
  const inst = new TestInstallation('cbrp');
  try {
    const user = inst.user;
    const ws = inst.workspace;
    const env = { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: PLAIN_PATH };
    const plain = (argv: string[], cwd: string) => runProgram(argv[0]!, argv.slice(1), { asUser: user, cwd, env, killAfterMs: 600_000 });
    const inside = (argv: string[], cwd: string) =>
      inst.corralAs(user, ['run', '--workspace', ws, '--cwd', cwd, '--', ...argv], { cwd, env: { HOME: user.home, PATH: PLAIN_PATH }, killAfterMs: 600_000 });

    const minimistMissing = copyInto(minimist, path.join(ws, 'minimist'), user);
    const gypMissing = copyInto(gyp, path.join(ws, 'gyp-next'), user);
    // A repository of gyp-next's sources (a real project's tree), with work in progress.
    const repo = path.join(ws, 'repo');
    const repoMissing = copyInto(gyp, repo, user);
    if (repoMissing === undefined) {
      const git = async (...args: string[]) => exitZero(await plain(['git', '-c', 'user.name=Real User', '-c', 'user.email=real@example.invalid', ...args], repo), `git ${args.join(' ')}`);
      await git('init', '-q', '-b', 'main');
      await git('add', '-A');
      await git('commit', '-q', '-m', `gyp-next from ${GYP_NEXT.carrier} ${GYP_NEXT.version}`);
      userFile(user, path.join(repo, 'pylib', 'gyp', 'common.py'), '# changed\n', 0o644);
      await git('commit', '-q', '-a', '-m', 'second');
      userFile(user, path.join(repo, 'NEW.md'), 'staged\n');
      await git('add', 'NEW.md');
      execFileSync('runuser', ['-u', user.name, '--', 'sh', '-c', 'echo "# unstaged" >> pylib/gyp/input.py && echo u > untracked.txt'], { cwd: repo });
    }
    await inst.setup();

    const venv = path.join(ws, '.venv-bench');
    const items: Item[] = [
      {
        what: ITEM_NAMES[0]!,
        unavailable: minimistMissing,
        argv: MINIMIST_TEST_ARGV,
        cwd: path.join(ws, 'minimist'),
        outcome: (r) => {
          exitZero(r, 'minimist tests');
          return JSON.stringify(tapSummary(r.stdout.toString('utf8')));
        },
      },
      {
        what: ITEM_NAMES[1]!,
        unavailable: gypMissing,
        argv: GYP_TEST_ARGV,
        cwd: path.join(ws, 'gyp-next', 'pylib'),
        outcome: (r) => {
          exitZero(r, 'gyp-next unittest');
          return JSON.stringify(unittestSummary(r.stderr));
        },
      },
      ...(['status', 'diff', 'log'] as const).map(
        (sub, i): Item => ({
          what: ITEM_NAMES[2 + i]!,
          unavailable: repoMissing,
          argv: ['git', sub],
          cwd: repo,
          outcome: (r) => {
            exitZero(r, `git ${sub}`);
            return r.stdout.toString('utf8');
          },
        }),
      ),
      {
        what: ITEM_NAMES[5]!,
        argv: ['python3', '-m', 'venv', venv],
        cwd: ws,
        reset: () => rmSync(venv, { recursive: true, force: true }),
        outcome: (r) => {
          exitZero(r, 'python3 -m venv');
          return '';
        },
      },
      {
        what: ITEM_NAMES[6]!,
        argv: ['true'],
        cwd: ws,
        outcome: (r) => {
          exitZero(r, 'true');
          return '';
        },
      },
    ];

    const rows: Row[] = [];
    for (const item of items) {
      if (item.unavailable !== undefined) {
        rows.push(...unavailableRows([item.what], item.unavailable));
        continue;
      }
      try {
        const times = { plain: [] as number[], inside: [] as number[] };
        const outcomes = new Set<string>();
        // Alternating, so that load drifting during the runs falls on both sides.
        for (let i = 0; i < RUNS; i++) {
          for (const [side, run] of [['plain', plain], ['inside', inside]] as const) {
            item.reset?.();
            const t0 = process.hrtime.bigint();
            const r = await run(item.argv, item.cwd);
            times[side].push(Number(process.hrtime.bigint() - t0) / 1e6);
            outcomes.add(item.outcome(r));
          }
        }
        item.reset?.();
        if (outcomes.size !== 1) throw new Error(`plain and inside runs disagree: ${[...outcomes].map((o) => o.slice(0, 200)).join(' | ')}`);
        const ratio = median(times.inside) / median(times.plain);
        rows.push({ section: REAL_PROJECTS_SECTION, name: `${item.what}, plain`, timing: summarize(times.plain) });
        rows.push({ section: REAL_PROJECTS_SECTION, name: `${item.what}, inside`, timing: summarize(times.inside), note: `ratio ${ratio.toFixed(2)}` });
      } catch (err) {
        rows.push(...unavailableRows([item.what], `failed: ${(err as Error).message.slice(0, 300)}`));
      }
    }
    return rows;
  } catch (err) {
    return unavailableRows(ITEM_NAMES, `failed: ${(err as Error).message.slice(0, 300)}`);
  } finally {
    await inst.teardown();
  }
}

