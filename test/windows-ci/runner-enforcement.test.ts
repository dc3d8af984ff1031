/**
 * Real enforcement of the Windows runner, end to end, on a real Windows (CI: an elevated
 * GitHub Actions windows runner). Skipped elsewhere, saying why. Never run it on a developer's
 * machine you care about: it creates (and removes) a local user, a firewall rule and a
 * private installation `ctw<random>` under %ProgramFiles% and %ProgramData%.
 *
 * Setup done here, by hand, the way provisioning does it (this tests the runner, not the
 * provisioner): a local identity with a random password, its password DPAPI-protected into the
 * credential file, a local group holding only the identity (the user's own group), two
 * workspaces each granted to that group and its own random capability SID, deny-write ACEs on
 * .git, an outbound block rule for the identity's SID, the built runner
 * copied to %ProgramFiles%\ctw…\app, and state.json. Then the real chain: the launcher
 * (CreateProcessWithLogonW) → the runner (restricted token, jobs) → commands; assertions on
 * real writes, a real connection attempt, real process trees and real bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { windowsInstallation, type Installation } from '../../core/installation.js';
import type { RunnerProcess } from '../../orchestrator/platform.js';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION, type FromRunner, type SessionRequest } from '../../core/protocol.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Run a fixed PowerShell script; data goes in through environment variables, never into the text. */
function ps(script: string, data: Record<string, string> = {}): string {
  return execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], {
    env: { ...process.env, ...data },
    encoding: 'utf8',
  }).trim();
}

function isElevated(): boolean {
  try {
    return ps('([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)') === 'True';
  } catch {
    return false;
  }
}

interface Fixture {
  installation: Installation;
  user: string;
  userSid: string;
  realUser: { name: string; sid: string; home: string };
  workspace: string;
  /** Another workspace of the same real user, granted the same way with its own capability SID. */
  otherWorkspace: string;
  capabilitySid: string;
  ruleName: string;
}

interface Session {
  runner: RunnerProcess;
  decoder: FrameDecoder;
  frames: FromRunner[];
  waiters: Array<() => void>;
}

async function openSession(f: Fixture): Promise<Session> {
  const { windowsLauncher } = await import('../../orchestrator/bridge/windows/launcher.js');
  const request: SessionRequest = {
    version: PROTOCOL_VERSION,
    realUser: f.realUser.name,
    network: 'offline',
    mode: 'workspace-write',
    workspace: f.workspace,
    writableRoots: [],
    protected: ['.git'],
    denyRead: [],
    loopback: 'deny',
    limits: { timeoutSec: 120, maxOutputBytes: 1 << 20, pids: 64 },
    policyDigest: 'windows-ci',
    capabilitySids: [f.capabilitySid],
  };
  const runner = await windowsLauncher(f.installation).launch(request, f.realUser);
  const s: Session = { runner, decoder: new FrameDecoder(), frames: [], waiters: [] };
  runner.stdout.on('data', (chunk: Buffer) => {
    for (const m of s.decoder.push(chunk)) s.frames.push(m as FromRunner);
    for (const w of s.waiters.splice(0)) w();
  });
  runner.stderr.on('data', (chunk: Buffer) => process.stderr.write(`      runner: ${chunk.toString()}`));
  runner.stdin.write(encodeFrame({ type: 'open', request }));
  const hello = await waitFor(s, (m) => m.type === 'hello' || m.type === 'error');
  assert.equal(hello.type, 'hello', `runner answered ${JSON.stringify(hello)}`);
  return s;
}

function waitFor(s: Session, match: (m: FromRunner) => boolean, timeoutMs = 60_000): Promise<FromRunner> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(s.frames)}`)), timeoutMs);
    const check = () => {
      const found = s.frames.find(match);
      if (found) {
        clearTimeout(timer);
        done(found);
      } else s.waiters.push(check);
    };
    check();
  });
}

async function run(s: Session, f: Fixture, argv: string[]): Promise<{ stdout: Buffer; stderr: string; exit: Extract<FromRunner, { type: 'exit' }> }> {
  const id = randomBytes(4).toString('hex');
  s.runner.stdin.write(encodeFrame({ type: 'spawn', id, argv, cwd: f.workspace, env: {}, timeoutMs: 60_000, stdin: null }));
  const end = await waitFor(s, (m) => (m.type === 'exit' || m.type === 'error') && m.id === id);
  assert.equal(end.type, 'exit', JSON.stringify(end));
  const ofId = s.frames.filter((m) => 'id' in m && m.id === id);
  const bytes = (type: 'stdout' | 'stderr') =>
    Buffer.concat(ofId.flatMap((m) => (m.type === type ? [Buffer.from(m.data, 'base64')] : [])));
  return { stdout: bytes('stdout'), stderr: bytes('stderr').toString('utf8'), exit: end as Extract<FromRunner, { type: 'exit' }> };
}

describe('windows runner enforcement (Windows CI, elevated)', function () {
  this.timeout(300_000);
  let f: Fixture | undefined;
  let session: Session | undefined;
  const cleanups: Array<() => void> = [];

  before(async function () {
    if (process.platform !== 'win32') {
      console.log('      skipped: needs Windows (runs in .github/workflows/windows.yml)');
      this.skip();
    }
    if (!isElevated()) {
      console.log('      skipped: needs an elevated (Administrator) process to create a user and a firewall rule');
      this.skip();
    }
    const name = `ctw${randomBytes(3).toString('hex')}`;
    const { windowsFolders } = await import('../../os/win32/known-folders.js');
    const installation = windowsInstallation(name, windowsFolders());
    const user = `${name}-off`;
    const password = `${randomBytes(24).toString('base64')}aA1!`;
    const ruleName = `${name}-offline-block`;

    cleanups.push(() => ps('Remove-LocalUser -Name $env:U -ErrorAction SilentlyContinue', { U: user }));
    ps('New-LocalUser -Name $env:U -Password (ConvertTo-SecureString $env:P -AsPlainText -Force) -PasswordNeverExpires -UserMayNotChangePassword | Out-Null', { U: user, P: password });
    const userSid = ps('(Get-LocalUser -Name $env:U).SID.Value', { U: user });
    cleanups.push(() =>
      ps('Get-CimInstance Win32_UserProfile | Where-Object { $_.SID -eq $env:S } | Remove-CimInstance -ErrorAction SilentlyContinue', { S: userSid }),
    );

    cleanups.push(() => ps('Remove-NetFirewallRule -Name $env:R -ErrorAction SilentlyContinue', { R: ruleName }));
    ps(
      'New-NetFirewallRule -Name $env:R -DisplayName $env:R -Group $env:G -Direction Outbound -Action Block -RemoteAddress Any -LocalUser ("D:(A;;CC;;;" + $env:S + ")") | Out-Null',
      { R: ruleName, G: name, S: userSid },
    );

    // The user's own group (Install-CorralUserGroup), whose only member is the identity; grants
    // name it, never the identity SID (a restricting SID of every session).
    const group = `${name}-grp`;
    cleanups.push(() => ps('Remove-LocalGroup -Name $env:G -ErrorAction SilentlyContinue', { G: group }));
    ps('New-LocalGroup -Name $env:G | Out-Null; Add-LocalGroupMember -Group $env:G -Member $env:U', { G: group, U: user });
    const groupSid = ps('(Get-LocalGroup -Name $env:G).SID.Value', { G: group });

    const newCapabilitySid = () => `S-1-5-21-${randomInt(1, 2 ** 31)}-${randomInt(1, 2 ** 31)}-${randomInt(1, 2 ** 31)}-${randomInt(1000, 2 ** 30)}`;
    const capabilitySid = newCapabilitySid();
    const otherCapabilitySid = newCapabilitySid();
    const workspace = join(tmpdir(), `${name}-ws`);
    const otherWorkspace = join(tmpdir(), `${name}-ws2`);
    mkdirSync(join(workspace, '.git'), { recursive: true });
    mkdirSync(otherWorkspace, { recursive: true });
    writeFileSync(join(workspace, '.git', 'config'), '[core]\n');
    cleanups.push(() => rmSync(workspace, { recursive: true, force: true }));
    cleanups.push(() => rmSync(otherWorkspace, { recursive: true, force: true }));
    // Traverse to the workspaces (removed again in clean-up), then the grants provisioning makes
    // on each: Modify for the user's group and that workspace's capability SID (inheritable);
    // deny write/delete on .git for both.
    const ancestors: string[] = [];
    for (let dir = dirname(workspace); dir !== dirname(dir); dir = dirname(dir)) ancestors.push(dir);
    cleanups.push(() => {
      for (const dir of ancestors) execFileSync('icacls', [dir, '/remove:g', `*${groupSid}`], { stdio: 'ignore' });
    });
    for (const dir of ancestors) execFileSync('icacls', [dir, '/grant', `*${groupSid}:(RX)`], { stdio: 'ignore' });
    execFileSync('icacls', [workspace, '/grant', `*${groupSid}:(OI)(CI)M`, '/grant', `*${capabilitySid}:(OI)(CI)M`], { stdio: 'ignore' });
    execFileSync('icacls', [otherWorkspace, '/grant', `*${groupSid}:(OI)(CI)M`, '/grant', `*${otherCapabilitySid}:(OI)(CI)M`], { stdio: 'ignore' });
    execFileSync('icacls', [join(workspace, '.git'), '/deny', `*${groupSid}:(OI)(CI)(W,D,DC)`, '/deny', `*${capabilitySid}:(OI)(CI)(W,D,DC)`], { stdio: 'ignore' });

    // The runner, installed where provisioning puts it (admin-writable only).
    const app = join(installation.libDir, 'app');
    cleanups.push(() => rmSync(installation.libDir, { recursive: true, force: true }));
    for (const part of ['dist/runner', 'dist/orchestrator', 'node_modules/koffi', 'node_modules/@koromix/koffi-win32-x64', 'package.json']) {
      cpSync(join(repo, part), join(app, part), { recursive: true });
    }
    cpSync(process.execPath, installation.runnerNode);

    const realUser = {
      name: ps('[Environment]::UserName'),
      sid: ps('[Security.Principal.WindowsIdentity]::GetCurrent().User.Value'),
      home: process.env.USERPROFILE ?? 'C:\\',
    };
    const { protect, identityEntropy } = await import('../../os/win32/dpapi.js');
    mkdirSync(join(installation.stateDir, 'credentials'), { recursive: true });
    cleanups.push(() => rmSync(installation.stateDir, { recursive: true, force: true }));
    const blob = protect(Buffer.from(password, 'utf8'), { entropy: identityEntropy(user), localMachine: true }).toString('base64');
    writeFileSync(
      join(installation.stateDir, 'credentials', `${realUser.sid}.json`),
      JSON.stringify({ offline: { user, protected: blob }, online: { user, protected: blob } }),
    );
    writeFileSync(
      join(installation.stateDir, 'state.json'),
      JSON.stringify({
        version: 1,
        users: {
          [realUser.name]: {
            sid: realUser.sid,
            identities: { offline: { name: user, sid: userSid }, online: { name: user, sid: userSid } },
            workspaces: [{ path: workspace, capabilitySid }, { path: otherWorkspace, capabilitySid: otherCapabilitySid }],
          },
        },
        runner: { dir: installation.libDir, node: installation.runnerNode, entry: installation.runnerEntry },
      }),
    );
    f = { installation, user, userSid, realUser, workspace, otherWorkspace, capabilitySid, ruleName };
    session = await openSession(f);
  });

  after(() => {
    session?.runner.kill();
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup();
      } catch (err) {
        console.log(`      cleanup: ${(err as Error).message}`);
      }
    }
  });

  it('runs the command as the identity with a restricted token', async () => {
    const r = await run(session!, f!, ['whoami', '/user']);
    assert.equal(r.exit.code, 0, r.stderr);
    assert.match(r.stdout.toString('utf8'), new RegExp(f!.userSid));
  });

  it('passes output through byte-exact', async () => {
    const bytes = [...Array(256).keys()];
    const r = await run(session!, f!, [f!.installation.runnerNode, '-e', `process.stdout.write(Buffer.from(${JSON.stringify(bytes)}))`]);
    assert.deepEqual([...r.stdout], bytes);
  });

  it('writes inside the workspace', async () => {
    const target = join(f!.workspace, 'inside.txt');
    const r = await run(session!, f!, ['cmd', '/c', `echo inside> ${target}`]);
    assert.equal(r.exit.code, 0, r.stderr);
    assert.equal(readFileSync(target, 'utf8').trim(), 'inside');
  });

  it('is denied writing outside the workspace where the identity itself could write (C:\\Users\\Public)', async () => {
    const target = join(process.env.PUBLIC ?? 'C:\\Users\\Public', `${f!.installation.name}-outside.txt`);
    rmSync(target, { force: true });
    try {
      const r = await run(session!, f!, ['cmd', '/c', `echo outside> ${target}`]);
      assert.notEqual(r.exit.code, 0);
      assert.equal(existsSync(target), false, 'the file was written');
    } finally {
      rmSync(target, { force: true });
    }
  });

  it("is denied writing the same user's other workspace (its capability SID is not in this session's token)", async () => {
    const target = join(f!.otherWorkspace, 'cross.txt');
    const r = await run(session!, f!, ['cmd', '/c', `echo cross> ${target}`]);
    assert.notEqual(r.exit.code, 0);
    assert.equal(existsSync(target), false, 'a session for one workspace wrote another');
  });

  it('keeps .git read-only inside the workspace', async () => {
    const target = join(f!.workspace, '.git', 'config');
    const r = await run(session!, f!, ['cmd', '/c', `echo hacked> ${target}`]);
    assert.notEqual(r.exit.code, 0);
    assert.equal(readFileSync(target, 'utf8'), '[core]\n');
  });

  it('stops the offline identity connecting out (firewall: access denied, not a timeout)', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there; the rule refuses locally.
    const probe = "const s=require('net').connect(9,'192.0.2.1');s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},10000)";
    const r = await run(session!, f!, [f!.installation.runnerNode, '-e', probe]);
    assert.equal(r.stdout.toString('utf8').trim(), 'EACCES');
  });

  it('kills every process of the session when the runner dies (kill-on-close jobs)', async () => {
    const pidFile = join(f!.workspace, 'sleeper.pid');
    const sleeper = join(f!.workspace, 'sleeper.cjs');
    writeFileSync(sleeper, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 600000);\n`);
    // Under cmd, so the sleeper is a grandchild of what the runner started.
    session!.runner.stdin.write(
      encodeFrame({ type: 'spawn', id: 'sleeper', argv: ['cmd', '/c', `"${f!.installation.runnerNode}"`, sleeper], cwd: f!.workspace, env: {}, timeoutMs: 600_000, stdin: null }),
    );
    for (let i = 0; i < 300 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    session!.runner.kill();
    await session!.runner.exited;
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, `grandchild ${pid} outlived the runner`);
    session = undefined;
  });
});
