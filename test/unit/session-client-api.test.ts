/** Pins the library's exported surface (`import ... from 'corral'`) and the small pure pieces around the client. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { linuxInstallation, windowsInstallation } from '../../core/installation.js';
import { exitStatus } from '../../orchestrator/session/exit-status.js';
import { auditFilePath } from '../../orchestrator/audit/path.js';
import { openAuditLog } from '../../orchestrator/audit/log.js';
import { explainSudoRefusal, launchPlan, permissionVerdict } from '../../orchestrator/bridge/linux/launcher.js';
import { parseTimeout, shouldForwardStdin } from '../../orchestrator/cli/commands/run.js';
import { shellQuote } from '../../orchestrator/cli/commands/audit.js';

describe('library API surface', () => {
  it("exports exactly openSession, CorralError, isCorralError and ERROR_CODES from 'corral'", async () => {
    const api = await import('corral');
    assert.deepEqual(Object.keys(api).sort(), ['CorralError', 'ERROR_CODES', 'isCorralError', 'openSession']);
    assert.equal(typeof api.openSession, 'function');
    const e = new api.CorralError('not_provisioned', 'x');
    assert.equal(e.exitCode, 3);
    assert.ok(api.isCorralError(e, 'not_provisioned'));
  });
});

describe('exit status mapping', () => {
  it('is the code, 124 on timeout, 128+n when killed', () => {
    assert.equal(exitStatus({ exitCode: 0, signal: null, timedOut: false }), 0);
    assert.equal(exitStatus({ exitCode: 42, signal: null, timedOut: false }), 42);
    assert.equal(exitStatus({ exitCode: null, signal: 'SIGKILL', timedOut: true }), 124);
    assert.equal(exitStatus({ exitCode: null, signal: 'SIGINT', timedOut: false }), 130);
    assert.equal(exitStatus({ exitCode: null, signal: 'SIGKILL', timedOut: false }), 137);
    assert.equal(exitStatus({ exitCode: null, signal: 'SIGPIPE', timedOut: false }), 141);
  });
});

describe('Linux privilege bridge (launch plan)', () => {
  const inst = linuxInstallation('ctestx');
  const alice = { name: 'alice', uid: 1234, gid: 1234, home: '/home/alice' };

  it('as a user: sudo -n with exactly the node and entry the sudoers rule names, and a fixed environment', () => {
    const plan = launchPlan(inst, alice, 1234, '/usr/bin/sudo');
    assert.equal(plan.file, '/usr/bin/sudo');
    assert.deepEqual(plan.args, ['-n', '/usr/local/lib/ctestx/bin/node', '/usr/local/lib/ctestx/app/dist/runner/main.js']);
    assert.equal(plan.viaSudo, true);
    assert.deepEqual(Object.keys(plan.env).sort(), ['LANG', 'PATH']);
  });

  it('as root: the runner directly, with the real user passed as sudo would', () => {
    const plan = launchPlan(inst, alice, 0, '');
    assert.equal(plan.file, inst.runnerNode);
    assert.deepEqual(plan.args, [inst.runnerEntry]);
    assert.equal(plan.env.SUDO_UID, '1234');
    assert.equal(plan.env.SUDO_USER, 'alice');
    const asRoot = launchPlan(inst, { name: 'root', uid: 0, gid: 0, home: '/root' }, 0, '');
    assert.equal(asRoot.env.SUDO_UID, undefined);
  });

  it('turns sudo refusals into not_permitted (exit 4) naming the group, and leaves other failures alone', () => {
    for (const text of ['sudo: a password is required\n', 'alice is not in the sudoers file.  This incident will be reported.\n']) {
      const e = explainSudoRefusal(inst, 'alice', text);
      assert.equal(e?.code, 'not_permitted');
      assert.equal(e?.exitCode, 4);
      assert.match(e!.message, /group ctestx/);
    }
    assert.equal(explainSudoRefusal(inst, 'alice', 'sudo: effective uid is not 0, is /usr/bin/sudo on a file system with the nosuid option set')?.code, 'not_permitted');
    assert.equal(explainSudoRefusal(inst, 'alice', 'runner: landlock failed'), undefined);
  });
});

describe('Linux privilege bridge (who may start sessions)', () => {
  const inst = linuxInstallation('ctestx');
  const alice = { name: 'alice', uid: 1234, gid: 1234, home: '/home/alice' };
  const group = { name: 'ctestx', gid: 990, members: ['bob'] };

  it('admits a process that carries the group, refuses others with exit 4, and says when a re-login is needed', () => {
    assert.equal(permissionVerdict(inst, alice, group, [1234, 990]), null);
    const outsider = permissionVerdict(inst, alice, group, [1234]);
    assert.equal(outsider?.code, 'not_permitted');
    assert.equal(outsider?.exitCode, 4);
    assert.match(outsider!.message, /only members of group ctestx/);
    const stale = permissionVerdict(inst, alice, { ...group, members: ['alice'] }, [1234]);
    assert.equal(stale?.code, 'not_permitted');
    assert.match(stale!.remedy, /^Log out and in again \(or run `newgrp ctestx`/);
    assert.doesNotMatch(stale!.remedy, /administrator/);
    assert.equal(stale!.toJSON().remedy, stale!.remedy);
    assert.equal(permissionVerdict(inst, alice, null, [1234])?.code, 'not_provisioned');
  });

  it('says a sandbox identity calling corral is already sandboxed (issue 13.10), by its primary or supplementary group', () => {
    const sandbox = { name: 'ctestx-sandbox', gid: 991, members: [] };
    const identity = { name: 'ctestx-off-alice', uid: 991, gid: 991, home: '/var/lib/ctestx/home/ctestx-off-alice' };
    const nested = permissionVerdict(inst, identity, group, [991], sandbox);
    assert.equal(nested?.code, 'already_sandboxed');
    assert.equal(nested?.exitCode, 4);
    assert.doesNotMatch(`${nested!.message} ${nested!.remedy}`, /setup --user|administrator/);
    assert.equal(permissionVerdict(inst, { ...identity, gid: 5 }, group, [5, 991], sandbox)?.code, 'already_sandboxed');
    assert.equal(permissionVerdict(inst, alice, group, [1234, 990], sandbox), null, 'a member is not a sandbox');
  });
});

describe('corral run flag helpers', () => {
  it('--timeout takes whole seconds only', () => {
    assert.equal(parseTimeout('5'), 5);
    for (const bad of ['0', '-1', '1.5', 'abc', '']) assert.throws(() => parseTimeout(bad), /--timeout/);
  });
  it('forwards stdin only when it is not a terminal', () => {
    assert.equal(shouldForwardStdin({ isTTY: true }), false);
    assert.equal(shouldForwardStdin({ isTTY: false }), true);
  });
  it('audit shows argv quoted for reading', () => {
    assert.equal(shellQuote(['sh', '-c', "echo 'hi' > f"]), `sh -c 'echo '\\''hi'\\'' > f'`);
  });
});

describe('audit log location and creation', () => {
  it('is ~/.local/state/<inst>/audit.jsonl; XDG_STATE_HOME only when running as that user', () => {
    const inst = linuxInstallation('ctestx');
    const owner = { home: '/home/alice', uid: 1234 };
    assert.equal(auditFilePath(inst, owner, {}, 1234), '/home/alice/.local/state/ctestx/audit.jsonl');
    assert.equal(auditFilePath(inst, owner, { XDG_STATE_HOME: '/x/state' }, 1234), '/x/state/ctestx/audit.jsonl');
    assert.equal(auditFilePath(inst, owner, { XDG_STATE_HOME: '/x/state' }, 0), '/home/alice/.local/state/ctestx/audit.jsonl');
    assert.equal(
      auditFilePath(windowsInstallation('corral', {}), { home: 'C:\\Users\\a' }, { LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }),
      'C:\\Users\\a\\AppData\\Local\\Corral\\audit.jsonl',
    );
  });

  it('creates the file 0600 in a 0700 directory and refuses to follow a planted symlink', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-audit-'));
    try {
      const file = path.join(dir, 'state', 'audit.jsonl');
      openAuditLog(file, {}).close();
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
      const target = path.join(dir, 'target');
      const link = path.join(dir, 'state', 'linked.jsonl');
      symlinkSync(target, link);
      assert.throws(() => openAuditLog(link, {}), /cannot open the audit log/);
      assert.throws(() => readFileSync(target), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
