/**
 * Fixtures for the provisioning integration suite (test/integration/provision-*.test.ts):
 * a private installation name, a throwaway real user with a 0750 home and a workspace,
 * machine snapshots (/etc/passwd, /etc/group, `nft list ruleset`, getfacl of the home),
 * the built CLI run as a child process, and a cleanup that removes everything even when
 * teardown itself failed.
 *
 * Other suites (and other engineers' runs) may create and remove their own test accounts
 * and nft tables on the same machine at the same time; snapshot comparisons ignore lines
 * and tables named like test installations (`ct…`, `cbench…`, `cdemo…`) that are not ours — never
 * anything of our installation or user, and never any other line.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { releaseIdentityHomeImages } from '../../../runner/linux/home-image.js';
import { identityNames } from '../../../orchestrator/identities.js';
import { linuxInstallation } from '../../../core/installation.js';
import { Journal } from '../../../orchestrator/journal.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../orchestrator/cli/main.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tryRun(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // cleanup: absent is fine
  }
}

export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; asUser?: string } = {}): Promise<CliResult> {
  const [cmd, argv] = opts.asUser !== undefined ? ['runuser', ['-u', opts.asUser, '--', process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? '/', env: { ...process.env, CI: 'true', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

export function describeResult(r: CliResult): string {
  return `status ${r.status}${r.signal !== null ? ` signal ${r.signal}` : ''}; stdout ${JSON.stringify(r.stdout.slice(0, 1500))}; stderr ${JSON.stringify(r.stderr.slice(0, 1500))}`;
}

export class ProvisionFixture {
  readonly instance = `ctest${randomBytes(3).toString('hex')}`;
  readonly inst = linuxInstallation(this.instance);
  readonly userName = `ctp${randomBytes(3).toString('hex')}`;
  uid = -1;
  gid = -1;
  home = '';
  workspace = '';

  get names() {
    return identityNames(this.inst, this.userName);
  }

  createUser(): void {
    sh('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', this.userName]);
    const f = sh('getent', ['passwd', this.userName]).trim().split(':');
    this.uid = Number(f[2]);
    this.gid = Number(f[3]);
    this.home = f[5]!;
    sh('chmod', ['0750', this.home]);
    this.workspace = path.join(this.home, 'ws');
  }

  /**
   * `corral …` as root on behalf of the test user. The workspace access mechanism is forced
   * to ACL grants (what this suite checks); the idmap mechanism has its own suite.
   */
  corral(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runCli(args, {
      cwd: this.workspace,
      env: { CORRAL_INSTANCE: this.instance, SUDO_USER: this.userName, CORRAL_TEST_WORKSPACE_ACCESS: 'acl', ...env },
    });
  }

  async cleanup(): Promise<void> {
    try {
      const r = await this.corral(['teardown', '--yes', '--json']);
      if (r.status !== 0) console.error(`      teardown in cleanup: ${describeResult(r)}`);
    } finally {
      // Fallback, whatever teardown managed: every name this installation could have used
      // (bounded workspace homes are mounts: unmounted before any rm).
      for (const n of [this.names.offline, this.names.online]) releaseIdentityHomeImages(this.inst, n, `${this.inst.homeBase}/${n}`);
      for (const n of [this.names.offline, this.names.online]) tryRun('userdel', [n]);
      for (const g of [this.inst.sandboxGroup, this.inst.userGroup]) tryRun('groupdel', [g]);
      tryRun('nft', ['delete', 'table', 'inet', this.inst.firewallGroup]);
      for (const p of [this.inst.stateDir, this.inst.libDir, this.inst.sudoersFile]) rmSync(p, { recursive: true, force: true });
      tryRun('userdel', ['--remove', this.userName]);
      rmSync(this.home, { recursive: true, force: true });
    }
  }

  /** Lines of our installation or user (never tolerated as a difference). */
  isOurs(line: string): boolean {
    return line.includes(this.instance) || line.includes(this.userName);
  }
}

export interface Snapshot {
  passwd: string;
  group: string;
  nft: string;
  acl: string;
}

export function snapshot(fx: ProvisionFixture): Snapshot {
  return {
    passwd: readFileSync('/etc/passwd', 'utf8'),
    group: readFileSync('/etc/group', 'utf8'),
    nft: sh('nft', ['list', 'ruleset']),
    acl: sh('getfacl', ['-R', '-p', '-n', '/home', fx.home]),
  };
}

/** Names other suites give their installations and users on this machine (ctest…, ctu…, cbench, cdemo…). */
const OTHER_TEST_NAME = /^c(t|bench|demo)[a-z0-9-]*:/;

/** Another suite's test account or group, created concurrently on this machine. */
function othersTestLine(fx: ProvisionFixture, line: string): boolean {
  return OTHER_TEST_NAME.test(line) && !fx.isOurs(line);
}

/** `after` has every line of `before`, in order, and nothing else but other suites' test accounts. */
export function assertSameLines(label: string, fx: ProvisionFixture, before: string, after: string): void {
  const a = after.split('\n').filter((l) => !othersTestLine(fx, l));
  const b = before.split('\n').filter((l) => !othersTestLine(fx, l));
  assert.deepEqual(a, b, `${label} differs from its snapshot before setup`);
}

/** Split `nft list ruleset` into top-level table blocks. */
function tables(ruleset: string): string[] {
  return ruleset.split(/\n(?=table )/).map((t) => t.trim()).filter((t) => t !== '');
}

export function assertSameRuleset(fx: ProvisionFixture, before: string, after: string): void {
  const keep = (t: string) => !(/^table inet c(t|bench|demo)[a-z0-9]* /.test(t) && !t.startsWith(`table inet ${fx.instance} `));
  assert.deepEqual(tables(after).filter(keep), tables(before).filter(keep), 'nft list ruleset differs from its snapshot before setup');
}

/**
 * Everything setup touches, for byte-for-byte comparison (the crash suite): the account
 * databases (passwd, group, shadow, gshadow), the ruleset, ACLs of /home, the user's home
 * (recursive: workspace and its entries) and every file tree Corral writes — sudoers drop-in,
 * runner copy, state directory (journal, state.json, identity homes), /run/<installation>
 * (the setup lock) — listed with type, mode, owner, size and a SHA-256 of each file.
 */
export interface MachineSnapshot {
  [part: string]: string;
}

function treeOf(root: string): string {
  const r = spawnSync('find', [root, '-printf', '%y %m %U %G %s %P -> %l\\n'], { encoding: 'utf8' });
  if (r.status !== 0 && /No such file/.test(r.stderr)) return 'absent';
  const lines = r.stdout.split('\n').filter((l) => l !== '').sort();
  const sums = spawnSync('find', [root, '-type', 'f', '-exec', 'sha256sum', '{}', '+'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '').sort();
  return [...lines, ...sums].join('\n');
}

export function machineSnapshot(fx: ProvisionFixture): MachineSnapshot {
  return {
    passwd: readFileSync('/etc/passwd', 'utf8'),
    group: readFileSync('/etc/group', 'utf8'),
    shadow: readFileSync('/etc/shadow', 'utf8'),
    gshadow: readFileSync('/etc/gshadow', 'utf8'),
    nft: sh('nft', ['list', 'ruleset']),
    homeAcl: sh('getfacl', ['-p', '-n', '/home']),
    userHomeAcl: sh('getfacl', ['-R', '-p', '-n', fx.home]),
    userHome: treeOf(fx.home),
    sudoers: treeOf(fx.inst.sudoersFile),
    runner: treeOf(fx.inst.libDir),
    stateDir: treeOf(fx.inst.stateDir),
    runDir: treeOf(`/run/${fx.instance}`),
  };
}

/** Byte-identical, but for lines of other suites' concurrent test accounts and tables. */
export function assertSameMachine(fx: ProvisionFixture, before: MachineSnapshot, after: MachineSnapshot, when: string): void {
  for (const part of ['passwd', 'group', 'shadow', 'gshadow']) {
    const keep = (text: string) => text.split('\n').filter((l) => !othersTestLine(fx, l));
    assert.deepEqual(keep(after[part]!), keep(before[part]!), `${when}: /etc/${part} differs from before`);
  }
  const keepTable = (t: string) => !(/^table inet c(t|bench|demo)[a-z0-9]* /.test(t) && !t.startsWith(`table inet ${fx.instance} `));
  assert.deepEqual(tables(after.nft!).filter(keepTable), tables(before.nft!).filter(keepTable), `${when}: nft ruleset differs from before`);
  for (const part of ['homeAcl', 'userHomeAcl', 'userHome', 'sudoers', 'runner', 'stateDir', 'runDir']) {
    assert.equal(after[part], before[part], `${when}: ${part} differs from before`);
  }
}

/**
 * Real crashes at exact points without a kill switch in the product: the CLI (as root for the
 * fixture's user) under `strace -P <journal> -e trace=write`, which sees only write(2) calls on
 * the journal file; `inject=write:signal=SIGKILL:when=K` kills it on entry to the K-th.
 */
/** `corral <args>` as root for the fixture's user, under strace on the journal file. */
export function straced(fx: ProvisionFixture, args: string[], strace: string[], trace: { paths: string[]; syscalls: string } = { paths: [Journal.inDir(fx.inst.stateDir).file], syscalls: 'write' }): Promise<CliResult> {
  const argv = ['-qq', '-s', '4096', ...trace.paths.flatMap((p) => ['-P', p]), '-e', `trace=${trace.syscalls}`, ...strace, process.execPath, CLI, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('strace', argv, {
      cwd: fx.workspace,
      env: { ...process.env, CI: 'true', CORRAL_INSTANCE: fx.instance, SUDO_USER: fx.userName, CORRAL_TEST_WORKSPACE_ACCESS: 'acl' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Killed on entry to the first of `syscalls` on `path` (e.g. the unlink of the journal). */
export async function killedAtSyscall(fx: ProvisionFixture, args: string[], path: string, syscalls: string): Promise<void> {
  const r = await straced(fx, args, ['-o', '/dev/null', '-e', `inject=${syscalls}:signal=SIGKILL:when=1`], { paths: [path], syscalls });
  assert.ok(r.signal === 'SIGKILL' || r.status === 137, `expected a SIGKILL at ${syscalls} of ${path}: ${describeResult(r)}`);
}

/** Killed on entry to its `k`-th journal write (1-based). */
export async function killedAtWrite(fx: ProvisionFixture, args: string[], k: number): Promise<void> {
  const r = await straced(fx, args, ['-o', '/dev/null', '-e', `inject=write:signal=SIGKILL:when=${k}`]);
  // strace re-raises the tracee's fatal signal on itself.
  assert.ok(r.signal === 'SIGKILL' || r.status === 137, `expected a SIGKILL at journal write ${k}: ${describeResult(r)}`);
}

