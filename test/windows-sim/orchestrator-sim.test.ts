/**
 * The Windows half end to end on the simulated Windows (issue 12 item 4): the real `corral`
 * CLI (program.ts runCli, in this process) with the Windows leaf, the real WindowsProvisioner,
 * the real node-powershell session on pwsh with the real Corral module, the real one-elevation
 * plan/result protocol (elevation.ts) and the real elevated-host.ps1 in its own pwsh process.
 *
 * What is simulated (test/windows-sim/CorralWindowsSim.psm1, each stand-in naming the Windows
 * behaviour it stands for): the Windows-only commands and seams the module calls (LocalAccounts,
 * NetSecurity, ACLs, registry, DPAPI, profiles), and the elevation itself — the module's seam
 * Start-CorralElevatedProcess (ShellExecute runas, the UAC prompt) starts
 * test/windows-sim/Invoke-SimElevated.ps1 with CORRAL_SIM_ELEVATED=1 instead.
 *
 * What the test replaces beyond that, because Linux has no Windows to ask (create.ts
 * WindowsProvisionerOverrides): powershell.exe (5.1) is pwsh (7); the caller is alice by SID
 * (whoami /user is Windows-only); the known folders are temp folders; the verified staging copy
 * is a small copy made here (the digest check itself is unit-tested in
 * windows-package-digests.test.ts and needs koffi's win32 binary in the build); node.exe is a
 * placeholder file the runner install copies.
 *
 * `corral run` runs for real up to the launcher: the CLI, openSession, the Windows leaf's
 * provisioned check (provision/windows/provisioned.ts over the real state parser,
 * os/win32/machine-state.ts), the policy resolution and the request, and the launcher's own
 * decisions (bridge/windows/launcher.ts planRunnerLaunch: the user by SID, the identity for the
 * network, only the installed runner, its environment). What stands in for Windows there is the
 * launcher's seams (WindowsLauncherSeams), see simLauncherSeams below: the owner check of the
 * state (GetFileSecurityW) reads the sim's ACL table, and `start` — in production DPAPI, three
 * pipes and CreateProcessWithLogonW — decrypts the credential from the sim's DPAPI store, logs on
 * as LogonUserW would (the account must exist and be enabled, else Win32 error 1326 / 1331), and
 * in place of the runner records the first frame the runner would read on its stdin, then ends
 * as a runner that exits before `hello` does.
 *
 * What this proves: the orchestration and the PowerShell logic on PowerShell 7 — which module
 * calls setup, a second setup and teardown make, in which order, through the protocol, and what
 * they leave on a model of Windows. It proves neither Windows security (whether these ACEs and
 * rules confine anything) nor Windows PowerShell 5.1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import net from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorralError } from '../../core/errors.js';
import { windowsInstallation, type Installation } from '../../core/installation.js';
import { FrameDecoder, type SessionRequest } from '../../core/protocol.js';
import { windowsLauncher, type RunnerLaunch } from '../../orchestrator/bridge/windows/launcher.js';
import type { RunnerProcess } from '../../orchestrator/platform.js';
import { identityEntropy } from '../../os/win32/dpapi.js';
import { checkTrustedOwner } from '../../os/win32/file-owner.js';
import { parseWindowsCredentials, readWindowsState, windowsStateFile } from '../../os/win32/machine-state.js';
import { describeWin32Failure } from '../../os/win32/win32-error.js';
import { setPlatformLeafForTests } from '../../orchestrator/current-platform.js';
import { runCli } from '../../orchestrator/cli/program.js';
import { windowsLeaf } from '../../orchestrator/provision/windows/leaf.js';
import { createWindowsProvisioner } from '../../orchestrator/provision/windows/create.js';
import { startNodePowerShellHost } from '../../orchestrator/provision/windows/node-powershell-host.js';
import { packageRoot } from '../../orchestrator/provision/windows/paths.js';
import { workspaceHomeName } from '../../core/workspace-id.js';
import { startProxyHost } from '../../orchestrator/bridge/windows/proxy-host.js';

const REPO = packageRoot(fileURLToPath(import.meta.url));
const SIM_MODULE = path.join(REPO, 'test', 'windows-sim', 'CorralWindowsSim.psm1');
const INSTANCE = 'ctestorch';
const ALICE_SID = 'S-1-5-21-7000-8000-9000-1001';
const ADMIN_SID = 'S-1-5-21-7000-8000-9000-1002';
const POWERSHELL_EXE = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

function pwshPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}
const PWSH = pwshPath();

/** Runs fixed PowerShell text with the sim loaded; values reach it as environment variables (data). */
function simPwsh(script: string, env: Record<string, string> = {}): string {
  const r = spawnSync(PWSH!, ['-NoProfile', '-NonInteractive', '-Command', `Import-Module -Name $env:SIM_MODULE -Force; ${script}`], {
    encoding: 'utf8',
    env: { ...process.env, SIM_MODULE: SIM_MODULE, ...env },
  });
  if (r.status !== 0) throw new Error(`pwsh failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * The machine, normalized by the sim (Get-CorralWindowsSimState -Normalize), without its change
 * log. Left out, as in Pester/Sim/Install.Sim.Tests.ps1, because they are not state that anything
 * can give back on Windows either: nextRid (SAM never reuses a RID) and the DPAPI table (on
 * Windows a DPAPI blob is self-contained, kept in the credential file, which teardown deletes and
 * the folder check below sees; the sim's table stands for the machine key that decrypts it).
 */
function machine(): string {
  return simPwsh(
    "$s = Get-CorralWindowsSimState -WithoutLog -Normalize; $s.Remove('nextRid'); $s.Remove('dpapi'); ConvertTo-Json -InputObject $s -Depth 50",
  );
}
function dpapiCount(): number {
  return Number(simPwsh('(Get-CorralWindowsSimState)["dpapi"].Count').trim());
}
function machineObject(): SimState {
  return JSON.parse(machine()) as SimState;
}

interface SimState {
  users: Record<string, { name: string; sid: string; enabled: boolean }>;
  groups: Record<string, { name: string; sid: string; members: string[] }>;
  firewall: { rules: Record<string, { Name: string; Direction: string; Action: string; LocalUser: string; Profile: string; Group: string }> };
  acls: Record<string, { owner: string; protected: boolean; aces: { sid: string; rights: number; type: string; inheritance: number; propagation: number }[] }>;
  registry: Record<string, unknown>;
  profiles: Record<string, string>;
}

/** `corral ARGS` in this process; what it printed on stdout and its exit code. */
async function corral(args: string[]): Promise<{ code: number; stdout: string; json: Record<string, unknown> | null }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    process.stdout.write = write;
  }
  const stdout = chunks.join('');
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { code, stdout, json };
}

/** The staged package: what the elevated side and the runner install read (see the header). */
function stagePackage(root: string): (packageRootDir: string) => { root: string; remove(): void } {
  return (from) => {
    const dir = path.join(root, 'staged');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'orchestrator', 'provision', 'windows'), { recursive: true });
    cpSync(path.join(from, 'package.json'), path.join(dir, 'package.json'));
    cpSync(path.join(from, 'ps-module'), path.join(dir, 'ps-module'), { recursive: true });
    cpSync(path.join(from, 'orchestrator', 'provision', 'windows', 'elevated-host.ps1'), path.join(dir, 'orchestrator', 'provision', 'windows', 'elevated-host.ps1'));
    cpSync(path.join(from, 'dist', 'runner'), path.join(dir, 'dist', 'runner'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules', 'koffi'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', 'koffi', 'index.js'), '// koffi stands here\n');
    return { root: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  };
}

/** One start of the runner the launcher asked Windows for (see simLauncherSeams). */
interface Launched {
  launch: RunnerLaunch;
  /** The identity's password, as CryptUnprotectData would give it back. */
  password: string;
  /** The first frame the runner would read on its stdin. */
  frame: Promise<{ type: string; request: SessionRequest }>;
  /** Allowlist sessions: whether a connection to 127.0.0.1:<proxy port> was accepted while the runner ran. */
  proxyAnswered?: Promise<boolean>;
}

/** A port of this machine's loopback that nothing listens on now. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** The sim's machine file, read directly (what the stand-ins below ask Windows). */
function simFile(): { users: Record<string, { name: string; sid: string; enabled: boolean }>; acls: Record<string, { owner: string }>; dpapi: Record<string, { data: string; entropy: string }> } {
  return JSON.parse(readFileSync(process.env.CORRAL_SIM_STATE!, 'utf8')) as ReturnType<typeof simFile>;
}

/** A path's owner in the sim (its ACL record; a path Corral never touched is the Administrators', as Get-SimAclRecord says). */
function simOwner(p: string): string {
  return simFile().acls[path.resolve(p).replace(/\/+$/, '')]?.owner ?? 'S-1-5-32-544';
}

/** A failed CreateProcessWithLogonW as os/win32/win32-error.ts win32Failure reports it (FormatMessageW's text given here). */
function logonFailure(identity: string, code: number, message: string): CorralError {
  return new CorralError('runner_failed', `starting the runner as ${identity}: ${describeWin32Failure('CreateProcessWithLogonW', code, message)}`, {
    details: { api: 'CreateProcessWithLogonW', win32Error: code, win32Message: message },
  });
}

/**
 * The launcher's seams on the simulated Windows; each stand-in names what it stands for. The
 * launcher's decisions (planRunnerLaunch) and the failure mapping (explainLaunchFailure) are the
 * real ones.
 */
function simLauncherSeams(installation: Installation, launched: Launched[]) {
  return {
    // readTrustedWindowsState: GetFileSecurityW's owner of the folder and the file, checked by
    // the real checkTrustedOwner, then the real reader and parser.
    readState: () => {
      checkTrustedOwner(installation.stateDir, simOwner(installation.stateDir));
      checkTrustedOwner(windowsStateFile(installation), simOwner(windowsStateFile(installation)));
      return readWindowsState(installation);
    },
    // SHGetKnownFolderPath(FOLDERID_Windows).
    systemRoot: () => 'C:\\Windows',
    // The real proxy host on this machine's real loopback (the port setup recorded); only the
    // listener table (GetExtendedTcpTable) stands here: empty, no other process holds the port.
    startProxy: (port: number, rules: { allow: string[]; deny: string[] }) => startProxyHost(port, rules, { listeners: () => [], pid: process.pid }),
    start: (launch: RunnerLaunch): RunnerProcess => {
      // identityPassword: the credential file's owner check, the real parser, then
      // CryptUnprotectData (LocalMachine): the sim's blob names its entry in the store, which
      // gives the bytes back only with the same entropy (else ERROR_INVALID_DATA, 13).
      checkTrustedOwner(launch.credentialFile, simOwner(launch.credentialFile));
      const stored = parseWindowsCredentials(readFileSync(launch.credentialFile, 'utf8'), launch.credentialFile)[launch.kind];
      assert.equal(stored.user.toLowerCase(), launch.identity.name.toLowerCase(), 'the credential is the identity\'s');
      const blob = /^SIMDPAPI:([0-9a-f]{32})$/.exec(Buffer.from(stored.protected, 'base64').toString('latin1'));
      const sim = simFile();
      const entry = blob === null ? undefined : sim.dpapi[blob[1]!];
      if (entry === undefined || !Buffer.from(entry.entropy, 'base64').equals(identityEntropy(launch.identity.name))) {
        throw new CorralError('runner_failed', describeWin32Failure('CryptUnprotectData', 13, 'The data is invalid.'), { details: { api: 'CryptUnprotectData', win32Error: 13 } });
      }
      const password = Buffer.from(entry.data, 'base64').toString('utf8');
      // CreateProcessWithLogonW's logon of a local account (domain "."): it must exist and be
      // enabled. (The sim keeps no passwords, so a changed one — also 1326 — is not modelled.)
      const account = Object.values(sim.users).find((u) => u.name.toLowerCase() === launch.identity.name.toLowerCase());
      if (account === undefined) throw logonFailure(launch.identity.name, 1326, 'The user name or password is incorrect.');
      if (!account.enabled) throw logonFailure(launch.identity.name, 1331, 'This user can\'t sign in because this account is currently disabled.');
      assert.equal(account.sid, launch.identity.sid, 'the account that logs on is the identity the state records');
      // The runner process: not started. What it would read first is recorded; then it ends
      // with exit code 1 and a line on stderr, as a runner that stops before `hello`.
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let ended!: (code: number) => void;
      const exited = new Promise<number | null>((resolve) => (ended = resolve));
      let answered: (yes: boolean) => void = () => {};
      const proxyAnswered = launch.proxyPort === null ? undefined : new Promise<boolean>((resolve) => (answered = resolve));
      const frame = new Promise<{ type: string; request: SessionRequest }>((resolve, reject) => {
        const decoder = new FrameDecoder();
        stdin.on('data', (chunk: Buffer) => {
          try {
            const [first] = decoder.push(chunk);
            if (first === undefined) return;
            resolve(first as { type: string; request: SessionRequest });
            // While this runner "runs", the session's proxy must hold its port (asked before it ends).
            const probe = launch.proxyPort === null ? Promise.resolve() : accepts(launch.proxyPort).then(answered);
            void probe.then(() => {
              stderr.end('simulated Windows: the runner is not started here (CreateProcessWithLogonW stands here)\n');
              stdout.end();
              ended(1);
            });
          } catch (err) {
            reject(err as Error);
          }
        });
      });
      launched.push({ launch, password, frame, ...(proxyAnswered === undefined ? {} : { proxyAnswered }) });
      return { stdin, stdout, stderr, exited, kill: () => ended(137) };
    },
  };
}

const SAVED_ENV = ['CORRAL_SIM_STATE', 'CORRAL_SIM_IDENTITY', 'CORRAL_SIM_ELEVATED', 'ProgramData', 'ProgramFiles', 'CORRAL_INSTANCE', 'CORRAL_SIM_MODULE', 'TERM', 'CORRAL_SIM_UAC'] as const;

describe('Windows end to end on the simulated Windows: corral setup, setup again, teardown (real CLI, node-powershell, pwsh, elevated-host.ps1)', function () {
  this.timeout(240_000);
  let root = '';
  let workspace = '';
  let home = '';
  let installation: Installation;
  const saved: Record<string, string | undefined> = {};
  let initial = '';
  /** The identities' profile folders for the workspace, found after setup (teardown must leave none). */
  const profileFolders: string[] = [];
  /** Who runs corral (the provisioner's currentUser): alice, or an administrator who names her with --user. */
  let caller: 'alice' | 'admin' = 'alice';
  /** Every runner start the launcher asked (simulated) Windows for. */
  const launched: Launched[] = [];
  /** The allowlist proxy's port setup is given (a free port of this machine's loopback: the proxy really listens there). */
  let proxyPort = 0;

  before(function () {
    if (PWSH === null) this.skip(); // pwsh is installed by scripts/prepare.sh; without it nothing of this can run
    // The simulated Windows stands in for Windows on Linux (POSIX paths, Installation.pathPlatform);
    // on Windows the real machine is tested instead (test/windows-ci, the workflow's CLI step).
    if (process.platform === 'win32') this.skip();
    for (const k of SAVED_ENV) saved[k] = process.env[k];
    root = mkdtempSync(path.join(tmpdir(), 'corral-orchsim-'));
    home = path.join(root, 'Users', 'alice');
    workspace = path.join(home, 'src');
    const programData = path.join(root, 'ProgramData');
    const programFiles = path.join(root, 'ProgramFiles');
    mkdirSync(programData, { recursive: true });
    mkdirSync(programFiles, { recursive: true });
    const nodeExe = path.join(root, 'bin', 'node.exe');
    mkdirSync(path.dirname(nodeExe), { recursive: true });
    writeFileSync(nodeExe, 'stands for node.exe\n');
    const state = path.join(root, 'machine.json');
    simPwsh(
      "$null = Initialize-CorralWindowsSim -StateFile $env:T_STATE -RealUsers @(@{ Name = 'alice'; Sid = $env:T_SID; ProfilePath = $env:T_HOME }, @{ Name = 'admin'; Sid = $env:T_ADMIN_SID; ProfilePath = $env:T_ADMIN_HOME }); " +
        '$null = New-Item -ItemType Directory -Path $env:T_WS; Set-SimOwner -Path $env:T_WS -Sid $env:T_SID',
      { T_STATE: state, T_SID: ALICE_SID, T_HOME: home, T_WS: workspace, T_ADMIN_SID: ADMIN_SID, T_ADMIN_HOME: path.join(root, 'Users', 'admin') },
    );
    // What every process of the test inherits: the machine, who runs (alice, not elevated), the
    // folders the module reads, the installation.
    Object.assign(process.env, {
      CORRAL_SIM_STATE: state,
      CORRAL_SIM_IDENTITY: ALICE_SID,
      CORRAL_SIM_ELEVATED: '0',
      ProgramData: programData,
      ProgramFiles: programFiles,
      CORRAL_INSTANCE: INSTANCE,
      CORRAL_SIM_MODULE: SIM_MODULE,
      // .NET on Linux writes terminfo's keypad sequences (ESC [?1h ESC [?1l) around console
      // reads when TERM names a terminal; Windows has no terminfo, so its output never has them.
      TERM: 'dumb',
    });
    // The Windows installation, on this Linux file system (Installation.pathPlatform): workspaces
    // and homes are POSIX paths here, which Windows' path rules would take as drive-relative.
    // Its folders are joined as the module joins them ([IO.Path]::Combine, Get-CorralInstallation),
    // which on this file system gives POSIX paths too.
    const stateDir = path.join(programData, INSTANCE);
    const libDir = path.join(programFiles, INSTANCE);
    installation = {
      ...windowsInstallation(INSTANCE, { ProgramData: programData, ProgramFiles: programFiles }),
      stateDir,
      libDir,
      machineConfigFile: path.join(stateDir, 'config.json'),
      runnerNode: path.join(libDir, 'node.exe'),
      runnerEntry: path.join(libDir, 'app', 'dist', 'runner', 'main.js'),
      pathPlatform: 'posix',
    };
    setPlatformLeafForTests(async () => ({
      ...windowsLeaf(installation),
      // currentWindowsUser asks whoami /user and the ProfileList key: the caller is given here.
      currentRealUser: async () =>
        caller === 'alice' ? { name: 'alice', sid: ALICE_SID, home } : { name: 'admin', sid: ADMIN_SID, home: path.join(root, 'Users', 'admin') },
      // The real launcher, with Windows' part of it simulated (simLauncherSeams).
      createLauncher: async () => windowsLauncher(installation, simLauncherSeams(installation, launched)),
      createProvisioner: () =>
        createWindowsProvisioner(installation, {
          stage: stagePackage(root),
          powershellExe: POWERSHELL_EXE,
          nodePath: nodeExe,
          currentUser: async () =>
            caller === 'alice' ? { name: 'alice', sid: ALICE_SID, home } : { name: 'admin', sid: ADMIN_SID, home: path.join(root, 'Users', 'admin') },
          // The real node-powershell session, on pwsh; once the module is imported, the sim
          // replaces its seams in that session (fixed text; the path is in the environment).
          startHost: async (options) => {
            const host = await startNodePowerShellHost({ ...options, executable: PWSH! });
            const out = await host.invoke(
              "Import-Module -Name $env:CORRAL_SIM_MODULE -Global -Force; Enable-CorralWindowsSim -Module (Get-Module -Name Corral); '{\"ok\":true,\"result\":null}'",
            );
            if (!out.includes('{"ok":true')) {
              await host.close();
              throw new Error(`the simulation did not load in the session: ${out}`);
            }
            return host;
          },
        }),
    }));
    initial = machine();
  });

  after(() => {
    setPlatformLeafForTests(null);
    for (const k of SAVED_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  function elevatedLog(): string {
    const log = `${process.env.CORRAL_SIM_STATE}.elevated.log`;
    return existsSync(log) ? readFileSync(log, 'utf8') : '(no elevated run)';
  }

  it('setup --yes with the UAC prompt declined: elevation_cancelled (exit 4), nothing changed, nothing ran elevated', async () => {
    process.env.CORRAL_SIM_UAC = 'cancel';
    let r;
    try {
      r = await corral(['setup', '--yes', '--json', '--workspace', workspace]);
    } finally {
      delete process.env.CORRAL_SIM_UAC;
    }
    assert.equal(r.code, 4, r.stdout);
    assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'elevation_cancelled', r.stdout);
    assert.equal(elevatedLog(), '(no elevated run)');
    assert.equal(machine(), initial);
    assert.deepEqual(readdirSync(process.env.ProgramData!), []);
  });

  it('setup --yes, unelevated: one elevated run applies the plan; identities, group, firewall rules (LocalUser SDDL) and ACEs are on the machine', async () => {
    proxyPort = await freeLoopbackPort();
    const r = await corral(['setup', '--yes', '--json', '--workspace', workspace, '--proxy-port', String(proxyPort)]);
    assert.equal(r.code, 0, `${r.stdout}\n${elevatedLog()}`);
    assert.equal(r.json?.changed, true, r.stdout);
    // Exactly one elevated process ran the whole plan (the log has one entry per elevated start).
    assert.equal((elevatedLog().match(/^exit /gm) ?? []).length, 1, elevatedLog());
    assert.match(elevatedLog(), /^exit 0$/m);

    const m = machineObject();
    const users = Object.values(m.users);
    const offline = users.find((u) => u.name.toLowerCase().includes('alice') && u.name.toLowerCase().includes('off'));
    const online = users.find((u) => u.name.toLowerCase().includes('alice') && u.name.toLowerCase().includes('on') && u !== offline);
    assert.ok(offline, `no offline identity: ${JSON.stringify(users)}`);
    assert.ok(online, `no online identity: ${JSON.stringify(users)}`);
    assert.ok(offline.enabled && online.enabled);
    // Both identities, and nobody else, are in alice's own group (Install-CorralUserGroup), and
    // in the machine-wide sandbox group.
    const holding = Object.values(m.groups).filter((g) => g.members.includes(offline.sid));
    assert.equal(holding.length, 2, JSON.stringify(m.groups));
    for (const g of holding) assert.deepEqual([...g.members].sort(), [offline.sid, online.sid].sort(), JSON.stringify(g));
    const userGroup = holding.find((g) => g.name.toLowerCase().includes('alice'));
    assert.ok(userGroup, `no group of alice's: ${JSON.stringify(holding)}`);
    // The offline identity's firewall rules name it by SID in their LocalUser SDDL, block, and
    // cover both directions.
    const rules = Object.values(m.firewall.rules).filter((rule) => rule.LocalUser.includes(offline.sid));
    assert.ok(rules.length > 0, `no rule for ${offline.sid}: ${JSON.stringify(m.firewall.rules)}`);
    for (const rule of rules) assert.match(rule.LocalUser, /^D:(\(A;;CC;;;S-1-[0-9-]+\))+$/);
    assert.ok(rules.some((rule) => rule.Direction === 'Outbound' && rule.Action === 'Block'), JSON.stringify(rules));
    assert.ok(!Object.values(m.firewall.rules).some((rule) => rule.LocalUser.includes(online.sid) && rule.Action === 'Block'));
    // The allowlist proxy's port (--proxy-port): TCP to loopback blocked on every other port, UDP
    // to loopback blocked whole, no block-all loopback rule; recorded for the launcher and runner.
    const tcp = rules.find((rule) => rule.Name.endsWith('-loopback-tcp')) as unknown as { Protocol: string; RemotePort: string[]; RemoteAddress: string[] } | undefined;
    assert.ok(tcp, JSON.stringify(rules.map((rule) => rule.Name)));
    assert.equal(tcp.Protocol, 'TCP');
    assert.deepEqual(tcp.RemotePort, [`1-${proxyPort - 1}`, `${proxyPort + 1}-65535`]);
    assert.ok(rules.some((rule) => rule.Name.endsWith('-loopback-udp')), 'UDP to loopback blocked');
    assert.ok(!rules.some((rule) => rule.Name.endsWith('-loopback')), 'no block-all loopback rule beside the port rules');
    const reach = (protocol: string, address: string, port: number) =>
      simPwsh('(Test-SimFirewallOutbound -Sid $env:T_SID -Protocol $env:T_P -RemoteAddress $env:T_A -RemotePort ([int]$env:T_PORT)).Allowed', {
        T_SID: offline.sid, T_P: protocol, T_A: address, T_PORT: String(port),
      }).trim();
    assert.equal(reach('TCP', '127.0.0.1', proxyPort), 'True', 'the offline identity reaches the proxy port (the simulated firewall decides)');
    assert.equal(reach('TCP', '::1', proxyPort), 'True');
    assert.equal(reach('TCP', '127.0.0.1', proxyPort + 1), 'False');
    assert.equal(reach('UDP', '127.0.0.1', proxyPort), 'False');
    assert.equal(reach('TCP', '10.1.2.3', proxyPort), 'False', 'the network stays blocked on the proxy port too');
    const recordedFirewall = (JSON.parse(readFileSync(path.join(process.env.ProgramData!, INSTANCE, 'state.json'), 'utf8')) as { users: { alice: { firewall: unknown } } }).users.alice.firewall;
    assert.deepEqual(recordedFirewall, { proxyPort, loopbackPorts: [] });
    // The workspace is granted (Grant-CorralWorkspace) to exactly two SIDs — alice's own group
    // and the workspace's capability SID, never an identity SID: on the folder itself without
    // inheritance, and inherit-only (CI|OI, InheritOnly = 2) for everything below.
    const wsAcl = m.acls[workspace];
    assert.ok(wsAcl, `no ACL record for ${workspace}: ${JSON.stringify(Object.keys(m.acls))}`);
    const granted = [...new Set(wsAcl.aces.map((a) => a.sid))];
    assert.equal(granted.length, 2, JSON.stringify(wsAcl));
    assert.ok(granted.includes(userGroup.sid), JSON.stringify(wsAcl));
    const capability = granted.find((sid) => sid !== userGroup.sid)!;
    assert.ok(!users.some((u) => u.sid === capability) && !Object.values(m.groups).some((g) => g.sid === capability), 'the second SID is no account: the capability SID');
    for (const sid of granted) {
      const aces = wsAcl.aces.filter((a) => a.sid === sid);
      assert.ok(aces.every((a) => a.type === 'Allow'), JSON.stringify(aces));
      assert.ok(aces.some((a) => a.inheritance === 0 && a.propagation === 0), `folder itself: ${JSON.stringify(aces)}`);
      assert.ok(aces.some((a) => a.inheritance === 3 && a.propagation === 2), `inherit-only below: ${JSON.stringify(aces)}`);
    }
    // The capability SID is the one state.json records for the workspace.
    const stateJson = readFileSync(path.join(process.env.ProgramData!, INSTANCE, 'state.json'), 'utf8');
    assert.ok(stateJson.includes(capability), 'state.json names the capability SID');
    assert.ok(dpapiCount() >= 2, 'both credentials went through (simulated) DPAPI');
    // Each identity's own profile folders for the workspace (Grant-CorralWorkspace →
    // New-CorralWorkspaceProfile; issue 11 item 6): <profile>\corral-ws\<ws-id> named after the
    // recorded path as core/workspace-id.ts names it, with AppData\Roaming, AppData\Local and
    // Temp; a protected DACL naming the identity and the workspace's capability SID (Modify),
    // never the other identity; corral-ws itself names no capability SID.
    const recordedPath = (JSON.parse(stateJson) as { users: Record<string, { workspaces: Array<{ path: string }> }> }).users;
    const wsPath = Object.values(recordedPath)[0]!.workspaces[0]!.path;
    for (const identity of [offline, online]) {
      const profile = m.profiles[identity.sid];
      assert.ok(profile, `no profile for ${identity.name}: ${JSON.stringify(m.profiles)}`);
      const root = path.join(profile, 'corral-ws', workspaceHomeName(wsPath));
      profileFolders.push(root);
      for (const sub of [['AppData', 'Roaming'], ['AppData', 'Local'], ['Temp']]) assert.ok(existsSync(path.join(root, ...sub)), `${root}/${sub.join('/')}`);
      const acl = m.acls[root];
      assert.ok(acl?.protected, `no protected ACL on ${root}: ${JSON.stringify(acl)}`);
      assert.deepEqual(acl.aces.map((a) => `${a.sid}=${a.rights}/${a.inheritance}`), [
        `${identity.sid}=${0x1f01ff}/3`,
        `${capability}=${0x1301bf}/3`,
        `S-1-5-18=${0x1f01ff}/3`,
        `S-1-5-32-544=${0x1f01ff}/3`,
      ]);
      const container = m.acls[path.join(profile, 'corral-ws')];
      assert.ok(container?.protected, JSON.stringify(container));
      assert.deepEqual(container.aces.map((a) => a.sid), [identity.sid, 'S-1-5-18', 'S-1-5-32-544']);
    }
  });

  it('setup again, by an administrator for --user alice: nothing to do (no step, no elevation, machine unchanged)', async () => {
    const m1 = machine();
    const runs = (elevatedLog().match(/^exit /gm) ?? []).length;
    // --user NAME: lookupWindowsUser through the module's Resolve-CorralRealUser (ConvertTo-CorralSid
    // and the ProfileList key, both simulated); nothing to do means it found alice's SID and home.
    caller = 'admin';
    process.env.CORRAL_SIM_IDENTITY = ADMIN_SID;
    let r;
    try {
      r = await corral(['setup', '--yes', '--json', '--user', 'alice', '--workspace', workspace]);
    } finally {
      caller = 'alice';
      process.env.CORRAL_SIM_IDENTITY = ALICE_SID;
    }
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.changed, false, r.stdout);
    assert.equal(r.json?.realUser, 'alice', r.stdout);
    assert.deepEqual(r.json?.steps ?? [], [], r.stdout);
    assert.equal((elevatedLog().match(/^exit /gm) ?? []).length, runs, 'no elevated run');
    assert.equal(machine(), m1);
  });

  /** The findings of `corral status --json` that are not ok, by id. */
  function findings(json: Record<string, unknown> | null): Record<string, string> {
    const items = (json?.items ?? []) as { id: string; state: string }[];
    return Object.fromEntries(items.filter((i) => i.state !== 'ok').map((i) => [i.id, i.state]));
  }

  it('status on the provisioned machine: every item ok, exit 0', async () => {
    const r = await corral(['status', '--json']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json?.provisioned, true, r.stdout);
    assert.deepEqual(findings(r.json), {}, r.stdout);
  });

  // Each drift is made the way it would happen on Windows (the stand-in of the command an
  // administrator or a tool would run, or an edit of the one ACE), checked, then undone by
  // putting the saved machine back, so the next case and the teardown start from the same state.
  const drifts: { name: string; make: string; finding: RegExp; state: string }[] = [
    {
      name: 'a user deleted (Remove-LocalUser of the offline identity)',
      make: "$u = @((Get-CorralWindowsSimState)['users'].Values | Where-Object { $_['name'] -match 'off' })[0]; Remove-LocalUser -Name $u['name']",
      finding: /^identity:alice:offline$/,
      state: 'missing',
    },
    {
      name: 'a firewall rule removed (Remove-NetFirewallRule of the outbound block)',
      make: "$r = @((Get-CorralWindowsSimState)['firewall']['rules'].Values | Where-Object { $_['Direction'] -eq 'Outbound' -and $_['Action'] -eq 'Block' })[0]; Remove-NetFirewallRule -Name $r['Name']",
      finding: /^firewall:alice$/,
      state: 'drifted',
    },
    {
      name: 'the proxy port rule edited by hand (the TCP loopback block narrowed, so another loopback port opens)',
      make: "$r = @((Get-CorralWindowsSimState)['firewall']['rules'].Keys | Where-Object { $_ -like '*-loopback-tcp' })[0]; Set-NetFirewallRule -Name $r -RemotePort '1-5000', '60000-65535'",
      finding: /^firewall:alice$/,
      state: 'drifted',
    },
    {
      name: 'an ACE removed (the workspace grant of alice\'s group on the folder itself)',
      // Stands for an administrator's icacls /remove of one entry: the state file edited directly.
      make:
        "$s = Get-Content -LiteralPath $env:CORRAL_SIM_STATE -Raw | ConvertFrom-Json -AsHashtable -Depth 50; " +
        "$acl = $s['acls'][$env:T_WS]; $first = @($acl['aces'])[0]; " +
        "$acl['aces'] = @(@($acl['aces']) | Where-Object { -not ($_['sid'] -eq $first['sid'] -and $_['inheritance'] -eq $first['inheritance']) }); " +
        'Set-Content -LiteralPath $env:CORRAL_SIM_STATE -Value (ConvertTo-Json -InputObject $s -Depth 50)',
      finding: /^workspace:alice:/,
      state: 'drifted',
    },
  ];
  for (const drift of drifts) {
    it(`status with drift — ${drift.name}: exit 1 (drift_detected), the item named; 0 again once the machine is back`, async () => {
      const stateFile = process.env.CORRAL_SIM_STATE!;
      const saved = readFileSync(stateFile);
      try {
        simPwsh(drift.make, { T_WS: workspace });
        const r = await corral(['status', '--json']);
        assert.equal(r.code, 1, r.stdout);
        assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'drift_detected', r.stdout);
        const found = findings(r.json);
        const ids = Object.keys(found).filter((id) => drift.finding.test(id));
        assert.equal(ids.length, 1, `expected one finding matching ${drift.finding}: ${JSON.stringify(found)}`);
        assert.equal(found[ids[0]!], drift.state, JSON.stringify(found));
      } finally {
        writeFileSync(stateFile, saved);
      }
      const again = await corral(['status', '--json']);
      assert.equal(again.code, 0, again.stdout);
    });
  }

  /** The state's record of alice, as the module wrote it. */
  function aliceRecord(): { sid: string; identities: Record<'offline' | 'online', { name: string; sid: string }>; workspaces: { path: string; capabilitySid: string }[] } {
    const state = JSON.parse(readFileSync(path.join(process.env.ProgramData!, INSTANCE, 'state.json'), 'utf8')) as {
      users: Record<string, ReturnType<typeof aliceRecord>>;
    };
    const found = Object.values(state.users).find((u) => u.sid === ALICE_SID);
    assert.ok(found, 'state.json records alice by SID');
    return found;
  }

  /** `corral run --json ARGS`, started in `cwd` (the workspace by default). */
  async function run(args: string[], cwd: string = workspace): Promise<Awaited<ReturnType<typeof corral>>> {
    const here = process.cwd();
    process.chdir(cwd);
    try {
      return await corral(['run', '--json', ...args]);
    } finally {
      process.chdir(here);
    }
  }

  describe('corral run up to the launcher (the real provisioned check and launcher; CreateProcessWithLogonW simulated)', () => {
    const layer = () => path.join(workspace, `.${INSTANCE}`);
    before(() => {
      // A workspace layer (tighten-only) that adds a protected name and a shorter timeout, so
      // the request shows the resolved policy, not only the built-in one.
      mkdirSync(layer(), { recursive: true });
      writeFileSync(path.join(layer(), 'config.json'), JSON.stringify({ protected: ['deploy-keys'], limits: { timeoutSec: 7 } }));
      mkdirSync(path.join(workspace, 'pkg'), { recursive: true });
    });
    after(() => {
      rmSync(layer(), { recursive: true, force: true });
      rmSync(path.join(workspace, 'pkg'), { recursive: true, force: true });
    });

    it('a provisioned workspace (from a subdirectory): the launcher logs on the offline identity to start the installed runner, which would read the resolved request', async () => {
      const policy = await corral(['policy', 'show', '--json', '--workspace', workspace]);
      assert.equal(policy.code, 0, policy.stdout);
      const before = launched.length;
      const savedOptions = process.env.NODE_OPTIONS;
      process.env.NODE_OPTIONS = '--require=C:\\Users\\alice\\evil.js';
      let r;
      try {
        r = await run(['--', 'cmd', '/c', 'echo', 'ok'], path.join(workspace, 'pkg'));
      } finally {
        if (savedOptions === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = savedOptions;
      }
      assert.equal(launched.length, before + 1, r.stdout);
      const { launch, password, frame } = launched.at(-1)!;
      // The runner was not started (simulated): corral says so, as for any runner that ends before hello.
      assert.equal(r.code, 1, r.stdout);
      assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'runner_failed', r.stdout);
      assert.match(String((r.json?.error as { message?: string }).message), /simulated Windows: the runner is not started/);

      const record = aliceRecord();
      const offline = Object.values(machineObject().users).find((u) => u.sid === record.identities.offline.sid);
      assert.ok(offline, 'the offline identity is an account on the machine');
      assert.deepEqual(launch.identity, { name: offline.name, sid: offline.sid });
      assert.equal(launch.kind, 'offline');
      assert.equal(launch.domain, '.');
      assert.equal(launch.realUserSid, ALICE_SID);
      assert.equal(launch.credentialFile, path.join(process.env.ProgramData!, INSTANCE, 'credentials', `${ALICE_SID}.json`));
      assert.ok(password.length >= 16, 'the password DPAPI gave back');
      // Only the installed runner, under Program Files, with its entry on the command line.
      const libDir = path.join(process.env.ProgramFiles!, INSTANCE);
      assert.equal(launch.application, path.join(libDir, 'node.exe'));
      assert.equal(launch.cwd, libDir);
      assert.ok(launch.commandLine.includes(path.join(libDir, 'app', 'dist', 'runner', 'main.js')), launch.commandLine);
      assert.ok(existsSync(launch.application), 'Install-CorralRunner copied node.exe there');
      // An explicit environment: Windows' essentials; nothing of the caller's (NODE_OPTIONS).
      assert.deepEqual(Object.keys(launch.environment).sort(), ['ComSpec', 'PATH', 'PATHEXT', 'SystemDrive', 'SystemRoot', 'windir']);
      assert.equal(launch.environment.SystemRoot, 'C:\\Windows');

      // What the runner would read: the open request for the provisioned workspace (picked from
      // the subdirectory), for alice, offline, with the resolved policy's protected names and
      // digest (equal to what `policy show` resolves).
      const { type, request } = await frame;
      assert.equal(type, 'open');
      assert.equal(request.realUser, 'alice');
      assert.equal(request.workspace, workspace);
      assert.ok(record.workspaces.some((w) => w.path === request.workspace), 'the workspace as the state spells it');
      assert.equal(request.network, 'offline');
      assert.equal(request.mode, 'workspace-write');
      const shown = policy.json as { digest: string; policy: { protected: string[] } };
      assert.equal(request.policyDigest, shown.digest);
      assert.deepEqual(request.protected, shown.policy.protected);
      for (const name of ['.git', '.vscode', '.mcp.json', 'deploy-keys']) assert.ok(request.protected.includes(name), `${name} protected: ${JSON.stringify(request.protected)}`);
      assert.equal(request.limits.timeoutSec, 7);
    });

    it('--allow-host: the launcher serves the proxy on the recorded port while the runner runs (the offline identity logs on), and closes it after', async () => {
      const before = launched.length;
      const r = await run(['--workspace', workspace, '--allow-host', 'registry.example', '--', 'cmd', '/c', 'echo', 'ok']);
      assert.equal(launched.length, before + 1, r.stdout);
      const { launch, frame, proxyAnswered } = launched.at(-1)!;
      assert.equal(launch.kind, 'offline');
      assert.deepEqual(launch.identity, aliceRecord().identities.offline);
      assert.equal(launch.proxyPort, proxyPort);
      const { request } = await frame;
      assert.equal(request.network, 'offline');
      assert.deepEqual(request.allowlist?.allow, ['registry.example']);
      assert.equal(await proxyAnswered, true, 'the proxy listened on 127.0.0.1 while the runner ran');
      assert.equal(await accepts(proxyPort), false, 'and is closed once the runner ended');
    });

    it('--allow-host while something else holds the proxy port: port_in_use (exit 2), no logon', async () => {
      const squatter = net.createServer((socket) => socket.end('not the proxy'));
      await new Promise<void>((resolve) => squatter.listen(proxyPort, '127.0.0.1', () => resolve()));
      try {
        const before = launched.length;
        const r = await run(['--workspace', workspace, '--allow-host', 'registry.example', '--', 'cmd', '/c', 'echo', 'ok']);
        assert.equal(r.code, 2, r.stdout);
        const error = r.json?.error as { code?: string; message?: string } | undefined;
        assert.equal(error?.code, 'port_in_use', r.stdout);
        assert.match(String(error?.message), new RegExp(`proxy's port ${proxyPort} is not free`));
        assert.equal(launched.length, before, 'the runner was not started');
      } finally {
        await new Promise<void>((resolve) => squatter.close(() => resolve()));
      }
    });

    it('--network online: the online identity logs on, and the request says online', async () => {
      const before = launched.length;
      const r = await run(['--workspace', workspace, '--network', 'online', '--', 'cmd', '/c', 'echo', 'ok']);
      assert.equal(launched.length, before + 1, r.stdout);
      const { launch, frame } = launched.at(-1)!;
      assert.deepEqual(launch.identity, aliceRecord().identities.online);
      assert.equal(launch.kind, 'online');
      assert.equal((await frame).request.network, 'online');
    });

    it('a workspace that is not provisioned: not_provisioned (exit 3), no logon', async () => {
      const other = path.join(home, 'other');
      mkdirSync(other, { recursive: true });
      try {
        const before = launched.length;
        const r = await run(['--workspace', other, '--', 'cmd', '/c', 'echo', 'ok'], other);
        assert.equal(r.code, 3, r.stdout);
        assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'not_provisioned', r.stdout);
        assert.equal(launched.length, before, 'the launcher was not asked');
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    const identityDrifts = [
      { name: 'deleted (Remove-LocalUser)', make: "Remove-LocalUser -Name $env:T_ID", win32: 1326 },
      { name: 'disabled (Disable-LocalUser)', make: "Disable-LocalUser -Name $env:T_ID", win32: 1331 },
    ];
    for (const drift of identityDrifts) {
      it(`the offline identity ${drift.name} since setup: drift_detected (exit 1) naming it, the logon refused (Win32 ${drift.win32}), no runner`, async () => {
        const stateFile = process.env.CORRAL_SIM_STATE!;
        const saved = readFileSync(stateFile);
        const identity = aliceRecord().identities.offline.name;
        try {
          simPwsh(drift.make, { T_ID: identity });
          const before = launched.length;
          const r = await run(['--workspace', workspace, '--', 'cmd', '/c', 'echo', 'ok']);
          assert.equal(r.code, 1, r.stdout);
          const error = r.json?.error as { code?: string; message?: string } | undefined;
          assert.equal(error?.code, 'drift_detected', r.stdout);
          assert.ok(error?.message?.includes(identity), r.stdout);
          assert.ok(error?.message?.includes(`Win32 error ${drift.win32}`), r.stdout);
          assert.equal(launched.length, before, 'no runner started');
          // status names the same item.
          const status = await corral(['status', '--json']);
          assert.equal(status.code, 1, status.stdout);
          assert.ok(Object.keys(findings(status.json)).includes('identity:alice:offline'), status.stdout);
        } finally {
          writeFileSync(stateFile, saved);
        }
      });
    }
  });

  // Issue 13 item 8 on Windows: a second workspace set up, then taken back alone.
  describe('setup --remove-workspace (two workspaces, one removed; the other kept)', () => {
    let second = '';
    /** The machine before the second workspace was set up: what its removal must give back. */
    let beforeSecond = '';
    const secondFolders: string[] = [];
    const victim = () => path.join(root, 'victim');

    before(() => {
      // Outside alice's home, below a folder only it needs (root/work): its traverse ACE goes with it.
      second = path.join(root, 'work', 'proj');
      simPwsh('$null = New-Item -ItemType Directory -Path $env:T_WS -Force; Set-SimOwner -Path $env:T_WS -Sid $env:T_SID', { T_WS: second, T_SID: ALICE_SID });
      mkdirSync(path.join(victim(), 'sub'), { recursive: true });
      writeFileSync(path.join(victim(), 'sub', 'precious.dll'), 'not Corral\'s');
      beforeSecond = machine();
    });
    after(() => {
      // Gone from disk, their (simulated) ACLs go too: teardown's check compares with the machine before setup.
      rmSync(path.join(root, 'work'), { recursive: true, force: true });
      rmSync(victim(), { recursive: true, force: true });
    });

    it('setup --workspace for the second workspace: both are provisioned, status is clean', async () => {
      const r = await corral(['setup', '--yes', '--json', '--workspace', second]);
      assert.equal(r.code, 0, `${r.stdout}\n${elevatedLog()}`);
      const record = aliceRecord();
      assert.deepEqual(record.workspaces.map((w) => w.path).sort(), [workspace, second].sort());
      const m = machineObject();
      assert.ok(m.acls[path.join(root, 'work')]?.aces.length, 'root/work has the traverse ACE');
      for (const kind of ['offline', 'online'] as const) {
        const folder = path.join(m.profiles[record.identities[kind].sid]!, 'corral-ws', workspaceHomeName(second));
        assert.ok(existsSync(folder), folder);
        secondFolders.push(folder);
      }
      const status = await corral(['status', '--json']);
      assert.equal(status.code, 0, status.stdout);
      assert.deepEqual(findings(status.json), {}, status.stdout);
    });

    it('--dry-run: the plan (revoke the workspace, the traverse ACE only it needed), nothing changed, nothing elevated', async () => {
      const m1 = machine();
      const runs = (elevatedLog().match(/^exit /gm) ?? []).length;
      const r = await corral(['setup', '--remove-workspace', second, '--dry-run', '--json']);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(r.json?.dryRun, true, r.stdout);
      assert.equal(r.json?.workspace, second);
      const steps = (r.json?.changes ?? []) as { id: string; title: string }[];
      assert.deepEqual(steps.map((s) => s.id), [`revoke-workspace:${second}`, `revoke-traverse:${second}`], r.stdout);
      assert.ok(steps[1]!.title.includes(path.join(root, 'work')), steps[1]!.title);
      assert.ok(!steps[1]!.title.includes(home), 'alice\'s home stays traversable (the first workspace needs it)');
      assert.equal(machine(), m1);
      assert.equal((elevatedLog().match(/^exit /gm) ?? []).length, runs);
    });

    it('without --yes off a terminal: usage (exit 2), nothing changed', async () => {
      const m1 = machine();
      const r = await corral(['setup', '--remove-workspace', second, '--json']);
      assert.equal(r.code, 2, r.stdout);
      assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'usage', r.stdout);
      assert.equal(machine(), m1);
    });

    it('while a session of alice runs (a process of her online identity): workspace_in_use (exit 1), nothing changed', async () => {
      const stateFile = process.env.CORRAL_SIM_STATE!;
      const saved = readFileSync(stateFile);
      const online = aliceRecord().identities.online.name;
      simPwsh(
        "$s = Get-Content -LiteralPath $env:CORRAL_SIM_STATE -Raw | ConvertFrom-Json -AsHashtable -Depth 50; $s['processes'] = @(@{ pid = 4711; user = $env:T_ID }); " +
          'Set-Content -LiteralPath $env:CORRAL_SIM_STATE -Value (ConvertTo-Json -InputObject $s -Depth 50)',
        { T_ID: online },
      );
      const m1 = machine();
      try {
        const r = await corral(['setup', '--remove-workspace', second, '--yes', '--json']);
        assert.equal(r.code, 1, `${r.stdout}\n${elevatedLog()}`);
        const error = r.json?.error as { code?: string; message?: string } | undefined;
        assert.equal(error?.code, 'workspace_in_use', r.stdout);
        assert.match(error?.message ?? '', /4711/);
        assert.equal(machine(), m1);
        assert.ok(aliceRecord().workspaces.some((w) => w.path === second), 'still recorded');
      } finally {
        writeFileSync(stateFile, saved);
      }
    });

    it('a step failing half-way (an ACE that cannot be removed): step_failed; what is left is seen, unelevated, as a removal to finish', async () => {
      // A sandboxed session could leave a junction in its own profile folder, to a folder that is not Corral's.
      symlinkSync(victim(), path.join(secondFolders[0]!, 'AppData', 'Roaming', 'escape'));
      process.env.CORRAL_SIM_FAIL_ACE_REMOVAL = second;
      let r;
      try {
        r = await corral(['setup', '--remove-workspace', second, '--yes', '--json']);
      } finally {
        delete process.env.CORRAL_SIM_FAIL_ACE_REMOVAL;
      }
      assert.equal(r.code, 1, `${r.stdout}\n${elevatedLog()}`);
      assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'step_failed', r.stdout);
      // Revoke-CorralWorkspace's order: the record and the profile folders went, the ACEs did not.
      assert.deepEqual(aliceRecord().workspaces.map((w) => w.path), [workspace]);
      for (const folder of secondFolders) assert.equal(existsSync(folder), false, `${folder} is left`);
      assert.ok(machineObject().acls[second]?.aces.length, 'the ACEs are still there');
      const dry = await corral(['setup', '--remove-workspace', second, '--dry-run', '--json']);
      assert.equal(dry.code, 0, dry.stdout);
      assert.deepEqual(((dry.json?.changes ?? []) as { id: string }[]).map((c) => c.id), [`revoke-workspace:${second}`, `revoke-traverse:${second}`], dry.stdout);
      assert.match(((dry.json?.warnings ?? []) as string[]).join('\n'), /no longer recorded: finishing a removal that stopped half-way/);
    });

    it('--yes again: one elevated run finishes it, and the machine is exactly as before the second setup; the link left in the profile folder was not followed', async () => {
      const runs = (elevatedLog().match(/^exit /gm) ?? []).length;
      const r = await corral(['setup', '--remove-workspace', second, '--yes', '--json']);
      assert.equal(r.code, 0, `${r.stdout}\n${elevatedLog()}`);
      assert.equal(r.json?.changed, true, r.stdout);
      assert.equal(r.json?.workspace, second);
      assert.equal((elevatedLog().match(/^exit /gm) ?? []).length, runs + 1, 'one elevated run');
      // The machine as before the second setup: its ACEs (grant, deny entries, root/work's
      // traverse), its profile folders and their ACLs gone; identities, groups, firewall rules,
      // the first workspace's grants, traverse and folders as they were.
      assert.equal(machine(), beforeSecond);
      for (const folder of secondFolders) assert.equal(existsSync(folder), false, `${folder} is left`);
      for (const folder of profileFolders) assert.ok(existsSync(folder), `${folder} (the first workspace's) is kept`);
      assert.ok(existsSync(path.join(victim(), 'sub', 'precious.dll')), 'the link was removed as a link');
      assert.deepEqual(aliceRecord().workspaces.map((w) => w.path), [workspace]);
    });

    it('status is clean afterwards, and the first workspace still runs up to the launcher', async () => {
      const status = await corral(['status', '--json']);
      assert.equal(status.code, 0, status.stdout);
      assert.deepEqual(findings(status.json), {}, status.stdout);
      const before = launched.length;
      const r = await run(['--', 'cmd', '/c', 'echo', 'ok']);
      assert.equal(launched.length, before + 1, r.stdout);
      const { launch, frame } = launched.at(-1)!;
      assert.deepEqual(launch.identity, aliceRecord().identities.offline);
      assert.equal((await frame).request.workspace, workspace);
    });

    it('the removed workspace: corral run is not_provisioned (exit 3, no logon), and removing it again names it (exit 3)', async () => {
      const before = launched.length;
      const r = await run(['--workspace', second, '--', 'cmd', '/c', 'echo', 'ok'], second);
      assert.equal(r.code, 3, r.stdout);
      assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'not_provisioned', r.stdout);
      assert.equal(launched.length, before, 'the launcher was not asked');
      const again = await corral(['setup', '--remove-workspace', second, '--yes', '--json']);
      assert.equal(again.code, 3, again.stdout);
      const error = again.json?.error as { code?: string; message?: string; remedy?: string } | undefined;
      assert.equal(error?.code, 'not_provisioned', again.stdout);
      assert.equal(error?.message, `${second} is not a provisioned workspace of alice`);
      assert.match(error?.remedy ?? '', new RegExp(`alice's provisioned workspaces: ${workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    });
  });

  // Nested suites run after the outer suite's own tests, in order: run, then teardown.
  describe('teardown', () => {
    it('teardown --yes: the machine is exactly as before setup, and Corral\'s folders are gone', async () => {
      const r = await corral(['teardown', '--yes', '--json']);
      assert.equal(r.code, 0, `${r.stdout}\n${elevatedLog()}`);
      assert.equal(r.json?.changed, true, r.stdout);
      assert.equal(machine(), initial);
      assert.equal(profileFolders.length, 2);
      for (const folder of profileFolders) assert.equal(existsSync(folder), false, `${folder} is left`);
      const left = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
      assert.deepEqual(left(process.env.ProgramData!), []);
      assert.deepEqual(left(process.env.ProgramFiles!), []);
    });

    it('corral run after teardown: not_provisioned (exit 3), no logon', async () => {
      const before = launched.length;
      const r = await run(['--workspace', workspace, '--', 'cmd', '/c', 'echo', 'ok']);
      assert.equal(r.code, 3, r.stdout);
      assert.equal((r.json?.error as { code?: string } | undefined)?.code, 'not_provisioned', r.stdout);
      assert.equal(launched.length, before, 'the launcher was not asked');
    });
  });
});
