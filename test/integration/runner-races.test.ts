/**
 * The root phase against a hostile member (root; a real user, a real installation, the runner
 * started through the real sudo rule with hand-made requests):
 *  - shared writable places (/tmp, /var/tmp, /dev/shm): names the user squats there stop no
 *    session, and a session creates nothing there (its run-time files live under the root-only
 *    /run/<inst>);
 *  - paths raced while a session starts (a writable root swapped for a link to a directory
 *    the user does not own): no write ever lands outside what the user owns;
 *  - the reaper under the workspace-swap race removes nothing outside the workspace;
 *  - errors name the path as given, never a name inside a directory the caller cannot read.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { linuxInstallation } from '../../core/installation.js';
import type { SessionRequest } from '../../core/protocol.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';
import { requireRoot, TestInstallation, userDir, userFile, type TestUser } from './helpers/e2e.js';
import { protectedNames } from '../../core/protected-names.js';

const SHARED = ['/tmp', '/var/tmp', '/dev/shm'];
/** Session starts raced against the swapper (CORRAL_RACE_STARTS to change; the issue asks for 1,000). */
const RACE_STARTS = Number(process.env.CORRAL_RACE_STARTS ?? 1000);

function runAs(user: TestUser, argv: string[]): void {
  execFileSync('runuser', ['-u', user.name, '--', ...argv], { stdio: 'pipe' });
}

function lchown(path: string, user: TestUser): void {
  lchownSync(path, user.uid, user.gid);
}

describe('root phase vs. a hostile member: shared names, races, errors (root, real sudo rule)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  const clients: RunnerClient[] = [];

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctr');
    await inst.setup();
  });
  after(async function () {
    for (const c of clients) c.killNow();
    await inst?.teardown();
  });

  const request = (overrides: Partial<SessionRequest> = {}): SessionRequest => inst!.openRequest(overrides);

  /** The runner as the member itself through the real sudo rule. */
  function startAsMember(req: SessionRequest, user: TestUser = inst!.user): RunnerClient {
    const installation = linuxInstallation(inst!.instance);
    const c = RunnerClient.startVia('runuser', ['-u', user.name, '--', '/usr/bin/sudo', '-n', installation.runnerNode, installation.runnerEntry], req);
    clients.push(c);
    return c;
  }

  async function close(c: RunnerClient): Promise<void> {
    await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 20_000))]);
    c.killNow();
  }

  function entries(dir: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const name of readdirSync(dir)) {
      try {
        out.set(name, lstatSync(`${dir}/${name}`).uid);
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  it('36 overlapping sessions on one workspace: every one starts (no ENOENT), the reserved name stays protected while any lives, and the last one removes it', async function () {
    const ws = inst!.workspace;
    for (const name of ['.git', '.env']) assert.ok(!existsSync(`${ws}/${name}`), `${ws}/${name} must be missing for this test (it is reserved by a placeholder)`);
    const COUNT = 36;
    // All started at once; each closes at its own moment (a shuffled order, a few ms apart), so
    // that sessions end while others are still planning, creating and binding.
    const order = Array.from({ length: COUNT }, (_, i) => i).sort(() => Math.random() - 0.5);
    const live = new Set<number>();
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        const c = startAsMember(request());
        try {
          await c.hello();
          live.add(i);
          const r = await c.sh('mkdir .git/hooks 2>/dev/null && echo WROTE; echo x > .env 2>/dev/null && echo WROTE; test -d .git && echo RESERVED', { cwd: ws });
          if (r.out.includes('WROTE') || !r.out.includes('RESERVED')) failures.push(`session ${i}: ${JSON.stringify(r.out)} ${r.err}`);
          await new Promise((res) => setTimeout(res, order.indexOf(i) * 15));
          await close(c);
          live.delete(i);
          if (live.size > 0 && !(existsSync(`${ws}/.git`) && existsSync(`${ws}/.env`))) failures.push(`a placeholder vanished from the host while ${live.size} sessions still lived`);
        } catch (err) {
          failures.push(`session ${i}: ${err instanceof Error ? err.message : String(err)} ${c.stderrText}`);
          c.killNow();
        }
      }),
    );
    assert.deepEqual(failures, []);
    // The reapers run after each runner exits; the last holder removes both placeholders.
    for (let i = 0; i < 200 && (existsSync(`${ws}/.git`) || existsSync(`${ws}/.env`)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!existsSync(`${ws}/.git`) && !existsSync(`${ws}/.env`), 'the last session removes the placeholders');
    assert.deepEqual(readdirSync(`/run/${inst!.instance}/reservations`).filter((n) => n !== '.lock'), [], 'no marker is left');
  });

  /**
   * The user's racer: flips each slot between a real directory of theirs and a link (renames, at
   * random moments from none to 300 ms apart) until its stdin ends or its deadline passes — it
   * stops by itself.
   */
  function startSwapper(user: TestUser, slots: string[]): { stop: () => Promise<number> } {
    const code = `
      const fs = require('fs');
      const slots = process.argv.slice(1);
      const deadline = Date.now() + 600000;
      let swaps = 0, done = false, real = false;
      process.stdin.on('end', () => { done = true; }).resume();
      const move = (from, to) => { try { fs.renameSync(from, to); swaps++; } catch {} };
      // Each slot is a real directory half the time and a link the other half, each state held
      // for a random time from nothing to 300 ms: some sessions start inside one state, others
      // straddle a flip at every stage of their start.
      const step = () => {
        for (const s of slots) {
          if (real) { move(s, s + '.dir'); move(s + '.lnk', s); } else { move(s, s + '.lnk'); move(s + '.dir', s); }
        }
        real = !real;
        if (done || Date.now() > deadline) { console.log(swaps); process.exit(0); }
        const hold = [0, 1, 2, 5, 20, 60, 150, 300][Math.floor(Math.random() * 8)];
        if (hold === 0) setImmediate(step); else setTimeout(step, hold);
      };
      step();`;
    const child = spawn('runuser', ['-u', user.name, '--', process.execPath, '-e', code, ...slots], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number>((resolve) => child.once('close', () => resolve(Number(out.trim()) || 0)));
    return {
      stop: async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const swaps = await exited;
        clearTimeout(timer);
        return swaps;
      },
    };
  }

  it(`writable roots swapped for links (last component and one above it) while sessions start, ${RACE_STARTS} times: no write ever lands outside what the user owns`, async function () {
    const user = inst!.user;
    const outside = `/srv/corral-race-${process.pid}`;
    // The targets: root-owned and world-writable, so only Landlock and the view keep the
    // identity out; reachable in the session (not under a covered directory).
    const targets = [`${outside}/a/root`, `${outside}/root2`];
    for (const t of targets) {
      mkdirSync(t, { recursive: true });
      chownSync(t, 0, 0);
      chmodSync(t, 0o777);
    }
    const base = userDir(user, `${user.home}/race`);
    // Slot 1 (a component above the root): race/a ⇄ link to /srv/…/a, whose `root` is a target.
    userDir(user, `${base}/a.dir/root`);
    chownSync(`${base}/a.dir`, user.uid, user.gid);
    symlinkSync(`${outside}/a`, `${base}/a.lnk`);
    // Slot 2 (the root itself): race/b/root ⇄ link to /srv/…/root2.
    userDir(user, `${base}/b/root.dir`);
    symlinkSync(targets[1]!, `${base}/b/root.lnk`);
    for (const l of [`${base}/a.lnk`, `${base}/b/root.lnk`]) lchown(l, user);
    // Every protected name exists in the roots (as the user's own entries), so nothing is
    // reserved in them: no placeholder parent is opened there, and the only root-phase opens of
    // a raced root are its check, its protected binds, the view's bind and Landlock's rule.
    // The targets hold them too (root's), so that a runner which followed a link would find
    // what it looks for there and go on rather than fail early.
    for (const p of protectedNames(inst!.instance)) {
      for (const dir of [`${base}/a.dir/root`, `${base}/b/root.dir`]) {
        if (p.kind === 'dir') userDir(user, `${dir}/${p.name}`);
        else userFile(user, `${dir}/${p.name}`, '');
      }
      for (const dir of targets) {
        if (p.kind === 'dir') mkdirSync(`${dir}/${p.name}`);
        else writeFileSync(`${dir}/${p.name}`, '');
      }
    }
    const present = new Set(targets.flatMap((t) => readdirSync(t).map((n) => `${t}/${n}`)));
    const roots = [`${base}/a/root`, `${base}/b/root`];
    const swapper = startSwapper(user, [`${base}/a`, `${base}/b/root`]);
    const outcomes = new Map<string, number>();
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    const allowed = new Set(['workspace_invalid', 'workspace_not_owned', 'request_invalid']);
    const problems: string[] = [];
    try {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < RACE_STARTS; i = next++) {
          const root = roots[i % 2]!;
          const c = startAsMember(request({ writableRoots: [root] }));
          try {
            const first = await Promise.race([
              c.waitFor((m) => m.type === 'hello' || (m.type === 'error' && m.id === undefined)),
              new Promise<null>((r) => setTimeout(() => r(null), 30_000)),
            ]);
            if (first === null) {
              problems.push(`start ${i}: no answer within 30 s`);
            } else if (first.type === 'error') {
              count(first.code);
              if (!allowed.has(first.code)) problems.push(`start ${i}: ${first.code} ${first.message}`);
            } else {
              count('hello');
              // Write through the root's name and straight into both targets.
              await c.exec(['/bin/sh', '-c', 'for d in "$@"; do echo x > "$d/probe-$0" 2>/dev/null; done; true', String(i), root, ...targets], { cwd: inst!.workspace });
            }
          } catch (err) {
            // Recorded, not thrown: a throw would end Promise.all while the other workers go on starting
            // sessions on this installation into the next tests.
            problems.push(`start ${i}: ${err instanceof Error ? err.message : String(err)}`);
          } finally {
            await close(c);
            clients.splice(clients.indexOf(c), 1);
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      const swaps = await swapper.stop();
      console.log(`      ${RACE_STARTS} starts against ${swaps} swaps: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    const landed = targets.flatMap((t) => readdirSync(t).map((n) => `${t}/${n}`)).filter((p) => !present.has(p));
    rmSync(outside, { recursive: true, force: true });
    rmSync(base, { recursive: true, force: true });
    assert.deepEqual(problems, []);
    assert.deepEqual(landed, [], 'a session wrote into a directory the user does not own');
    assert.ok((outcomes.get('hello') ?? 0) > 0, 'no session started: the race proved nothing');
  });

  it('the reaper under the workspace-swap race: the workspace moved away and replaced by a link to look-alike placeholders of root\'s; the reaper removes its own, never those', async function () {
    const ws = inst!.workspace;
    const names = ['.git', '.env'];
    for (const name of names) assert.ok(!existsSync(`${ws}/${name}`), `${ws}/${name} must be missing for this test (it is reserved by a placeholder)`);
    // What the reaper would remove if it went by name: root-owned, empty, the placeholders' modes.
    const decoy = `/srv/corral-decoy-${process.pid}`;
    mkdirSync(`${decoy}/.git`, { recursive: true, mode: 0o555 });
    writeFileSync(`${decoy}/.env`, '', { mode: 0o444 });
    const moved = `${ws}.moved`;
    const c = startAsMember(request());
    try {
      await c.hello();
      for (const name of names) assert.ok(existsSync(`${ws}/${name}`), `${name} is reserved while the session lives`);
      // The user moves the workspace away and puts a link to the decoy in its place.
      runAs(inst!.user, ['/bin/mv', '-T', ws, moved]);
      runAs(inst!.user, ['/bin/ln', '-s', decoy, ws]);
      await close(c);
      for (let i = 0; i < 200 && names.some((n) => existsSync(`${moved}/${n}`)); i++) await new Promise((r) => setTimeout(r, 50));
      for (const name of names) {
        assert.ok(!existsSync(`${moved}/${name}`), `the reaper removes its own placeholder ${name} where it really is`);
        assert.ok(existsSync(`${decoy}/${name}`), `the reaper removed ${decoy}/${name}, which the link pointed at`);
      }
    } finally {
      c.killNow();
      if (lstatSync(ws, { throwIfNoEntry: false })?.isSymbolicLink() === true) rmSync(ws);
      if (existsSync(moved)) runAs(inst!.user, ['/bin/mv', '-T', moved, ws]);
      rmSync(decoy, { recursive: true, force: true });
    }
  });

  it('the reaper removes only the very placeholder it was told of: one replaced by a root-owned look-alike (same name, kind, mode) is left', async function () {
    const ws = inst!.workspace;
    for (const name of ['.git', '.env']) assert.ok(!existsSync(`${ws}/${name}`), `${ws}/${name} must be missing for this test (it is reserved by a placeholder)`);
    const c = startAsMember(request());
    try {
      await c.hello();
      assert.ok(lstatSync(`${ws}/.git`).isDirectory(), '.git is reserved while the session lives');
      // On the host, the placeholder is taken away and a look-alike put in its place.
      // (Made first and renamed over it, so that it cannot get the freed inode's number.)
      const before = lstatSync(`${ws}/.git`).ino;
      mkdirSync(`${ws}/.git-lookalike`, { mode: 0o555 });
      renameSync(`${ws}/.git-lookalike`, `${ws}/.git`);
      assert.notEqual(lstatSync(`${ws}/.git`).ino, before);
      await close(c);
      for (let i = 0; i < 200 && existsSync(`${ws}/.env`); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!existsSync(`${ws}/.env`), 'the reaper removes its own placeholder .env');
      assert.ok(existsSync(`${ws}/.git`), 'the reaper removed a .git it did not make (another inode)');
    } finally {
      c.killNow();
      rmSync(`${ws}/.git`, { recursive: true, force: true });
    }
  });

  it('an error about a path that leads into a directory the user cannot search reveals nothing of what is there', async function () {
    const user = inst!.user;
    const secret = `/root/corral-secret-${process.pid}`;
    mkdirSync(`${secret}/hidden-name`, { recursive: true, mode: 0o700 });
    const links = [`${user.home}/link-to-dir`, `${user.home}/link-to-missing`];
    symlinkSync(`${secret}/hidden-name`, links[0]!);
    symlinkSync(`${secret}/no-such-name`, links[1]!);
    try {
      const answers: string[] = [];
      for (const link of links) {
        for (const req of [request({ workspace: link }), request({ writableRoots: [link] })]) {
          const c = startAsMember(req);
          const frame = await c.waitFor((m) => m.type === 'error' || m.type === 'hello');
          await close(c);
          assert.equal(frame.type, 'error', `a session on ${link} must be refused`);
          const text = JSON.stringify(frame);
          assert.ok(!text.includes('corral-secret') && !text.includes('hidden-name') && !text.includes('no-such-name'), `the error names what is behind ${link}: ${text}`);
          answers.push(text.replace(link, 'LINK'));
        }
      }
      // An existing and a missing name behind the unreadable directory get the same answer.
      assert.equal(answers[0], answers[2]);
      assert.equal(answers[1], answers[3]);
    } finally {
      for (const link of links) rmSync(link, { force: true });
      rmSync(secret, { recursive: true, force: true });
    }
  });

  it('names squatted in /tmp, /var/tmp and /dev/shm stop nothing, and a session creates nothing there', async function () {
    const user = inst!.user;
    const decoy = userDir(user, `${user.home}/decoy`, 0o777);
    const squats: string[] = [];
    for (const dir of SHARED) {
      for (const name of [`${inst!.instance}-sessions`, inst!.instance, 'corral-sessions', `${inst!.instance}-reservations`]) {
        const path = `${dir}/${name}`;
        if (existsSync(path)) continue;
        // Half the names a directory of the user's (0777), half a link to the user's directory.
        if (squats.length % 2 === 0) {
          mkdirSync(path, { mode: 0o777 });
          chownSync(path, user.uid, user.gid);
        } else {
          symlinkSync(decoy, path);
        }
        squats.push(path);
      }
    }
    const before = SHARED.map(entries);
    try {
      const c = startAsMember(request());
      await c.hello();
      const r = await c.sh('echo made > made-in-ws && cat made-in-ws', { cwd: inst!.workspace });
      assert.equal(r.code, 0, r.err);
      await close(c);
      const offline = inst!.identity('offline').uid;
      SHARED.forEach((dir, i) => {
        for (const [name, uid] of entries(dir)) {
          if (before[i]!.has(name)) continue;
          assert.ok(uid !== 0 && uid !== offline, `the session left ${dir}/${name} (uid ${uid}) in a shared writable directory`);
        }
      });
      for (const path of [...squats, decoy]) {
        if (lstatSync(path).isDirectory()) assert.deepEqual(readdirSync(path), [], `something was created in the squatted ${path}`);
      }
      const run = statSync(`/run/${inst!.instance}`);
      assert.equal(run.uid, 0);
      assert.equal(run.mode & 0o777, 0o700, '/run/<inst> is root-only');
    } finally {
      for (const path of squats) rmSync(path, { recursive: true, force: true });
      rmSync(decoy, { recursive: true, force: true });
    }
  });
});
