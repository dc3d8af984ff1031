/**
 * Fixtures for the end-to-end enforcement suite (test/integration/run-*.test.ts): a private
 * installation (CORRAL_INSTANCE=ctest…), a real test user with a workspace, provisioned with the
 * real `corral setup`, and helpers that run the real `corral` CLI — as root on the user's behalf
 * (SUDO_USER, as `sudo corral run` would) or as the user itself through the sudo rule.
 *
 * Everything created is removed in `after` hooks (teardown, userdel), even when tests fail.
 * Missing pieces of the product (setup not built, runner not installed) make `before` fail with
 * the exact reason — never a vacuous pass.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionRequest } from '../../../core/protocol.js';
import { linuxInstallation } from '../../../core/installation.js';
import { identityNames } from '../../../orchestrator/identities.js';
import { releaseIdentityHomeImages } from '../../../runner/linux/home-image.js';

/** dist/test/integration/helpers → the built CLI. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../orchestrator/cli/main.js');
export const NODE = process.execPath;

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Call in a `before`: skips the suite (with the reason in the report) when not root. */
export function requireRoot(ctx: Mocha.Context): void {
  if (!isRoot()) {
    console.log('      (skipped: needs root — the suite creates users, nft rules and namespaces)');
    ctx.skip();
  }
}

export function hex(bytes = 2): string {
  return randomBytes(bytes).toString('hex');
}

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function getentPasswd(name: string): TestUser {
  const f = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/** A real login user with a home (mode 0750, as Ubuntu/Fedora make them). */
export function createUser(prefix: string): TestUser {
  const name = `${prefix}${hex(3)}`;
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', name], { stdio: 'pipe' });
  const user = getentPasswd(name);
  execFileSync('chmod', ['0750', user.home]);
  return user;
}

export function removeUser(user: TestUser | undefined): void {
  if (user === undefined) return;
  try {
    execFileSync('pkill', ['-KILL', '-u', user.name], { stdio: 'ignore' });
  } catch {
    // no processes
  }
  try {
    execFileSync('userdel', ['--remove', user.name], { stdio: 'pipe' });
  } catch {
    rmSync(user.home, { recursive: true, force: true });
  }
}

/** A directory owned by `user` (created by root, then chowned). */
export function userDir(user: TestUser, dir: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  chownSync(dir, user.uid, user.gid);
  return realpathSync(dir);
}

export function userFile(user: TestUser, file: string, content: string | Buffer, mode = 0o644): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  chownSync(file, user.uid, user.gid);
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: Buffer | string;
  /** Run as this user (runuser -u, which sets its groups from the group database), not as root. */
  asUser?: TestUser;
  cwd?: string;
  /** Kill the program after this long: a safety net only (tests never assert times). */
  killAfterMs?: number;
}

/** Run a program; resolves with its status and output. */
export function runProgram(file: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  const [cmd, cmdArgs] = opts.asUser !== undefined ? ['runuser', ['-u', opts.asUser.name, '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd ?? '/',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** A private installation with one provisioned test user and workspace. */
export class TestInstallation {
  readonly instance = `ctest${hex(3)}`;
  readonly user: TestUser;
  readonly workspace: string;
  readonly cliPath = CLI;
  private provisioned = false;

  constructor(userPrefix = 'ctu') {
    this.user = createUser(userPrefix);
    this.workspace = userDir(this.user, path.join(this.user.home, 'ws'));
  }

  /** Environment of a CLI run as root on the user's behalf (as `sudo corral …` would have). */
  rootEnv(): Record<string, string> {
    return {
      CORRAL_INSTANCE: this.instance,
      SUDO_USER: this.user.name,
      SUDO_UID: String(this.user.uid),
      SUDO_GID: String(this.user.gid),
    };
  }

  /** `corral <args>` as root for the test user. */
  corral(args: string[], opts: RunOptions = {}): Promise<Result> {
    return runProgram(NODE, [CLI, ...args], { cwd: this.workspace, ...opts, env: { ...this.rootEnv(), ...opts.env } });
  }

  /** `corral <args>` as `user` itself (non-root, through the sudo rule). */
  corralAs(user: TestUser, args: string[], opts: RunOptions = {}): Promise<Result> {
    return runProgram(NODE, [CLI, ...args], {
      cwd: this.workspace,
      ...opts,
      asUser: user,
      env: { CORRAL_INSTANCE: this.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '', ...opts.env },
    });
  }

  /** `corral run [flags] -- argv` as root for the test user, in the workspace. */
  run(argv: string[], flags: string[] = [], opts: RunOptions = {}): Promise<Result> {
    return this.corral(['run', '--workspace', this.workspace, ...flags, '--', ...argv], opts);
  }

  /** End the test user's kept sessions (`corral session stop --all` as root for them): their runners are identity processes. */
  async stopKeptSessions(): Promise<void> {
    const r = await this.corral(['session', 'stop', '--all']);
    if (r.status !== 0) throw new Error(`corral session stop --all exited ${r.status}: ${r.stderr}`);
  }

  async setup(extraArgs: string[] = []): Promise<void> {
    this.provisioned = true; // even a failed setup may have changed things: always tear down
    const r = await this.corral(['setup', '--yes', '--user', this.user.name, '--workspace', this.workspace, ...extraArgs], {
      killAfterMs: 600_000,
    });
    if (r.status !== 0) {
      throw new Error(`\`corral setup\` (instance ${this.instance}) exited ${r.status}: ${r.stderr.trim() || r.stdout.toString().trim()}`);
    }
    for (const file of [`/usr/local/lib/${this.instance}/bin/node`, `/usr/local/lib/${this.instance}/app/dist/runner/main.js`]) {
      if (!existsSync(file)) throw new Error(`setup succeeded but the runner is not installed: ${file} is missing`);
    }
  }

  /**
   * A hand-made open request of the test user, as a member could send the runner directly
   * (tests of the runner's own checks): offline, the workspace writable, `overrides` on top.
   */
  openRequest(overrides: Partial<SessionRequest> = {}): SessionRequest {
    return {
      version: 1,
      realUser: this.user.name,
      network: 'offline',
      mode: 'workspace-write',
      workspace: this.workspace,
      writableRoots: [],
      protected: ['.git', '.corral', '.env'],
      denyRead: [],
      loopback: 'private',
      limits: { timeoutSec: 600, maxOutputBytes: 1024 * 1024, pids: 256 },
      policyDigest: 'test',
      ...overrides,
    };
  }

  /** An identity account of the test user, from the state file setup wrote. */
  identity(kind: 'offline' | 'online'): TestUser {
    const state = JSON.parse(readFileSync(`/var/lib/${this.instance}/state.json`, 'utf8')) as {
      users: Record<string, { identities: Record<string, { name: string }> }>;
    };
    return getentPasswd(state.users[this.user.name]!.identities[kind]!.name);
  }

  async teardown(): Promise<void> {
    try {
      if (this.provisioned) {
        const r = await this.corral(['teardown', '--yes'], { killAfterMs: 600_000 });
        if (r.status !== 0) console.error(`corral teardown (instance ${this.instance}) exited ${r.status}: ${r.stderr}`);
      }
    } finally {
      // Whatever teardown managed: bounded workspace homes are mounts in the host's namespace.
      const inst = linuxInstallation(this.instance);
      const names = identityNames(inst, this.user.name);
      for (const n of [names.offline, names.online]) releaseIdentityHomeImages(inst, n, `${inst.homeBase}/${n}`);
      removeUser(this.user);
    }
  }
}

/** Poll `check` until it holds or the attempts run out (for processes to be reaped; no timing asserted). */
export async function eventually(check: () => boolean, attempts = 50, delayMs = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return check();
}

/**
 * The processes of a sandbox identity (`pgrep -a -u`), one per line, but for session runners: a
 * kept session's runner stays for the next corral run (run-reuse.test.ts), while what a command
 * started must be gone.
 */
export function commandProcesses(identity: string): string {
  try {
    return execFileSync('pgrep', ['-a', '-u', identity], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => l !== '' && !/^\d+ \/usr\/local\/lib\/[a-z0-9]+\/bin\/node \/usr\/local\/lib\/[a-z0-9]+\/app\/dist\/runner\/main\.js$/.test(l))
      .join('\n');
  } catch {
    return '';
  }
}

/** Pids whose whole command line is `cmdline` (pgrep -f -x). */
export function pgrep(cmdline: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', '-x', cmdline], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Describe a CLI result for assertion messages. */
export function show(r: Result): string {
  return `status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}; stdout ${JSON.stringify(r.stdout.toString('utf8').slice(0, 400))}; stderr ${JSON.stringify(r.stderr.slice(0, 800))}`;
}
