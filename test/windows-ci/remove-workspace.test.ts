/**
 * `corral setup --remove-workspace DIR` on a real Windows (CI: an elevated GitHub Actions
 * windows-latest runner; issue 13 item 8). Skipped elsewhere, saying why. It provisions (and
 * tears down) a private installation `ctr<random>`: never run it on a machine you care about.
 *
 * Two workspaces of the current user set up by the product (`corral setup --yes`), one with a
 * `.git` (protected: deny ACEs at grant time); a junction planted in the removed workspace's
 * profile folder, as a session could; then the removal through the real CLI, and every assertion
 * on the real machine: the workspace's DACL (Get-Acl, by SID), its profile folders, the
 * junction's target, state.json, and the kept workspace's session running a command.
 * `corral teardown --yes` runs in after(); the workflow compares the machine before and after.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceProfilePaths } from '../../runner/windows/workspace-profile.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(repo, 'dist', 'orchestrator', 'cli', 'main.js');

/** Run a fixed PowerShell script; data goes in through environment variables, never into the text. */
function ps(script: string, data: Record<string, string> = {}): string {
  return execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], { env: { ...process.env, ...data }, encoding: 'utf8' }).trim();
}

function isElevated(): boolean {
  try {
    return ps('([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)') === 'True';
  } catch {
    return false;
  }
}

interface State {
  users: Record<string, { sid: string; group: { sid: string }; identities: Record<'offline' | 'online', { name: string; sid: string }>; workspaces: Array<{ path: string; capabilitySid: string }> }>;
}

describe('corral setup --remove-workspace on Windows (Windows CI, elevated; provisioned by corral setup)', function () {
  this.timeout(900_000);
  const instance = `ctr${randomBytes(3).toString('hex')}`;
  const kept = join(tmpdir(), `${instance}-kept`);
  const removed = join(tmpdir(), `${instance}-gone`);
  const victim = join(tmpdir(), `${instance}-victim`);
  let provisioned = false;
  let state: State;
  let stateFile = '';

  const corral = (args: string[], cwd = repo) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: { ...process.env, CORRAL_INSTANCE: instance }, encoding: 'utf8', timeout: 600_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const me = () => Object.values(state.users)[0]!;
  const recorded = (dir: string) => me().workspaces.find((w) => w.path.toLowerCase() === dir.toLowerCase());
  const identityProfile = (sid: string) =>
    ps("[Environment]::ExpandEnvironmentVariables((Get-ItemProperty -LiteralPath ('HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\' + $env:S)).ProfileImagePath)", { S: sid });
  /** The explicit ACEs of a folder, as SID|type lines. */
  const explicitAces = (p: string) =>
    ps("(Get-Acl -LiteralPath $env:P).GetAccessRules($true, $false, [Security.Principal.SecurityIdentifier]) | ForEach-Object { \"$($_.IdentityReference.Value)|$($_.AccessControlType)\" }", { P: p })
      .split(/\r?\n/)
      .filter((l) => l !== '');

  before(async function () {
    if (process.platform !== 'win32') {
      console.log('      skipped: needs Windows (runs in .github/workflows/windows.yml)');
      this.skip();
    }
    if (!isElevated()) {
      console.log('      skipped: needs an elevated (Administrator) process: corral setup creates users and firewall rules');
      this.skip();
    }
    mkdirSync(kept, { recursive: true });
    mkdirSync(join(removed, '.git'), { recursive: true });
    writeFileSync(join(removed, '.git', 'config'), '[core]\n');
    mkdirSync(join(victim, 'sub'), { recursive: true });
    writeFileSync(join(victim, 'sub', 'precious.txt'), 'not Corral\'s');
    provisioned = true;
    const setup = corral(['setup', '--yes', '--workspace', kept, '--workspace', removed]);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    const { windowsFolders } = await import('../../os/win32/known-folders.js');
    stateFile = join(windowsFolders().ProgramData, instance, 'state.json');
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  });

  after(() => {
    if (provisioned) {
      const r = corral(['teardown', '--yes']);
      if (r.code !== 0) console.log(`      teardown: exit ${r.code}: ${r.stdout}${r.stderr}`);
    }
    for (const d of [kept, removed, victim]) rmSync(d, { recursive: true, force: true });
  });

  it('removes the workspace: its grant and deny ACEs, both profile folders (a junction in one not followed), its record; the other workspace keeps everything', () => {
    const record = recorded(removed);
    assert.ok(record, `not recorded: ${JSON.stringify(me().workspaces)}`);
    const sids = [me().group.sid, record.capabilitySid];
    assert.ok(explicitAces(record.path).some((a) => sids.some((s) => a.startsWith(`${s}|`))), 'granted before');
    const folders = (['offline', 'online'] as const).map((k) => workspaceProfilePaths(identityProfile(me().identities[k].sid), record.path));
    const keptFolders = (['offline', 'online'] as const).map((k) => workspaceProfilePaths(identityProfile(me().identities[k].sid), recorded(kept)!.path));
    for (const f of [...folders, ...keptFolders]) assert.ok(existsSync(f.root), `${f.root} made at grant time`);
    // What a session of the workspace could leave in its own profile: a junction (no privilege needed).
    ps('New-Item -ItemType Junction -Path $env:L -Target $env:T | Out-Null', { L: join(folders[0]!.roaming, 'escape'), T: victim });

    const r = corral(['setup', '--remove-workspace', removed, '--yes', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { changed?: boolean }).changed, true, r.stdout);

    for (const p of [record.path, join(record.path, '.git')]) {
      const left = explicitAces(p).filter((a) => sids.some((s) => a.startsWith(`${s}|`)));
      assert.deepEqual(left, [], `${p} still names the group or the capability SID`);
    }
    for (const f of folders) assert.equal(existsSync(f.root), false, `${f.root} is left`);
    assert.ok(existsSync(join(victim, 'sub', 'precious.txt')), 'the junction was removed as a link, its target kept');
    for (const f of keptFolders) assert.ok(existsSync(f.root), `${f.root} (the kept workspace's) is kept`);
    const after = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
    assert.deepEqual(Object.values(after.users)[0]!.workspaces.map((w) => w.path.toLowerCase()), [recorded(kept)!.path.toLowerCase()]);
    assert.ok(explicitAces(recorded(kept)!.path).some((a) => a.startsWith(`${me().group.sid}|`)), 'the kept workspace is still granted');
  });

  it('status is clean, the kept workspace runs a command, the removed one is not provisioned (run and a second removal: exit 3)', () => {
    const status = corral(['status']);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const run = corral(['run', '--', 'cmd', '/c', 'echo', 'ok'], kept);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout.trim(), 'ok');
    const refused = corral(['run', '--', 'cmd', '/c', 'echo', 'ok'], removed);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    const again = corral(['setup', '--remove-workspace', removed, '--yes', '--json']);
    assert.equal(again.code, 3, again.stdout + again.stderr);
    assert.equal((JSON.parse(again.stdout) as { error?: { code?: string } }).error?.code, 'not_provisioned');
  });
});
