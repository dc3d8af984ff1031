/**
 * Run by a Windows node.exe under Wine (test/windows/wine-smoke.test.ts starts it): exercises
 * the runner's own Windows code — the koffi bindings, pipes, processes, jobs, tokens, DPAPI,
 * the command path of the session backend — and writes one JSON file of results, which the
 * mocha test asserts on. Each check records `{ ok, value }` or `{ ok: false, error }`; nothing
 * here decides pass or fail.
 *
 * Wine-only shortcuts live here and only here: the session plan is built by hand (Wine has no
 * provisioned identities or state), and `confinePlanned`'s fail-closed readback of the token
 * is recorded rather than relied on, because Wine's tokens don't keep restricting SIDs.
 *
 * Usage: node.exe wine-smoke-script.js <results.json> <scratch dir>
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { win32 } from 'node:path';
import type { CommandEvents } from '../../runner/backend.js';
import type { SpawnRequest } from '../../core/protocol.js';

type Check = { ok: true; value: unknown } | { ok: false; error: { message: string; code?: string; details?: unknown } };
const results: Record<string, Check> = {};
const [resultsFile, scratch] = process.argv.slice(2) as [string, string];

async function check(name: string, body: () => unknown): Promise<void> {
  try {
    results[name] = { ok: true, value: await body() };
  } catch (err) {
    const e = err as Error & { code?: string; details?: unknown };
    results[name] = { ok: false, error: { message: e.message, code: e.code, details: e.details } };
  }
}

interface Outcome {
  pid?: number;
  stdout: string;
  stderr: string;
  exit?: { code: number | null; signal: string | null; timedOut: boolean };
  failed?: { code: string; message: string };
}

function collect(): { events: CommandEvents; done: Promise<Outcome> } {
  const out: Outcome = { stdout: '', stderr: '' };
  let resolve!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => (resolve = r));
  return {
    done,
    events: {
      started: (pid) => (out.pid = pid),
      stdout: (c) => (out.stdout += c.toString('utf8')),
      stderr: (c) => (out.stderr += c.toString('utf8')),
      exit: (r) => {
        out.exit = r;
        resolve(out);
      },
      failed: (code, message) => {
        out.failed = { code, message };
        resolve(out);
      },
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  // Under Wine this node.exe gets stdout/stderr handles it cannot open (EBADF on first use), and
  // Readable.pipe looks at process.stdout and process.stderr (to leave them open), so the
  // proxy's first pipe would throw. The results go to a file; a sink stands for each here.
  const { Writable } = await import('node:stream');
  for (const name of ['stdout', 'stderr'] as const) {
    try {
      void process[name];
    } catch {
      Object.defineProperty(process, name, { value: new Writable({ write: (_chunk, _encoding, done) => done() }), configurable: true });
    }
  }
  const { protect, unprotect, identityEntropy } = await import('../../os/win32/dpapi.js');
  const { createChildPipe, pollPipe, writePipe } = await import('../../os/win32/pipe.js');
  const { sidFromString, currentUserSid, currentLogonSid, createCommandToken, commandTokenFacts } = await import('../../runner/windows/token.js');
  const { commandTokenSids } = await import('../../runner/windows/token-sids.js');
  const { createKillOnCloseJob, assignToJob, jobUiRestrictions, JOB_UI_RESTRICTIONS } = await import('../../runner/windows/job.js');
  const { createPrivateDesktop, windowStationName } = await import('../../runner/windows/desktop.js');
  const { knownFolder } = await import('../../os/win32/known-folders.js');
  const { createDirectoryWith, entryKind, grantedAccess, holdEntry, placeholderAces, protectSession, sessionTmpAces } = await import(
    '../../runner/windows/session-dirs.js'
  );
  const { createProcessAsUser, createProcessWithLogon, resumeThread, waitForExit, CREATE_SUSPENDED, CREATE_NO_WINDOW } = await import(
    '../../os/win32/process.js'
  );
  const { confinePlanned } = await import('../../runner/windows/backend.js');
  const { encodeEnvironmentBlock } = await import('../../os/win32/env-block.js');
  const { msvcrtCommandLine } = await import('../../os/win32/command-line.js');

  await check('platform', () => ({ platform: process.platform, arch: process.arch, node: process.version }));

  await check('dpapi_round_trip', () => {
    const secret = Buffer.from('pässwörd-🔑-0123456789abcdef', 'utf8');
    const entropy = identityEntropy('crl-off-wine');
    const blob = protect(secret, { entropy, localMachine: true });
    const back = unprotect(blob, entropy);
    return { equal: back.equals(secret), blobBytes: blob.length, differsFromPlain: !blob.includes(secret) };
  });

  await check('dpapi_wrong_entropy', () => {
    const blob = protect(Buffer.from('x'), { entropy: identityEntropy('a'), localMachine: true });
    return unprotect(blob, identityEntropy('b')).toString('utf8');
  });

  await check('pipe_round_trip', async () => {
    const pipe = createChildPipe('to-child', 'smoke');
    try {
      const empty = pollPipe(pipe.child, 1024).kind;
      const written = await writePipe(pipe.parent, Buffer.from('ping\u0000\u00ff'));
      const got = pollPipe(pipe.child, 1024);
      pipe.parent.close();
      const after = pollPipe(pipe.child, 1024).kind;
      return { empty, written, data: got.kind === 'data' ? [...got.data] : got.kind, after };
    } finally {
      pipe.parent.close();
      pipe.child.close();
    }
  });

  await check('error_mapping', () => sidFromString('not-a-sid'));

  const identitySid = currentUserSid();
  await check('current_user_sid', () => identitySid);

  const capabilitySid = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
  let logonSid = 'S-1-5-5-0-1';
  await check('current_logon_sid', () => (logonSid = currentLogonSid()));
  const sids = commandTokenSids({ identitySid, logonSid, capabilitySids: [capabilitySid] });
  await check('restricted_token_readback', () => {
    const token = createCommandToken(sids);
    try {
      return commandTokenFacts(token);
    } finally {
      token.close();
    }
  });

  const workspace = win32.join(scratch, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const plan = {
    realUser: 'wine',
    realUserSid: identitySid,
    identity: { name: 'wine', sid: identitySid, kind: 'offline' as const },
    workspace,
    workspaceCapabilitySid: capabilitySid,
    writable: [{ path: workspace, capabilitySid }],
    proxyPort: null,
    warnings: [],
  };
  const limits = { installationName: 'corral', limits: { timeoutSec: 60, maxOutputBytes: 1 << 20, pids: 64 }, protected: ['.git'] };
  await check('confine_fail_closed', () => {
    const session = confinePlanned(plan, limits);
    void session.close();
    return 'confined';
  });

  // The backend's command path, with the token readback (which Wine fails) bypassed.
  const { startWindowsCommand } = await import('../../runner/windows/command.js');
  const { commandEnvironment } = await import('../../os/win32/env-block.js');
  const token = createCommandToken(sids);
  const systemRoot = process.env.SystemRoot ?? 'C:\\windows';

  await check('known_folders', () => ({
    programData: knownFolder('ProgramData'),
    programFiles: knownFolder('ProgramFiles'),
    windows: knownFolder('Windows'),
    profile: knownFolder('Profile'),
    appData: knownFolder('RoamingAppData'),
    localAppData: knownFolder('LocalAppData'),
  }));
  await check('window_station', () => windowStationName());
  const { profilePathOfSid } = await import('../../os/win32/profile-path.js');
  await check('profile_path_of_sid', () => ({ profile: profilePathOfSid(identitySid), knownFolder: knownFolder('Profile') }));
  const { fileOwnerSid } = await import('../../os/win32/file-owner.js');
  await check('file_owner_sid', () => {
    const file = win32.join(scratch, 'owned.txt');
    writeFileSync(file, 'x');
    return fileOwnerSid(file);
  });
  let desktopName: string | null = null;
  const desktop = await (async () => {
    let made: ReturnType<typeof createPrivateDesktop> | undefined;
    await check('private_desktop', () => {
      made = createPrivateDesktop(identitySid, logonSid);
      desktopName = made.startupName;
      return made.startupName;
    });
    return made;
  })();
  await check('session_tmp_with_dacl', () => {
    const dir = win32.join(scratch, 'session-tmp');
    createDirectoryWith(dir, sessionTmpAces(identitySid, logonSid));
    writeFileSync(win32.join(dir, 'probe.txt'), 'ok');
    return { kind: entryKind(dir), file: readFileSync(win32.join(dir, 'probe.txt'), 'utf8') };
  });
  await check('workspace_profile', async () => {
    // The runner's own creation path (workspace-profile.ts) with the real Win32 calls: the
    // folders and their DACLs are made. Wine's AccessCheck grants everything, so the runner's
    // check that corral-ws is not writable by commands fails it closed here (recorded); a second
    // run with that one answer replaced (a Wine-only shortcut, as the token readback above)
    // keeps what the first made. Windows CI checks the real outcome.
    const { prepareWorkspaceProfile, createPlainDirectory, workspaceProfilePaths } = await import('../../runner/windows/workspace-profile.js');
    const profileRoot = win32.join(scratch, 'identity-profile');
    mkdirSync(profileRoot, { recursive: true });
    const ops = { entryKind, createDirectoryWith, createDirectory: createPlainDirectory, grantedAccess };
    const req = { identityProfile: profileRoot, workspace, identitySid, capabilitySid, commandToken: token, writable: false };
    let refused: string | undefined;
    try {
      prepareWorkspaceProfile(req, ops);
    } catch (err) {
      refused = `${(err as { code?: string }).code}: ${(err as Error).message}`;
    }
    const paths = workspaceProfilePaths(profileRoot, workspace);
    const again = prepareWorkspaceProfile(req, { ...ops, grantedAccess: () => 0 });
    return {
      refused,
      same: JSON.stringify(paths) === JSON.stringify(again),
      kinds: [paths.container, paths.root, paths.roaming, paths.local, paths.temp].map((p) => entryKind(p)),
      name: win32.basename(paths.root),
    };
  });
  const env = commandEnvironment({ PATH: `${systemRoot}\\system32;${systemRoot}` }, { home: scratch, tmpdir: scratch, systemRoot });
  const jobs: Array<{ close(): void }> = [];
  const run = async (argv: string[], options: Partial<SpawnRequest> = {}, during?: (kill: () => void) => Promise<void>) => {
    const { events, done } = collect();
    const command = startWindowsCommand(
      { id: `c${Math.random().toString(16).slice(2, 8)}`, argv, cwd: workspace, env: {}, timeoutMs: 60_000, stdin: null, ...options },
      events,
      { token, env, cwd: workspace, cmdExe: `${systemRoot}\\system32\\cmd.exe`, pids: 64, desktop: desktopName, onFinished: (job) => jobs.push(job) },
    );
    if (during) await during(() => command.kill('SIGKILL'));
    return done;
  };

  // ConPTY (os/win32/conpty.ts): a pseudo console, cmd started on it with the command token,
  // its screen read back from the output pipe, a resize, the close. Not used by the runner yet.
  const { PseudoConsole } = await import('../../os/win32/conpty.js');
  await check('conpty_echo', async () => {
    const pc = PseudoConsole.open({ cols: 80, rows: 25 }, 'smoke');
    const steps: string[] = ['opened'];
    try {
      const started = createProcessAsUser({
        token,
        application: `${systemRoot}\\system32\\cmd.exe`,
        commandLine: 'cmd.exe /c echo conpty-hello',
        cwd: workspace,
        environment: encodeEnvironmentBlock(env),
        stdio: { stdin: pc.input, stdout: pc.output, stderr: pc.output },
        flags: CREATE_SUSPENDED,
        label: 'conpty',
        pseudoConsole: pc,
      });
      steps.push('started');
      resumeThread(started.thread);
      started.thread.close();
      const chunks: Buffer[] = [];
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !Buffer.concat(chunks).includes('conpty-hello')) {
        const r = pollPipe(pc.output, 65536);
        if (r.kind === 'data') chunks.push(r.data);
        else if (r.kind === 'eof') break;
        else await new Promise((done) => setTimeout(done, 50));
      }
      const exit = await waitForExit(started.process, 15_000);
      started.process.close();
      let resized: string = 'ok';
      try {
        pc.resize({ cols: 100, rows: 30 });
      } catch (err) {
        resized = (err as Error).message;
      }
      const beforeClose = Buffer.concat(chunks).toString('utf8');
      // What the console still had, up to the end of its output once it is closed.
      pc.close();
      const drainUntil = Date.now() + 5_000;
      let ended = false;
      while (Date.now() < drainUntil && !ended) {
        const r = pollPipe(pc.output, 65536);
        if (r.kind === 'data') chunks.push(r.data);
        else if (r.kind === 'eof') ended = true;
        else await new Promise((done) => setTimeout(done, 50));
      }
      return { steps, exit, resized, beforeClose, screen: Buffer.concat(chunks).toString('utf8'), outputEnded: ended };
    } finally {
      pc.close();
      pc.input.close();
      pc.output.close();
    }
  });
  await check('spawn_echo', () => run(['cmd', '/c', 'echo', 'hi']));
  await check('spawn_exit_code', () => run(['cmd', '/c', 'exit', '3']));
  await check('spawn_stderr', () => run(['cmd', '/c', 'echo oops 1>&2']));
  await check('spawn_not_found', () => run(['no-such-program-corral']));
  await check('spawn_node_bytes', async () => {
    const { events, done } = collect();
    const chunks: Buffer[] = [];
    startWindowsCommand(
      { id: 'bytes', argv: [process.execPath, '-e', 'process.stdout.write(Buffer.from([0,1,2,255,10,13,128,254]))'], cwd: workspace, env: {}, timeoutMs: 60_000, stdin: null },
      { ...events, stdout: (c) => chunks.push(c) },
      { token, env, cwd: workspace, cmdExe: `${systemRoot}\\system32\\cmd.exe`, pids: 64, desktop: desktopName, onFinished: (job) => jobs.push(job) },
    );
    const outcome = await done;
    return { exit: outcome.exit, bytes: [...Buffer.concat(chunks)] };
  });
  await check('spawn_stdin', async () => {
    const { events, done } = collect();
    const command = startWindowsCommand(
      { id: 'stdin', argv: [process.execPath, '-e', "process.stdin.pipe(process.stdout)"], cwd: workspace, env: {}, timeoutMs: 60_000, stdin: 'pipe' },
      events,
      { token, env, cwd: workspace, cmdExe: `${systemRoot}\\system32\\cmd.exe`, pids: 64, desktop: desktopName, onFinished: (job) => jobs.push(job) },
    );
    command.writeStdin(Buffer.from('from stdin\n'));
    command.closeStdin();
    return done;
  });
  // Allowlist plumbing (issue 15 item 3): the launcher's proxy host on a loopback port, the
  // listener table it checks (GetExtendedTcpTable through koffi), and a command under the
  // restricted token that finds the proxy through the variables the runner sets. Wine has no
  // firewall: nothing here shows that a direct connection is refused (Windows CI does).
  {
    const http = await import('node:http');
    const net = await import('node:net');
    const { startProxyHost } = await import('../../orchestrator/bridge/windows/proxy-host.js');
    const { tcpListeners } = await import('../../os/win32/tcp-listeners.js');
    const upstream = http.createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
    const upPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
    const probe = net.createServer();
    const proxyPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const decisions: Array<{ host: string; port: number; allowed: boolean }> = [];
    let host: Awaited<ReturnType<typeof startProxyHost>> | undefined;
    await check('tcp_listeners', () => {
      const mine = tcpListeners().filter((l) => l.port === upPort);
      return { ownPid: process.pid, onUpstreamPort: mine };
    });
    // Wine reports owner process id 0 for every socket (a gap, asserted as one): the real check
    // cannot tell the proxy's own sockets from another process's, so it refuses (fail closed).
    await check('allowlist_proxy_host_unknown_owner', async () => {
      const refused = await startProxyHost(proxyPort, { allow: [], deny: [] }, { listeners: tcpListeners, pid: process.pid });
      await refused.close();
      return 'served although the owner of the port was unknown';
    });
    // A Wine-only shortcut, as the token readback above: rows without an owner left out.
    const knownOwners = () => tcpListeners().filter((l) => l.pid !== 0);
    await check('allowlist_proxy_host', async () => {
      host = await startProxyHost(proxyPort, { allow: [`127.0.0.1:${upPort}`], deny: [] }, { listeners: knownOwners, pid: process.pid });
      host.onDecision((d) => decisions.push({ host: d.host, port: d.port, allowed: d.allowed }));
      return { port: proxyPort };
    });
    await check('allowlist_second_proxy_refused', async () => {
      const second = await startProxyHost(proxyPort, { allow: [], deny: [] }, { listeners: knownOwners, pid: process.pid });
      await second.close();
      return 'a second proxy got the port';
    });
    const proxyEnv = commandEnvironment({ PATH: `${systemRoot}\\system32;${systemRoot}` }, { home: scratch, tmpdir: scratch, systemRoot, proxyPort });
    const through = (url: string) =>
      `const p=new URL(process.env.HTTP_PROXY);const s=require('net').connect(+p.port,p.hostname,()=>s.write('GET ${url} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));` +
      `let got='';s.on('data',d=>got+=d);s.on('end',()=>{process.stdout.write(process.env.HTTP_PROXY+'|'+got.split('\\r\\n')[0]+'|'+got.split('\\r\\n\\r\\n')[1]);process.exit(0)});` +
      `s.on('error',e=>{process.stdout.write('error:'+e.code);process.exit(0)});setTimeout(()=>{process.stdout.write('TIMEOUT');process.exit(0)},20000)`;
    const viaProxy = async (url: string) => {
      const { events, done } = collect();
      startWindowsCommand(
        { id: `p${Math.random().toString(16).slice(2, 8)}`, argv: [process.execPath, '-e', through(url)], cwd: workspace, env: {}, timeoutMs: 60_000, stdin: null },
        events,
        { token, env: proxyEnv, cwd: workspace, cmdExe: `${systemRoot}\\system32\\cmd.exe`, pids: 64, desktop: desktopName, onFinished: (job) => jobs.push(job) },
      );
      return done;
    };
    await check('allowlist_command_listed', () => viaProxy(`http://127.0.0.1:${upPort}/pkg`));
    await check('allowlist_command_unlisted', () => viaProxy('http://unlisted.example/'));
    await check('allowlist_decisions', () => decisions);
    await host?.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }

  await check('batch_file_argument_inert', async () => {
    const script = win32.join(workspace, 'args.bat');
    // %1 keeps the quotes the runner put around the argument (a script using %~1 unquoted
    // would re-expose the & itself: that is the script's own bug, not the command line's).
    writeFileSync(script, '@echo off\r\necho [%1] [%2]\r\n');
    const marker = win32.join(workspace, 'injected.txt');
    const outcome = await run([script, `a&echo injected>${marker}`, '%PATH%']);
    return { ...outcome, injected: existsSync(marker) };
  });

  // The NUL device (restricting SID Everyone): `> nul` in cmd, and node's stdio 'ignore'.
  await check('nul_device_writes', async () => {
    const redirect = await run(['cmd', '/c', 'echo gone> nul && echo kept']);
    const ignore = await run([process.execPath, '-e', "require('child_process').spawnSync(process.execPath, ['-e', 'console.log(1)'], { stdio: 'ignore' }); process.stdout.write('spawned')"]);
    return { redirect: { stdout: redirect.stdout, exit: redirect.exit }, ignore: { stdout: ignore.stdout, exit: ignore.exit } };
  });
  await check('job_ui_restrictions', () => {
    const job = createKillOnCloseJob({ activeProcesses: 8 }, 'ui');
    try {
      return { set: jobUiRestrictions(job), asked: JOB_UI_RESTRICTIONS };
    } finally {
      job.close();
    }
  });
  await check('command_on_private_desktop', () => run(['cmd', '/c', 'echo on-desktop']));

  // Placeholders and holds (session-dirs.ts): Wine keeps sharing modes, so a held entry can't be removed.
  await check('placeholder_reserved_and_held', () => {
    const root = win32.join(scratch, 'protect-root');
    mkdirSync(root, { recursive: true });
    const placeholder = win32.join(root, '.mcp.json');
    createDirectoryWith(placeholder, placeholderAces(identitySid, logonSid, identitySid));
    const hold = holdEntry(placeholder);
    let removedWhileHeld: boolean;
    try {
      rmSync(placeholder, { recursive: true });
      removedWhileHeld = !existsSync(placeholder);
    } catch (err) {
      removedWhileHeld = false;
      void err;
    }
    hold.close();
    rmSync(placeholder, { recursive: true, force: true });
    return { removedWhileHeld, removedAfter: !existsSync(placeholder) };
  });
  await check('protect_session', () => {
    const root = win32.join(scratch, 'protect-session');
    mkdirSync(win32.join(root, 'sub'), { recursive: true });
    const protection = protectSession({
      installationName: 'corral',
      writableRoots: [root],
      protectedEntries: ['.git', '.GiT', '.vscode', win32.join(root, 'sub', '.idea'), win32.join(root, 'nope', '.x')],
      identitySid,
      logonSid,
      realUserSid: identitySid,
      commandToken: token,
    });
    const at = (...parts: string[]) => entryKind(win32.join(root, ...parts));
    const during = { git: at('.git'), vscode: at('.vscode'), idea: at('sub', '.idea'), mcp: at('.mcp.json'), npmrc: at('.npmrc'), corral: at('.corral') };
    let writeIntoFilePlaceholder: string;
    try {
      writeFileSync(win32.join(root, '.mcp.json'), '{}');
      writeIntoFilePlaceholder = 'written';
    } catch (err) {
      writeIntoFilePlaceholder = (err as NodeJS.ErrnoException).code ?? 'error';
    }
    const reserved = protection.reserved.map((p) => p.slice(root.length + 1));
    protection.release();
    return { reserved, files: protection.reservedFiles.length, warnings: protection.warnings, during, writeIntoFilePlaceholder, left: reserved.filter((r) => at(r) !== 'missing') };
  });
  await check('access_check_plumbing', () => {
    const file = win32.join(scratch, 'access-probe.txt');
    writeFileSync(file, 'x');
    return { granted: grantedAccess(file, token) };
  });

  // A sleeping grandchild (node under cmd): the timeout must end the whole tree.
  const pidFile = win32.join(scratch, 'sleeper.pid');
  const sleeperJs = win32.join(scratch, 'sleeper.cjs');
  writeFileSync(sleeperJs, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000);\n`);
  const sleeper = [process.execPath, sleeperJs];
  await check('job_timeout_kills_tree', async () => {
    rmSync(pidFile, { force: true });
    const outcome = await run(['cmd', '/c', ...sleeper], { timeoutMs: 3000 });
    const grandchild = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
    await sleep(500);
    return { exit: outcome.exit, grandchildSeen: grandchild !== undefined, grandchildAlive: grandchild === undefined ? null : isAlive(grandchild) };
  });
  await check('job_kill_ends_tree', async () => {
    rmSync(pidFile, { force: true });
    const outcome = await run([...sleeper], {}, async (kill) => {
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(100);
      kill();
    });
    const child = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
    await sleep(500);
    return { exit: outcome.exit, childAlive: child === undefined ? null : isAlive(child) };
  });

  // KILL_ON_JOB_CLOSE by itself: a suspended-then-resumed sleeper dies when the job handle closes.
  await check('job_kill_on_close', async () => {
    rmSync(pidFile, { force: true });
    const job = createKillOnCloseJob({ activeProcesses: 8 }, 'smoke');
    const nul = createChildPipe('from-child', 'smoke out');
    const inPipe = createChildPipe('to-child', 'smoke in');
    const started = createProcessAsUser({
      token,
      application: process.execPath,
      commandLine: msvcrtCommandLine(sleeper),
      cwd: workspace,
      environment: encodeEnvironmentBlock(env),
      stdio: { stdin: inPipe.child, stdout: nul.child, stderr: nul.child },
      flags: CREATE_SUSPENDED | CREATE_NO_WINDOW,
      label: 'smoke',
    });
    try {
      assignToJob(job, started.process);
      resumeThread(started.thread);
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(100);
      const runningBefore = (await waitForExit(started.process, 0)) === undefined;
      job.close();
      const code = await waitForExit(started.process, 10_000);
      return { runningBefore, endedAfterClose: code !== undefined, exitCode: code };
    } finally {
      job.close();
      for (const h of [started.process, started.thread, nul.parent, nul.child, inPipe.parent, inPipe.child]) h.close();
    }
  });

  // Wine gap: restricting SIDs are not enforced. C:\users\Public is writable by Users; a
  // write-restricted token without the Users SID among its restricting SIDs is denied there on
  // Windows. Under Wine the write goes through.
  await check('gap_restricting_sids_not_enforced', async () => {
    const target = `${process.env.PUBLIC ?? 'C:\\users\\Public'}\\corral-wine-probe-${process.pid}.txt`;
    rmSync(target, { force: true });
    const outcome = await run(['cmd', '/c', `echo probe> "${target}"`]);
    const written = existsSync(target);
    rmSync(target, { force: true });
    return { written, exit: outcome.exit, stderr: outcome.stderr };
  });

  // Wine gap: no real logon. CreateProcessWithLogonW is a stub that returns FALSE (so the
  // launcher can't run under Wine at all), and LogonUserW accepts any user and password.
  await check('gap_create_process_with_logon_stub', () => {
    const out = createChildPipe('from-child', 'logon out');
    const inPipe = createChildPipe('to-child', 'logon in');
    try {
      const started = createProcessWithLogon({
        user: 'corral-no-such-user',
        domain: '.',
        password: 'wrong password',
        application: process.execPath,
        commandLine: msvcrtCommandLine([process.execPath, '-e', '0']),
        cwd: workspace,
        environment: null,
        stdio: { stdin: inPipe.child, stdout: out.child, stderr: out.child },
        flags: CREATE_NO_WINDOW,
      });
      for (const h of [started.process, started.thread]) h.close();
      return 'started';
    } finally {
      for (const h of [out.parent, out.child, inPipe.parent, inPipe.child]) h.close();
    }
  });

  // Probes of Wine itself (not runner code): declared here so they stay out of runner/windows.
  const koffi = (await import('koffi')).default;
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const LogonUserW = advapi32.func(
    'int __stdcall LogonUserW(str16 user, str16 domain, str16 password, uint32 type, uint32 provider, _Out_ void **token)',
  );
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *h)');
  await check('gap_logon_user_accepts_anything', () => {
    const out: unknown[] = [null];
    const ok = LogonUserW('corral-no-such-user', '.', 'wrong password', 3 /* NETWORK */, 0, out) as number;
    if (out[0]) CloseHandle(out[0]);
    return { ok: Boolean(ok) };
  });

  // Wine gap: file ACLs are not enforced. Set a DACL denying everyone write, then write.
  const ConvertSddl = advapi32.func(
    'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(str16 sddl, uint32 rev, _Out_ void **sd, void *size)',
  );
  const SetFileSecurityW = advapi32.func('int __stdcall SetFileSecurityW(str16 file, uint32 info, void *sd)');
  const LocalFree = kernel32.func('void * __stdcall LocalFree(void *h)');
  await check('gap_file_acl_not_enforced', () => {
    const file = win32.join(workspace, 'acl-probe.txt');
    writeFileSync(file, 'before');
    const sd: unknown[] = [null];
    if (!ConvertSddl('D:P(D;;FW;;;WD)(A;;FA;;;WD)', 1, sd, null)) throw new Error('SDDL conversion failed');
    const set = Boolean(SetFileSecurityW(file, 4 /* DACL_SECURITY_INFORMATION */, sd[0]));
    LocalFree(sd[0]);
    let writeAfterDeny: boolean;
    try {
      writeFileSync(file, 'after');
      writeAfterDeny = true;
    } catch {
      writeAfterDeny = false;
    }
    return { set, writeAfterDeny };
  });

  for (const job of jobs) job.close();
  desktop?.close();
  token.close();
}

main()
  .catch((err: Error) => {
    results.fatal = { ok: false, error: { message: err.stack ?? err.message } };
  })
  .finally(() => {
    writeFileSync(resultsFile, JSON.stringify(results, null, 2));
    process.exit(0);
  });
