/**
 * Real projects not written here, for issue 11 item 7 ("real toolchains still work") and the bench's
 * real-project section: fetched from the npm registry at test or bench time into a cache outside the
 * repository (REAL_PROJECT_CACHE; nothing third-party is committed), prepared there once, outside any
 * sandbox. Each `prepare…` returns the prepared directory, or the reason it cannot be had here (the
 * registry unreachable and nothing cached yet), for the caller to skip with.
 *
 * - minimist 1.2.8: a JavaScript project whose published tarball carries its tape suite; its dev
 *   dependencies are installed in the cache with scripts off.
 * - gyp-next, as published inside node-gyp 10.3.1's npm tarball (`package/gyp`): a Python project
 *   (gyp-next is its own project on PyPI, which is not reachable here) with its own unittest files
 *   (`pylib/gyp/*_test.py`, `pylib/gyp/generator/*_test.py`). It needs nothing but the standard
 *   library, so nothing is installed for it.
 *
 * Preparation works in a directory of its own and renames the result into place, so two processes
 * preparing at once both end with a complete copy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

export const REAL_PROJECT_CACHE = '/var/cache/corral-test';
/** The PATH the plain runs get (a login user's, without root's pyenv or other additions). */
export const PLAIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Prepared = { ok: true; dir: string } | { ok: false; reason: string };

export const MINIMIST = { name: 'minimist', version: '1.2.8' } as const;
/** minimist's own test script without its lint pre-step and `aud` post-step (an online audit). */
export const MINIMIST_TEST_ARGV = ['npm', 'run', 'tests-only'];

export const GYP_NEXT = { carrier: 'node-gyp', version: '10.3.1' } as const;
/** gyp-next's unittest files, run from its `pylib` directory with the standard library's runner. */
export const GYP_TEST_ARGV = ['python3', '-m', 'unittest', 'discover', '-s', '.', '-p', '*_test.py'];

function errText(err: unknown): string {
  return String((err as { stderr?: Buffer }).stderr ?? err)
    .trim()
    .slice(0, 300);
}

/** `npm pack NAME@VERSION` into a fresh work directory and unpack it; `fill` turns `package/` into the result. */
function fetchInto(target: string, spec: string, fill: (pkg: string) => string | undefined): Prepared {
  const work = path.join(REAL_PROJECT_CACHE, `.prep-${process.pid}-${path.basename(target)}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    let tgz: string;
    try {
      tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { cwd: work, encoding: 'utf8', stdio: 'pipe', timeout: 120_000 }).trim();
    } catch (err) {
      return { ok: false, reason: `the npm registry cannot be reached to fetch ${spec}: ${errText(err)}` };
    }
    execFileSync('tar', ['-xzf', tgz.split('\n').pop()!], { cwd: work, stdio: 'pipe' });
    const failed = fill(path.join(work, 'package'));
    if (failed !== undefined) return { ok: false, reason: failed };
    const result = path.join(work, 'result');
    try {
      renameSync(result, target);
    } catch (err) {
      // Another process prepared it first; its copy is complete (renamed into place whole).
      if (!existsSync(target)) throw err;
    }
    return { ok: true, dir: target };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** minimist with its dev dependencies installed (scripts off), ready for MINIMIST_TEST_ARGV. */
export function prepareMinimist(): Prepared {
  const dir = path.join(REAL_PROJECT_CACHE, `${MINIMIST.name}-${MINIMIST.version}`);
  if (existsSync(path.join(dir, 'node_modules', '.bin', 'tape'))) return { ok: true, dir };
  rmSync(dir, { recursive: true, force: true });
  return fetchInto(dir, `${MINIMIST.name}@${MINIMIST.version}`, (pkg) => {
    try {
      execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: pkg, stdio: 'pipe', timeout: 600_000 });
    } catch (err) {
      return `npm install of ${MINIMIST.name}'s dev dependencies failed (registry unreachable?): ${errText(err)}`;
    }
    renameSync(pkg, path.join(pkg, '..', 'result'));
    return undefined;
  });
}

/** gyp-next's sources and tests (node-gyp's `package/gyp`); GYP_TEST_ARGV runs in `<dir>/pylib`. */
export function prepareGypNext(): Prepared {
  const dir = path.join(REAL_PROJECT_CACHE, `gyp-next-from-${GYP_NEXT.carrier}-${GYP_NEXT.version}`);
  if (existsSync(path.join(dir, 'pylib', 'gyp', 'common_test.py'))) return { ok: true, dir };
  rmSync(dir, { recursive: true, force: true });
  return fetchInto(dir, `${GYP_NEXT.carrier}@${GYP_NEXT.version}`, (pkg) => {
    const gyp = path.join(pkg, 'gyp');
    if (!existsSync(path.join(gyp, 'pylib', 'gyp', 'common_test.py'))) return `${GYP_NEXT.carrier}@${GYP_NEXT.version}'s tarball has no gyp/pylib/gyp/common_test.py`;
    renameSync(gyp, path.join(pkg, '..', 'result'));
    return undefined;
  });
}

/** tape's summary: `# tests N`, `# pass N`, and no `# fail`. */
export function tapSummary(stdout: string): { tests: number; pass: number; fail: number } {
  const num = (label: string): number => Number(new RegExp(`^# ${label}\\s+(\\d+)\\s*$`, 'm').exec(stdout)?.[1] ?? NaN);
  const fail = num('fail');
  return { tests: num('tests'), pass: num('pass'), fail: Number.isNaN(fail) ? 0 : fail };
}

/** unittest's summary on stderr: `Ran N tests in …` and the verdict line (`OK`, `OK (skipped=2)`, `FAILED (…)`). */
export function unittestSummary(stderr: string): { ran: number; verdict: string } {
  const ran = Number(/^Ran (\d+) tests? in /m.exec(stderr)?.[1] ?? NaN);
  const verdict = /^(OK|FAILED)\b.*$/m.exec(stderr)?.[0] ?? '(no verdict line)';
  return { ran, verdict };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
