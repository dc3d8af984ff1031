/**
 * Reusable sessions (issue 16 items 1–2): `corral run -- true` against a live kept session (the
 * fast client path), the first `corral run` (no live session: a session host starts), and
 * `corral run --fresh`, beside `node -e 0` and a plain `/bin/true` — all as one non-root real
 * user (kept sessions are never root's own), each started through `setpriv --reuid --regid
 * --init-groups` so that every row pays the same exec, measured side by side in one run.
 *
 * `benchReuse()` is for the bench harness (it adds the user to the current installation with
 * `corral setup`); `node dist/bench/reuse.js` runs it alone as root, in an installation of its
 * own that it tears down. Medians; no assertions (the targets say PASS/MISS with the reason).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './corral.js';
import { sandboxRuntime, type Row } from './per-command.js';
import { ensureBwrap, ensureSrt } from './tools.js';
import { run } from './spawn-util.js';
import { findMedian, ratioTarget, type Target } from './report.js';
import { runOk } from './spawn-util.js';
import { measure, summarize, type Timing } from './stats.js';

export const REUSE_SECTION = 'Reusable sessions: corral run -- true as a non-root user (median over runs)';
export const REUSE_ROW = {
  node: 'node -e 0 (as the user)',
  plain: 'plain /bin/true (as the user)',
  live: 'corral run -- true, live session (fast path)',
  first: 'corral run -- true, first (no live session)',
  fresh: 'corral run --fresh -- true',
  spawn: 'plain child_process.spawn /bin/true (in-process)',
  warm: 'warm library session.exec /bin/true (the user\'s session)',
  srt: 'srt -c true (sandbox-runtime)',
} as const;

interface BenchUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function createUser(): BenchUser {
  const name = `cbr${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name], { stdio: 'pipe' });
  const f = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

function removeUser(u: BenchUser | undefined): void {
  if (u === undefined) return;
  try {
    execFileSync('pkill', ['-KILL', '-u', u.name], { stdio: 'ignore' });
  } catch {
    // nothing running
  }
  try {
    execFileSync('userdel', ['--remove', u.name], { stdio: 'pipe' });
  } catch (err) {
    console.error(`bench: could not remove ${u.name}: ${(err as Error).message}`);
  }
}

export async function benchReuse(runs: number, log: (s: string) => void = () => undefined): Promise<Row[]> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return Object.values(REUSE_ROW).map((name) => ({ section: REUSE_SECTION, name, timing: null, note: 'needs root on Linux (a throwaway user)' }));
  }
  let user: BenchUser | undefined;
  try {
    user = createUser();
    const ws = path.join(user.home, 'ws');
    mkdirSync(ws);
    chownSync(ws, user.uid, user.gid);
    await runOk(process.execPath, [CLI, 'setup', '--yes', '--user', user.name, '--workspace', ws]);
    // Reuse is opted into (session.idleSec defaults to 0): the bench user's own layer keeps sessions.
    const configDir = path.join(user.home, '.config', process.env.CORRAL_INSTANCE ?? 'corral');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ session: { idleSec: 600 } }));
    for (const p of [path.join(user.home, '.config'), configDir, path.join(configDir, 'config.json')]) chownSync(p, user.uid, user.gid);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CORRAL_INSTANCE: process.env.CORRAL_INSTANCE ?? 'corral', HOME: user.home, LANG: 'C.UTF-8' };
    const as = (args: string[]) => runOk('setpriv', [`--reuid=${user!.uid}`, `--regid=${user!.gid}`, '--init-groups', '--', ...args], { cwd: ws, env });
    const corral = (args: string[]) => as([process.execPath, CLI, ...args]);
    const stopAll = () => corral(['session', 'stop', '--all']);
    const rows: Row[] = [];
    /** `before` (untimed) ahead of every timed run, and no warm-up: the first-run row stops the kept session each time. */
    const timed = async (fn: () => Promise<void>, n: number, before: () => Promise<void>): Promise<Timing> => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        await before();
        const t0 = process.hrtime.bigint();
        await fn();
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return summarize(samples);
    };
    const row = async (name: string, fn: () => Promise<void>, n: number, before?: () => Promise<void>) => {
      try {
        rows.push({ section: REUSE_SECTION, name, timing: before === undefined ? await measure(fn, n) : await timed(fn, n, before) });
      } catch (err) {
        rows.push({ section: REUSE_SECTION, name, timing: null, note: `failed: ${(err as Error).message}` });
      }
    };
    log('reusable sessions: node -e 0, /bin/true, corral run live / first / --fresh, as a non-root user…');
    await row(REUSE_ROW.node, () => as([process.execPath, '-e', '0']), runs);
    await row(REUSE_ROW.plain, () => as(['/bin/true']), runs);
    await corral(['run', '--', 'true']); // the kept session the live row reuses
    await row(REUSE_ROW.live, () => corral(['run', '--', 'true']), runs);
    const coldRuns = Math.max(5, Math.min(30, Math.floor(runs / 7)));
    await row(REUSE_ROW.first, () => corral(['run', '--', 'true']), coldRuns, stopAll);
    await stopAll();
    await row(REUSE_ROW.fresh, () => corral(['run', '--fresh', '--', 'true']), coldRuns);
    await stopAll();
    // The library, in this process, as root acting for the user (as `sudo node app.js` would).
    await row(REUSE_ROW.spawn, async () => {
      if ((await run('/bin/true', [], { cwd: ws })) !== 0) throw new Error('/bin/true failed');
    }, runs);
    const saved = { SUDO_USER: process.env.SUDO_USER, SUDO_UID: process.env.SUDO_UID, SUDO_GID: process.env.SUDO_GID };
    Object.assign(process.env, { SUDO_USER: user.name, SUDO_UID: String(user.uid), SUDO_GID: String(user.gid) });
    try {
      const { openSession } = await import('../orchestrator/index.js');
      const session = await openSession({ workspace: ws, audit: false });
      try {
        await row(REUSE_ROW.warm, async () => {
          const r = await session.exec(['/bin/true'], { cwd: ws });
          if (r.status !== 0) throw new Error(`session.exec exited ${r.status}`);
        }, runs);
      } finally {
        await session.close();
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    // srt runs its commands in bubblewrap: without it every srt run exits 1 ("bubblewrap (bwrap) not installed").
    const bwrap = ensureBwrap();
    const srt = bwrap.ok ? sandboxRuntime(ensureSrt(), ws) : `srt needs bubblewrap, which is not available: ${bwrap.reason}`;
    if (typeof srt === 'string') rows.push({ section: REUSE_SECTION, name: REUSE_ROW.srt, timing: null, note: srt });
    else await row(REUSE_ROW.srt, () => srt({ label: 'true', argv: ['true'], shell: 'true' }) as Promise<void>, runs);
    return rows;
  } finally {
    removeUser(user);
  }
}

/** The targets, each from this section's rows (measured side by side in one run). */
export function reuseTargets(rows: readonly Row[]): Target[] {
  const m = (name: string) => findMedian(rows, REUSE_SECTION, name);
  const node = m(REUSE_ROW.node);
  const live = m(REUSE_ROW.live);
  const first = m(REUSE_ROW.first);
  const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`);
  const targets: Target[] = [];
  const t1 = ratioTarget('corral run -- true, live session vs node -e 0', live, node, { max: 1.25 }, `median ${ms(live)} / ${ms(node)}`);
  if (t1.pass === false) {
    t1.detail += `; MISS: the client is a Node process of its own (its start-up is the 1.00×); the remaining ${ms(live! - node!)} are loading the fast path's modules (about 60 of ours, no commander/zod/listr2), the session key (about 40 stat and reads of the policy inputs) and the command's round trip through the host and runner`;
  }
  targets.push(t1);
  const srt = m(REUSE_ROW.srt);
  const srtNote = rows.find((r) => r.section === REUSE_SECTION && r.name === REUSE_ROW.srt)?.note;
  const t2 = ratioTarget('live-session corral run faster than srt', srt, live, { min: 4 }, `median srt -c true / live corral run`);
  if (srt === null) t2.detail = `srt has no figure on this machine (${srtNote ?? 'not measured'}), so this target is unmeasured, not passed`;
  targets.push(t2);
  const t3 = ratioTarget('first corral run (no live session) vs node -e 0', first, node, { max: 2.5 }, `median ${ms(first)} / ${ms(node)}`);
  if (t3.pass === false) {
    t3.detail += '; MISS: a first run starts three Node processes one after another where they depend on each other — the client, the session host (the session modules, koffi) and the root runner (its confinement: namespaces, mounts, Landlock, cgroups) — and waits for the runner\'s hello before the command runs';
  }
  targets.push(t3);
  const warm = m(REUSE_ROW.warm);
  const plain = m(REUSE_ROW.spawn);
  const t4 = ratioTarget('warm library exec vs plain spawn (issue 16)', warm, plain, { max: 1.25 }, `median ${ms(warm)} / ${ms(plain)} (/bin/true)`);
  if (t4.pass === false) {
    t4.detail += '; MISS: each exec is a plain spawn inside the session plus its frames (spawn, started, exit) through the runner\'s pipe and the cgroup of the command, which the plain spawn does not pay';
  }
  targets.push(t4);
  return targets;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.CORRAL_INSTANCE = 'cbenchr';
  const { renderRows, renderTargets } = await import('./report.js');
  const runs = Number(process.argv[2] ?? 50);
  try {
    const rows = await benchReuse(runs, (s) => process.stderr.write(`${s}\n`));
    console.log(renderRows(rows));
    console.log(renderTargets(reuseTargets(rows)));
  } finally {
    await runOk(process.execPath, [CLI, 'teardown', '--yes']).catch((err: unknown) => console.error(`teardown: ${(err as Error).message}`));
  }
}
