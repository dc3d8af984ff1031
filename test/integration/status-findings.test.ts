/**
 * `corral status` checks what breaks sessions (issue 13.9), on a real provisioned installation
 * (CORRAL_INSTANCE=ctest…), each broken for real: the machine config made world-writable, its
 * directory made world-writable, the config made invalid JSON; the workspace chowned to another
 * user; an identity's home removed. Each is a finding with exit 1, its own remedy and error code
 * in text and --json — and a real session is refused for the same reason (the finding is not
 * made up). A real non-member user running status gets not_permitted (exit 4), not a getfacl
 * failure; the provisioned user itself (a member) gets a clean status.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createUser, removeUser, requireRoot, show, TestInstallation, type Result, type TestUser } from './helpers/e2e.js';

interface Item {
  id: string;
  state: string;
  detail?: string;
  remedy?: string;
  code?: string;
}
interface StatusDoc {
  ok: boolean;
  items: Item[];
  error?: { code: string; remedy: string };
}

function doc(r: Result): StatusDoc {
  return JSON.parse(r.stdout.toString('utf8')) as StatusDoc;
}

describe('corral status: what breaks sessions (root, a real installation)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let other: TestUser | undefined;
  let configDir = '';
  let configFile = '';

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    other = createUser('ctn');
    configDir = `/etc/${inst.instance}`;
    configFile = path.join(configDir, 'config.json');
    await inst.setup();
  });
  after(async () => {
    rmSync(configDir, { recursive: true, force: true });
    try {
      await inst?.teardown();
    } finally {
      removeUser(other);
    }
  });

  async function status(): Promise<{ r: Result; d: StatusDoc; text: Result }> {
    const r = await inst!.corral(['status', '--json']);
    const text = await inst!.corral(['status']);
    return { r, d: doc(r), text };
  }

  function finding(d: StatusDoc, id: string): Item {
    const i = d.items.find((x) => x.id === id);
    assert.ok(i !== undefined, `no status item ${id}: ${JSON.stringify(d.items.map((x) => x.id))}`);
    return i;
  }

  it('is clean after setup (exit 0), with the machine config, identity homes and workspace checked', async () => {
    const { r, d } = await status();
    assert.equal(r.status, 0, show(r));
    assert.equal(d.ok, true);
    assert.equal(finding(d, 'machine-config').state, 'ok');
    assert.equal(finding(d, `home:${inst!.identity('offline').name}`).state, 'ok');
    assert.equal(finding(d, `home:${inst!.identity('online').name}`).state, 'ok');
    assert.equal(finding(d, `workspace:${inst!.workspace}`).state, 'ok');
  });

  it('a world-writable machine config is a finding (exit 1, config_invalid, remedy), and sessions are refused', async () => {
    mkdirSync(configDir, { mode: 0o755 });
    writeFileSync(configFile, '{}\n', { mode: 0o644 });
    const clean = await inst!.corral(['status', '--json']);
    assert.equal(clean.status, 0, `a valid root-owned config is no finding: ${show(clean)}`);

    chmodSync(configFile, 0o646); // chmod o+w
    const { r, d, text } = await status();
    assert.equal(r.status, 1, show(r));
    const i = finding(d, 'machine-config');
    assert.equal(i.state, 'drifted');
    assert.equal(i.code, 'config_invalid');
    assert.match(i.detail ?? '', /writable by group or others/);
    assert.match(i.remedy ?? '', /chmod go-w/);
    assert.equal(d.error?.code, 'drift_detected');
    assert.match(d.error?.remedy ?? '', /chmod go-w/);
    assert.equal(text.status, 1, show(text));
    assert.match(text.stdout.toString(), /DRIFTED\s+machine config .*writable by group or others/);
    assert.match(text.stdout.toString(), /→ Make .* root-owned .*\[config_invalid\]/);

    const run = await inst!.run(['true']);
    assert.equal(run.status, 2, `a session with that config: ${show(run)}`);
    assert.match(run.stderr, /config_invalid/);
  });

  it('a world-writable directory above the machine config is a finding naming the directory', async () => {
    chmodSync(configFile, 0o644);
    chmodSync(configDir, 0o757);
    const { r, d } = await status();
    assert.equal(r.status, 1, show(r));
    const i = finding(d, 'machine-config');
    assert.equal(i.state, 'drifted');
    assert.match(i.detail ?? '', new RegExp(`${configDir} mode 757`));
    assert.match(i.remedy ?? '', new RegExp(`chmod go-w ${configDir}`));
  });

  it('a malformed machine config is a finding whose remedy is `corral policy check`, not a command that fails the same way', async () => {
    chmodSync(configDir, 0o755);
    writeFileSync(configFile, '{"network": ', { mode: 0o644 });
    const { r, d } = await status();
    assert.equal(r.status, 1, show(r));
    const i = finding(d, 'machine-config');
    assert.equal(i.code, 'config_invalid');
    assert.match(i.detail ?? '', /expected JSON/);
    assert.match(i.remedy ?? '', /corral policy check/);
    writeFileSync(configFile, '{"network": "sideways"}\n', { mode: 0o644 });
    const bad = doc(await inst!.corral(['status', '--json']));
    assert.match(finding(bad, 'machine-config').detail ?? '', /\$\.network/);
    rmSync(configDir, { recursive: true, force: true });
    const after = await inst!.corral(['status', '--json']);
    assert.equal(after.status, 0, show(after));
  });

  it('a workspace now owned by someone else is a finding (workspace_not_owned, remedy), and sessions in it are refused', async () => {
    chownSync(inst!.workspace, other!.uid, other!.gid);
    try {
      const { r, d, text } = await status();
      assert.equal(r.status, 1, show(r));
      const i = finding(d, `workspace:${inst!.workspace}`);
      assert.equal(i.state, 'drifted');
      assert.equal(i.code, 'workspace_not_owned');
      assert.match(i.detail ?? '', new RegExp(`owned by ${other!.name} \\(uid ${other!.uid}\\), not by ${inst!.user.name}`));
      assert.match(i.remedy ?? '', new RegExp(`chown ${inst!.user.name} ${inst!.workspace}`));
      assert.match(text.stdout.toString(), /\[workspace_not_owned\]/);
      const run = await inst!.run(['true']);
      assert.notEqual(run.status, 0, show(run));
      assert.match(run.stderr, /workspace_not_owned/);
    } finally {
      chownSync(inst!.workspace, inst!.user.uid, inst!.user.gid);
    }
    const after = await inst!.corral(['status', '--json']);
    assert.equal(after.status, 0, show(after));
  });

  it('a missing identity home is a finding (exit 1, remedy: setup again), and setup repairs it', async () => {
    const offline = inst!.identity('offline');
    rmSync(offline.home, { recursive: true, force: true });
    const { r, d, text } = await status();
    assert.equal(r.status, 1, show(r));
    const i = finding(d, `home:${offline.name}`);
    assert.equal(i.state, 'missing');
    assert.match(i.remedy ?? '', new RegExp(`corral setup --yes --user ${inst!.user.name}`));
    assert.match(text.stdout.toString(), new RegExp(`MISSING\\s+home ${offline.home} of offline identity`));
    const run = await inst!.run(['sh', '-c', 'touch "$HOME/x"']);
    assert.notEqual(run.status, 0, `a session without the identity home could write its HOME: ${show(run)}`);
    assert.match(run.stderr, /identity's home .* is not a directory of its own/);

    const repair = await inst!.corral(['setup', '--yes', '--user', inst!.user.name, '--workspace', inst!.workspace]);
    assert.equal(repair.status, 0, show(repair));
    const after = await inst!.corral(['status', '--json']);
    assert.equal(after.status, 0, show(after));
    const again = await inst!.run(['sh', '-c', 'touch "$HOME/x"']);
    assert.equal(again.status, 0, show(again));
    assert.doesNotMatch(again.stderr, /identity's home/);
  });

  it('a real non-member gets not_permitted (exit 4) with a remedy, not a getfacl failure; the member gets a clean status', async () => {
    const text = await inst!.corralAs(other!, ['status'], { cwd: '/' });
    assert.equal(text.status, 4, show(text));
    assert.match(text.stderr, /may not check Corral's status: only root and members of group/);
    assert.match(text.stderr, /\[not_permitted\]/);
    assert.match(text.stderr, /sudo corral status/);
    assert.doesNotMatch(text.stderr, /getfacl/);
    const json = await inst!.corralAs(other!, ['status', '--json'], { cwd: '/' });
    assert.equal(json.status, 4, show(json));
    const d = doc(json);
    assert.equal(d.ok, false);
    assert.equal(d.error?.code, 'not_permitted');
    assert.match(d.error?.remedy ?? '', /setup --user/);

    const member = await inst!.corralAs(inst!.user, ['status', '--json']);
    const bad = doc(member).items.filter((i) => i.state === 'missing' || i.state === 'drifted');
    assert.deepEqual(bad, [], 'the member sees no finding');
    assert.equal(member.status, 0, show(member));
  });
});
