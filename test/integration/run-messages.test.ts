/**
 * Right remedies (issue 13.10), the way a user meets them, with the real CLI and a real
 * installation: corral called again from inside a sandbox says it is already sandboxed; a
 * login that predates the group membership says to log in again (not "ask an administrator");
 * a file given as the workspace is "not a directory"; not-provisioned remedies never suggest
 * /tmp or the whole home.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CLI, NODE, requireRoot, runProgram, show, TestInstallation, userFile } from './helpers/e2e.js';

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

  it('says a nested corral run is already sandboxed (exit 4), from inside a real session', async function () {
    const reachable = await inst!.run(['test', '-r', CLI]);
    // The session hides the real user's home and puts a private tmpfs on /tmp: a checkout under
    // either is not there to run.
    if (reachable.status !== 0) this.skip();
    const r = await inst!.run(['sh', '-c', 'CORRAL_INSTANCE="$1" "$2" "$3" run -- true; echo "exit=$?"', 'sh', inst!.instance, NODE, CLI]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.toString(), /exit=4/);
    assert.match(r.stderr, /started inside a Corral sandbox/);
    assert.match(r.stderr, /\[already_sandboxed\]/);
    assert.doesNotMatch(r.stderr, /setup --user|administrator/);
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
});
