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
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { linuxInstallation } from '../../core/installation.js';
import type { SessionRequest } from '../../core/protocol.js';
import { RunnerClient } from '../helpers/runner-protocol-client.js';
import { requireRoot, TestInstallation, userDir, type TestUser } from './helpers/e2e.js';

const SHARED = ['/tmp', '/var/tmp', '/dev/shm'];

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
