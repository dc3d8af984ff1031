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
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { identityNames } from '../../../orchestrator/identities.js';
import { linuxInstallation } from '../../../core/installation.js';

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
      // Fallback, whatever teardown managed: every name this installation could have used.
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
