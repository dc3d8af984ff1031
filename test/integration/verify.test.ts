/**
 * `corral verify` end to end (root sets up; the test user runs verify through the real sudo
 * rule, as any developer would): every attempt holds on a healthy install, and the same
 * command reports ESCAPE — and exits 1 — when the user's own config weakens the policy, so a
 * verify that could not notice an escape would fail here.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { requireRoot, runProgram, show, TestInstallation, userDir, userFile } from './helpers/e2e.js';
import { FLOOD_BACKLOG, kernelAuditState, setKernelAudit } from '../helpers/kernel-audit.js';

interface Report {
  ok: boolean;
  attempts: { id: string; outcome: string; result: string }[];
  escaped: number;
}

describe('corral verify (root sets up; the user runs it unprivileged)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctv');
    const git = await runProgram('git', ['init', '-q', inst.workspace], { asUser: inst.user });
    assert.equal(git.status, 0, show(git));
    await inst.setup();
  });

  after(async () => {
    await inst?.teardown();
  });

  const verify = async (extra: string[] = []) => {
    const r = await inst!.corralAs(inst!.user, ['verify', '--workspace', inst!.workspace, '--json', ...extra]);
    let report: Report;
    try {
      report = JSON.parse(r.stdout.toString()) as Report;
    } catch {
      throw new Error(`verify printed no JSON document: ${show(r)}`);
    }
    return { r, report };
  };

  it('passes on a healthy install: every attempt held (or skipped with a reason), exit 0', async () => {
    const { r, report } = await verify();
    assert.equal(r.status, 0, show(r));
    assert.equal(report.ok, true);
    const byId = new Map(report.attempts.map((a) => [a.id, a]));
    for (const id of ['write-outside', 'write-git', 'write-missing-protected', 'read-deny', 'connect-tcp', 'connect-udp', 'dns', 'signal', 'daemon', 'secret-env', 'setuid', 'connection-report']) {
      assert.equal(byId.get(id)?.outcome, 'held', `${id}: ${JSON.stringify(byId.get(id))}`);
    }
    // The refused connection is named by the namespace's refusal table (nflog: no audit needed).
    assert.match(byId.get('connection-report')!.result, /^reported: packet\.tcp [0-9.]+:\d+ \(the session is offline \(network: "offline"\)\)$/);
    // With the kernel's audit off (this machine's default) there is no source, and verify says so.
    const reported = byId.get('violation-report');
    if (kernelAuditState().enabled === 0) {
      assert.equal(reported?.outcome, 'skipped', JSON.stringify(reported));
      assert.match(reported.result, /^no source: off: the kernel's audit is disabled/);
    } else {
      assert.equal(reported?.outcome, 'held', JSON.stringify(reported));
    }
  });

  it("with the kernel's audit on, a refused creation in /usr is named in the command's violation report", async function () {
    const before = kernelAuditState();
    if (before.enabled === 2) this.skip(); // locked by the administrator: cannot switch it here
    setKernelAudit(1, FLOOD_BACKLOG);
    try {
      const { r, report } = await verify();
      assert.equal(r.status, 0, show(r));
      const v = report.attempts.find((a) => a.id === 'violation-report');
      assert.equal(v?.outcome, 'held', JSON.stringify(v));
      assert.equal(v.result, 'reported: fs.make_reg /usr (outside the writable roots)', 'names the directory the file was to be made in');
    } finally {
      setKernelAudit(before.enabled === 0 ? 0 : 1, before.backlogLimit);
    }
  });

  it('leaves nothing behind in the workspace or in /tmp', async () => {
    const before = readdirSync(inst!.workspace).sort();
    const tmpBefore = readdirSync('/tmp').filter((n) => n.startsWith('corral-verify-'));
    await verify();
    assert.deepEqual(readdirSync(inst!.workspace).sort(), before);
    assert.deepEqual(readdirSync('/tmp').filter((n) => n.startsWith('corral-verify-')), tmpBefore);
  });

  it('reports ESCAPE and exits 1 when the user config makes the outside target a writable root', async () => {
    const u = inst!.user;
    const outside = userDir(u, path.join(u.home, 'weakened-target'), 0o777);
    const configDir = path.join(u.home, '.config', inst!.instance);
    mkdirSync(configDir, { recursive: true });
    userDir(u, path.join(u.home, '.config'));
    userDir(u, configDir);
    userFile(u, path.join(configDir, 'config.json'), JSON.stringify({ writableRoots: [outside] }));
    try {
      const { r, report } = await verify(['--outside', outside]);
      assert.equal(r.status, 1, show(r));
      assert.equal(report.ok, false);
      const w = report.attempts.find((a) => a.id === 'write-outside');
      assert.equal(w?.outcome, 'ESCAPE', JSON.stringify(w));
      assert.deepEqual(readdirSync(outside), [], 'verify removes what an escaped write left');
    } finally {
      userFile(u, path.join(configDir, 'config.json'), '{}');
    }
  });

  it('prints the table for a person, with held/ESCAPE per attempt', async () => {
    const r = await inst!.corralAs(inst!.user, ['verify', '--workspace', inst!.workspace]);
    assert.equal(r.status, 0, show(r));
    const text = r.stdout.toString();
    assert.match(text, /attempt\s+expected\s+result\s+held\/ESCAPE/);
    assert.match(text, /write a file outside the workspace.*held/);
    assert.match(text, /\d+ held, 0 escaped, \d+ skipped/);
  });
});
