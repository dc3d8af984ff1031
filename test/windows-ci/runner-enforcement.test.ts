/**
 * Real enforcement of the Windows runner, end to end, on a real Windows (CI: an elevated
 * GitHub Actions windows-latest runner). Skipped elsewhere, saying why. Never run it on a
 * machine you care about: it provisions (and tears down) a private installation `ctw<random>`.
 *
 * Provisioning is the product's own: `corral setup --yes` (the orchestrator, node-powershell,
 * the PowerShell module's grants — not icacls calls of this test) for two workspaces of the
 * current user, one with a `.git` that exists at grant time. Sessions are opened with the
 * library's `openSession` (the provisioned check, the launcher's CreateProcessWithLogonW, the
 * runner's restricted token, desktop, jobs and placeholders), and every assertion is on a real
 * outcome: a write that lands or not, a registry value, a connection, a process still alive, a
 * file one workspace's session planted in its %APPDATA% and another workspace's session does not
 * see (per-workspace profiles, runner/windows/workspace-profile.ts), a named pipe of the real
 * user's that a session cannot open.
 * `corral teardown --yes` runs in after(); the workflow compares the machine before and after.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult, Session } from '../../orchestrator/session/types.js';
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

function corral(args: string[], instance: string): string {
  return execFileSync(process.execPath, [cli, ...args], { env: { ...process.env, CORRAL_INSTANCE: instance }, encoding: 'utf8', timeout: 600_000 });
}

const text = (r: ExecResult) => `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`;

describe('windows runner enforcement (Windows CI, elevated; provisioned by corral setup)', function () {
  this.timeout(900_000);
  const instance = `ctw${randomBytes(3).toString('hex')}`;
  const workspace = join(tmpdir(), `${instance}-ws`);
  const otherWorkspace = join(tmpdir(), `${instance}-ws2`);
  let provisioned = false;
  let session: Session | undefined;
  let openSession: (typeof import('../../orchestrator/session/open.js'))['openSession'];
  let state: {
    users: Record<string, { sid: string; identities: { offline: { name: string; sid: string } }; workspaces: Array<{ path: string; capabilitySid: string }> }>;
    runner: { node: string };
  };
  const savedInstance = process.env.CORRAL_INSTANCE;

  before(async function () {
    if (process.platform !== 'win32') {
      console.log('      skipped: needs Windows (runs in .github/workflows/windows.yml)');
      this.skip();
    }
    if (!isElevated()) {
      console.log('      skipped: needs an elevated (Administrator) process: corral setup creates users and firewall rules');
      this.skip();
    }
    mkdirSync(join(workspace, '.git'), { recursive: true });
    writeFileSync(join(workspace, '.git', 'config'), '[core]\n');
    mkdirSync(otherWorkspace, { recursive: true });
    provisioned = true;
    corral(['setup', '--yes', '--workspace', workspace, '--workspace', otherWorkspace], instance);
    const { windowsFolders } = await import('../../os/win32/known-folders.js');
    state = JSON.parse(readFileSync(join(windowsFolders().ProgramData, instance, 'state.json'), 'utf8')) as typeof state;
    process.env.CORRAL_INSTANCE = instance;
    ({ openSession } = await import('../../orchestrator/session/open.js'));
    session = await openSession({ workspace, network: 'offline', audit: false });
  });

  after(async () => {
    await session?.close();
    if (savedInstance === undefined) delete process.env.CORRAL_INSTANCE;
    else process.env.CORRAL_INSTANCE = savedInstance;
    if (provisioned) {
      try {
        corral(['teardown', '--yes'], instance);
      } catch (err) {
        console.log(`      teardown: ${(err as Error).message}`);
      }
    }
    rmSync(workspace, { recursive: true, force: true });
    rmSync(otherWorkspace, { recursive: true, force: true });
  });

  const me = () => Object.values(state.users)[0]!;
  /** The identity's own profile folder, from ProfileList (what the runner finds as its known folder Profile). */
  const identityProfile = (sid: string) =>
    ps("[Environment]::ExpandEnvironmentVariables((Get-ItemProperty -LiteralPath ('HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\' + $env:S)).ProfileImagePath)", { S: sid });
  /** The workspace path as state.json records it (the name of its profile folder is of that spelling). */
  const recorded = (dir: string) => {
    const found = me().workspaces.find((w) => win32.basename(w.path).toLowerCase() === win32.basename(dir).toLowerCase());
    assert.ok(found, `${dir} is not recorded: ${JSON.stringify(me().workspaces)}`);
    return found.path;
  };
  /** <identity profile>\corral-ws\<ws-id> (runner/windows/workspace-profile.ts). */
  const workspaceProfile = (dir: string) => workspaceProfilePaths(identityProfile(me().identities.offline.sid), recorded(dir));
  const same = (a: string | undefined, b: string) => assert.equal(a?.toLowerCase(), b.toLowerCase(), `${a} is not ${b}`);
  /** The session runner: the installed node.exe running the installed entry (commands run other scripts). */
  const runnerProcessId = () =>
    ps("(Get-CimInstance Win32_Process | Where-Object { $_.ExecutablePath -eq $env:N -and $_.CommandLine -like '*dist\\runner\\main.js*' } | Select-Object -First 1).ProcessId", {
      N: state.runner.node,
    });

  it('runs commands as the offline identity; whoami (USER32) starts on the session desktop', async () => {
    const r = await session!.exec(['whoami', '/user']);
    assert.equal(r.exitCode, 0, text(r));
    assert.match(r.stdout.toString('utf8'), new RegExp(me().identities.offline.sid));
  });

  it('starts PowerShell (which dies with 0xC0000142 without a desktop it may open)', async () => {
    const r = await session!.exec(['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', 'Write-Output ps-ok']);
    assert.equal(r.exitCode, 0, text(r));
    assert.match(r.stdout.toString('utf8'), /ps-ok/);
  });

  it('writes to NUL: `> nul`, and a child with stdio ignore', async () => {
    const r = await session!.exec(['cmd', '/c', 'echo gone> nul && echo kept']);
    assert.equal(r.exitCode, 0, text(r));
    assert.equal(r.stdout.toString('utf8').trim(), 'kept');
    const n = await session!.exec([state.runner.node, '-e', "const r=require('child_process').spawnSync(process.execPath,['-e','1'],{stdio:'ignore'});process.stdout.write(String(r.status))"]);
    assert.equal(n.stdout.toString('utf8'), '0', text(n));
  });

  it("passes the caller's Path (the allowlist names PATH) and sets the identity's APPDATA", async () => {
    const r = await session!.exec([state.runner.node, '-e', "process.stdout.write(process.env.PATH + '|' + process.env.APPDATA)"]);
    const [path, appData] = r.stdout.toString('utf8').split('|');
    assert.ok(path!.toLowerCase().includes('system32'), path);
    assert.match(appData!, new RegExp(me().identities.offline.name, 'i'));
  });

  it('writes inside the workspace', async () => {
    const r = await session!.exec(['cmd', '/c', `echo inside> "${join(workspace, 'inside.txt')}"`]);
    assert.equal(r.exitCode, 0, text(r));
    assert.equal(readFileSync(join(workspace, 'inside.txt'), 'utf8').trim(), 'inside');
  });

  it('is denied writing outside the workspace (C:\\Users\\Public, writable by the identity itself)', async () => {
    const target = join(process.env.PUBLIC ?? 'C:\\Users\\Public', `${instance}-outside.txt`);
    try {
      const r = await session!.exec(['cmd', '/c', `echo outside> "${target}"`]);
      assert.notEqual(r.exitCode, 0);
      assert.equal(existsSync(target), false, 'the file was written');
    } finally {
      rmSync(target, { force: true });
    }
  });

  it("is denied writing the same user's other workspace", async () => {
    const target = join(otherWorkspace, 'cross.txt');
    const r = await session!.exec(['cmd', '/c', `echo cross> "${target}"`]);
    assert.notEqual(r.exitCode, 0);
    assert.equal(existsSync(target), false);
  });

  it('keeps .git read-only, in any case spelling and through an alternate data stream', async () => {
    for (const target of [join(workspace, '.git', 'config'), join(workspace, '.GiT', 'config'), `${join(workspace, '.git')}:x`]) {
      const r = await session!.exec(['cmd', '/c', `echo hacked> "${target}"`]);
      assert.notEqual(r.exitCode, 0, `${target}: ${text(r)}`);
    }
    assert.equal(readFileSync(join(workspace, '.git', 'config'), 'utf8'), '[core]\n');
  });

  it('reserves protected names missing at grant time (.mcp.json, also as ::$DATA; .vscode\\tasks.json)', async () => {
    for (const target of [join(workspace, '.mcp.json'), `${join(workspace, '.mcp.json')}::$DATA`, join(workspace, '.vscode', 'tasks.json')]) {
      const r = await session!.exec(['cmd', '/c', `echo {}> "${target}"`]);
      assert.notEqual(r.exitCode, 0, `${target}: ${text(r)}`);
    }
    assert.equal(readFileSync(join(workspace, '.mcp.json'), 'utf8'), '', 'the placeholder stays empty');
    const git = await session!.exec(['cmd', '/c', 'rmdir', join(workspace, '.vscode')]);
    assert.notEqual(git.exitCode, 0, 'a placeholder cannot be removed');
  });

  it("can't write the identity's HKCU\\Environment (NODE_OPTIONS there would run code in the next runner)", async () => {
    const r = await session!.exec(['reg', 'add', 'HKCU\\Environment', '/v', 'NODE_OPTIONS', '/d', '--require=x', '/f']);
    assert.notEqual(r.exitCode, 0, text(r));
    const q = await session!.exec(['reg', 'query', 'HKCU\\Environment', '/v', 'NODE_OPTIONS']);
    assert.notEqual(q.exitCode, 0, 'NODE_OPTIONS was set');
  });

  it("can't write the identity's own profile, nor create a workspace's folder in its corral-ws", async () => {
    const profile = identityProfile(me().identities.offline.sid);
    const probe = join(profile, `${instance}-probe.txt`);
    const r = await session!.exec(['cmd', '/c', `echo x> "${probe}"`]);
    assert.notEqual(r.exitCode, 0, text(r));
    assert.equal(existsSync(probe), false);
    const squat = join(profile, 'corral-ws', 'ws-0000000000000000');
    const m = await session!.exec(['cmd', '/c', 'mkdir', squat]);
    assert.notEqual(m.exitCode, 0, text(m));
    assert.equal(existsSync(squat), false, 'a session made a folder in corral-ws');
  });

  it("gives commands the workspace's own USERPROFILE, HOME, APPDATA, LOCALAPPDATA and TEMP (<identity profile>\\corral-ws\\<ws-id>), which they can write", async () => {
    const expected = workspaceProfile(workspace);
    const r = await session!.exec([
      state.runner.node,
      '-e',
      'const e=process.env;process.stdout.write(JSON.stringify({u:e.USERPROFILE,h:e.HOME,a:e.APPDATA,l:e.LOCALAPPDATA,t:e.TEMP,tmp:e.TMP,os:require("os").homedir()}))',
    ]);
    assert.equal(r.exitCode, 0, text(r));
    const env = JSON.parse(r.stdout.toString('utf8')) as Record<string, string>;
    same(env.u, expected.root);
    same(env.h, expected.root);
    same(env.os, expected.root);
    same(env.a, expected.roaming);
    same(env.l, expected.local);
    same(env.tmp, env.t!);
    assert.ok(env.t!.toLowerCase().startsWith(`${expected.temp.toLowerCase()}\\corral-`), `TEMP ${env.t} is not a session folder in ${expected.temp}`);
    const w = await session!.exec(['cmd', '/c', 'echo a> "%APPDATA%\\p.txt" && echo l> "%LOCALAPPDATA%\\p.txt" && echo u> "%USERPROFILE%\\p.txt" && echo t> "%TEMP%\\p.txt"']);
    assert.equal(w.exitCode, 0, text(w));
    assert.equal(readFileSync(join(expected.roaming, 'p.txt'), 'utf8').trim(), 'a');
  });

  it("a file written to %APPDATA% in workspace A's session is absent in workspace B's session, and B can't write A's", async () => {
    const planted = await session!.exec(['cmd', '/c', 'echo import os> "%APPDATA%\\corral-planted.pth"']);
    assert.equal(planted.exitCode, 0, text(planted));
    const aRoaming = workspaceProfile(workspace).roaming;
    assert.equal(readFileSync(join(aRoaming, 'corral-planted.pth'), 'utf8').trim(), 'import os');
    const other = await openSession({ workspace: otherWorkspace, network: 'offline', audit: false });
    try {
      const where = await other.exec(['cmd', '/c', 'echo %APPDATA%']);
      same(where.stdout.toString('utf8').trim(), workspaceProfile(otherWorkspace).roaming);
      const seen = await other.exec(['cmd', '/c', 'if exist "%APPDATA%\\corral-planted.pth" (echo present) else (echo absent)']);
      assert.equal(seen.stdout.toString('utf8').trim(), 'absent', text(seen));
      // The plant itself, from B into A's profile by its path: denied (B's token lacks A's capability SID).
      const plant = await other.exec(['cmd', '/c', `echo evil> "${join(aRoaming, 'from-b.pth')}"`]);
      assert.notEqual(plant.exitCode, 0, text(plant));
      assert.equal(existsSync(join(aRoaming, 'from-b.pth')), false, "B wrote into A's APPDATA");
      const over = await other.exec(['cmd', '/c', `echo evil> "${join(aRoaming, 'corral-planted.pth')}"`]);
      assert.notEqual(over.exitCode, 0, text(over));
      assert.equal(readFileSync(join(aRoaming, 'corral-planted.pth'), 'utf8').trim(), 'import os', "B changed A's file");
    } finally {
      await other.close();
    }
    // Control: A still finds its own file.
    const again = await session!.exec(['cmd', '/c', 'type "%APPDATA%\\corral-planted.pth"']);
    assert.equal(again.stdout.toString('utf8').trim(), 'import os', text(again));
  });

  it('cannot open a named pipe the real user created with a DACL for the user only (the host can: control)', async () => {
    const name = `corral-ci-${instance}-${randomBytes(4).toString('hex')}`;
    // The real user's pipe server (this elevated test is the real user): a protected DACL with one
    // ACE, the user's SID; it answers the first client with "secret".
    const server = spawn(
      'powershell.exe',
      [
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        [
          '$sid = [Security.Principal.WindowsIdentity]::GetCurrent().User',
          '$sec = New-Object System.IO.Pipes.PipeSecurity',
          '$sec.SetAccessRuleProtection($true, $false)',
          '$sec.AddAccessRule((New-Object System.IO.Pipes.PipeAccessRule($sid, [System.IO.Pipes.PipeAccessRights]::FullControl, [System.Security.AccessControl.AccessControlType]::Allow)))',
          '$server = New-Object System.IO.Pipes.NamedPipeServerStream($env:PIPE, [System.IO.Pipes.PipeDirection]::InOut, 1, [System.IO.Pipes.PipeTransmissionMode]::Byte, [System.IO.Pipes.PipeOptions]::None, 4096, 4096, $sec)',
          "[Console]::Out.WriteLine('ready'); [Console]::Out.Flush()",
          '$server.WaitForConnection()',
          '$writer = New-Object System.IO.StreamWriter($server); $writer.Write(\'secret\'); $writer.Flush(); $server.WaitForPipeDrain(); $server.Dispose()',
        ].join('; '),
      ],
      { env: { ...process.env, PIPE: name }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((ready, fail) => {
        server.stdout.on('data', (d: Buffer) => d.toString('utf8').includes('ready') && ready());
        server.on('exit', (code) => fail(new Error(`the pipe server ended (${code}) before it was ready`)));
      });
      const client = (path: string) =>
        `const s=require('net').connect(${JSON.stringify(path)});let got='';s.on('data',d=>got+=d);s.on('end',()=>{console.log('connected:'+got);process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},10000)`;
      const pipePath = `\\\\.\\pipe\\${name}`;
      const fromSession = await session!.exec([state.runner.node, '-e', client(pipePath)]);
      const said = fromSession.stdout.toString('utf8').trim();
      assert.doesNotMatch(said, /connected|secret/, text(fromSession));
      assert.match(said, /^(EACCES|EPERM)$/, `expected access denied, got ${said}`);
      const fromHost = execFileSync(process.execPath, ['-e', client(pipePath)], { encoding: 'utf8', timeout: 30_000 }).trim();
      assert.equal(fromHost, 'connected:secret', 'the host could not use the pipe: the test proves nothing');
    } finally {
      server.kill();
    }
  });

  it("can't terminate (or otherwise write) the runner process", async () => {
    const runnerPid = runnerProcessId();
    assert.match(runnerPid, /^\d+$/);
    const r = await session!.exec(['taskkill', '/F', '/PID', runnerPid]);
    assert.notEqual(r.exitCode, 0, text(r));
    const again = await session!.exec(['cmd', '/c', 'echo alive']);
    assert.equal(again.stdout.toString('utf8').trim(), 'alive');
  });

  it('stops the offline identity connecting to a listener on another local address', async () => {
    const server: Server = createServer((s) => s.end('hi'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.2', done));
    const port = (server.address() as { port: number }).port;
    try {
      const probe = `const s=require('net').connect(${port},'127.0.0.2');s.on('data',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},10000)`;
      const r = await session!.exec([state.runner.node, '-e', probe]);
      assert.notEqual(r.stdout.toString('utf8').trim(), 'connected', text(r));
    } finally {
      server.close();
    }
  });

  it('refuses a session when a protected name was created after the grant (no deny ACE on it)', async () => {
    await session!.close();
    session = undefined;
    mkdirSync(join(workspace, '.claude'));
    try {
      await assert.rejects(openSession({ workspace, network: 'offline', audit: false }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'not_provisioned', err.message);
        assert.match(err.message, /\.claude/);
        return true;
      });
    } finally {
      rmSync(join(workspace, '.claude'), { recursive: true, force: true });
    }
    session = await openSession({ workspace, network: 'offline', audit: false });
  });

  it('kills every process of the session when the runner dies (kill-on-close jobs)', async () => {
    const pidFile = join(workspace, 'sleeper.pid');
    const sleeper = join(workspace, 'sleeper.cjs');
    writeFileSync(sleeper, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 600000);\n`);
    const sleeping = session!.spawn(['cmd', '/c', state.runner.node, sleeper]);
    sleeping.exit.catch(() => undefined); // ends with the runner
    for (let i = 0; i < 300 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    // Kill the runner from outside (as the elevated test): its jobs close with it.
    const runnerPid = runnerProcessId();
    spawn('taskkill', ['/F', '/PID', runnerPid], { stdio: 'ignore' });
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
    await session!.close().catch(() => undefined);
    session = undefined;
  });
});
