/**
 * Right remedies (issue 13.10), the way a user meets them, with the real CLI and a real
 * installation: corral called again from inside a sandbox says it is already sandboxed; a
 * login that predates the group membership says to log in again (not "ask an administrator");
 * a file given as the workspace is "not a directory"; not-provisioned remedies never suggest
 * /tmp or the whole home; `policy show` and `run` resolve the same layers from a subdirectory,
 * and `policy show` lists the provisioned workspaces.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CLI, NODE, requireRoot, runProgram, show, TestInstallation, userDir, userFile } from './helpers/e2e.js';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

describe('corral run: right remedies (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    await inst.setup();
  });
  after(async () => {
    await inst?.teardown();
  });

  it('says a nested corral run is already sandboxed (exit 4), from inside a real session', async () => {
    // The session hides the real user's home and puts a private tmpfs on /tmp, so a checkout under
    // either is not there to run: the test runs a copy of the built CLI (dist without its tests,
    // package.json, the packages it imports) placed in the workspace, which every session sees.
    const copy = path.join(inst!.workspace, 'nested-cli');
    try {
      copyCli(copy);
      const cli = path.join(copy, 'dist', 'orchestrator', 'cli', 'main.js');
      const r = await inst!.run(['sh', '-c', 'CORRAL_INSTANCE="$1" "$2" "$3" run -- true; echo "exit=$?"', 'sh', inst!.instance, NODE, cli]);
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout.toString(), /exit=4/, show(r));
      assert.match(r.stderr, /started inside a Corral sandbox/);
      assert.match(r.stderr, /\[already_sandboxed\]/);
      assert.doesNotMatch(r.stderr, /setup --user|administrator/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('says to log in again when the login predates the group membership', async () => {
    const group = execFileSync('getent', ['group', inst!.instance], { encoding: 'utf8' }).trim().split(':');
    assert.ok(group[3]!.split(',').includes(inst!.user.name), 'setup added the user to the group');
    // The user's own groups without the installation's: a shell started before setup ran.
    const r = await runProgram('setpriv', ['--reuid', String(inst!.user.uid), '--regid', String(inst!.user.gid), `--groups=${inst!.user.gid}`, '--', NODE, CLI, 'run', '--', 'true'], {
      cwd: inst!.workspace,
      env: { CORRAL_INSTANCE: inst!.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '', HOME: inst!.user.home },
    });
    assert.equal(r.status, 4, show(r));
    assert.match(r.stderr, /after this login session started/);
    assert.match(r.stderr, /Log out and in again \(or run `newgrp /);
    assert.doesNotMatch(r.stderr, /administrator/);
  });

  it('calls a file given as the workspace "not a directory", and never suggests provisioning /tmp or the whole home', async () => {
    const file = path.join(inst!.user.home, 'notes.txt');
    userFile(inst!.user, file, 'x');
    const notDir = await inst!.run(['true'], ['--workspace', file]);
    assert.equal(notDir.status, 2, show(notDir));
    assert.match(notDir.stderr, /is not a directory/);
    for (const ws of ['/tmp', inst!.user.home]) {
      const r = await inst!.corral(['run', '--workspace', ws, '--', 'true']);
      assert.equal(r.status, 3, show(r));
      assert.doesNotMatch(r.stderr, new RegExp(`--workspace ${ws}\``), show(r));
      assert.match(r.stderr, /--workspace DIR/);
    }
  });

  it("policy show and run resolve the same layers from a subdirectory of the workspace, and policy show lists the provisioned workspaces", async () => {
    const ws = inst!.workspace;
    const sub = userDir(inst!.user, path.join(ws, 'pkg', 'src'));
    userDir(inst!.user, path.join(ws, `.${inst!.instance}`));
    userFile(inst!.user, path.join(ws, `.${inst!.instance}`, 'config.json'), JSON.stringify({ limits: { timeoutSec: 2 } }));
    try {
      const atRoot = await inst!.corralAs(inst!.user, ['policy', 'show', '--json'], { cwd: ws });
      const below = await inst!.corralAs(inst!.user, ['policy', 'show', '--json'], { cwd: sub });
      assert.equal(below.status, 0, show(below));
      const a = JSON.parse(atRoot.stdout.toString()) as { digest: string; workspace: string; provisionedWorkspaces: string[]; policy: { limits: { timeoutSec: number } } };
      const b = JSON.parse(below.stdout.toString()) as typeof a;
      assert.equal(b.workspace, ws, 'from a subdirectory, the workspace run would use');
      assert.equal(b.policy.limits.timeoutSec, 2, "the workspace's own layer is read from the subdirectory");
      assert.equal(b.digest, a.digest);
      assert.deepEqual(b.provisionedWorkspaces, [ws]);
      const text = await inst!.corralAs(inst!.user, ['policy', 'show'], { cwd: sub });
      assert.match(text.stdout.toString(), new RegExp(`provisioned workspaces: ${ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      // run from the same subdirectory enforces that layer: a sleep past its 2 s is killed (124).
      const run = await inst!.corralAs(inst!.user, ['run', '--', 'sleep', '30'], { cwd: sub });
      assert.equal(run.status, 124, show(run));
    } finally {
      rmSync(path.join(ws, `.${inst!.instance}`), { recursive: true, force: true });
      rmSync(path.join(ws, 'pkg'), { recursive: true, force: true });
    }
  });
});

/** The built CLI, copied to `dir` so that a session can run it wherever the checkout lies. */
function copyCli(dir: string): void {
  const dist = path.resolve(CLI, '..', '..', '..');
  const root = path.dirname(dist);
  for (const part of ['core', 'orchestrator', 'os', 'runner']) cpSync(path.join(dist, part), path.join(dir, 'dist', part), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  // What the CLI's `run` imports: commander, zod, and koffi (os/linux/libc.ts) with its native
  // package. Copied through the node_modules link, whose target may be under /tmp too.
  for (const pkg of ['commander', 'zod', 'koffi', '@koromix']) {
    cpSync(path.join(root, 'node_modules', pkg), path.join(dir, 'node_modules', pkg), { recursive: true, dereference: true });
  }
}
