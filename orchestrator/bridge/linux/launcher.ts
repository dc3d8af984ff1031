/**
 * The Linux privilege bridge: starts the session runner as root, which confines itself and
 * drops to the sandbox identity before it runs anything (DESIGN.md §Linux mechanisms).
 *
 * - As root: the installed Node and runner entry are spawned directly; the real user is
 *   passed the way sudo would pass it (SUDO_UID, SUDO_GID, SUDO_USER).
 * - Otherwise: `sudo -n <runnerNode> <runnerEntry>`, argv exactly as the sudoers rule names
 *   it (`%<inst> ALL=(root) NOPASSWD: <node> <entry>`); -n so sudo never prompts — a user the
 *   rule does not admit gets a clear not_permitted, never a password prompt.
 *
 * The runner starts detached (setsid): no controlling terminal, not in the caller's process group
 * (see start()). Only stdin/stdout/stderr (pipes) reach the runner: Node opens its own descriptors
 * close-on-exec, and sudo closes everything above 2 anyway. The runner's environment is a
 * fixed minimal one: nothing of the caller's environment reaches root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import type { RealUser, RunnerLauncher, RunnerProcess } from '../../platform.js';
import type { SessionRequest } from '../../../core/protocol.js';

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SUDO_CANDIDATES = ['/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo'];

/** sudo's refusals (sudo 1.9 wording), when -n keeps it from asking for a password. */
const SUDO_REFUSALS: readonly RegExp[] = [
  /a password is required/i,
  /is not in the sudoers file/i,
  /is not allowed to (execute|run sudo)/i,
  /may not run sudo/i,
  /a terminal is required/i,
];
/** sudo cannot become root at all: no_new_privs (e.g. inside a sandbox) or a nosuid mount. */
const SUDO_CANNOT_ELEVATE = /effective uid is not 0|no new privileges|nosuid/i;

export interface LaunchPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  viaSudo: boolean;
}

/** What to execute; pure, so tests can check the exact argv the sudoers rule must match. */
export function launchPlan(installation: Installation, realUser: RealUser, ownUid: number, sudoPath: string): LaunchPlan {
  if (ownUid === 0) {
    const env: Record<string, string> = { PATH: SAFE_PATH, LANG: 'C.UTF-8' };
    if (realUser.uid !== undefined && realUser.uid !== 0) {
      env.SUDO_UID = String(realUser.uid);
      env.SUDO_GID = String(realUser.gid ?? realUser.uid);
      env.SUDO_USER = realUser.name;
    }
    return { file: installation.runnerNode, args: [installation.runnerEntry], env, viaSudo: false };
  }
  return { file: sudoPath, args: ['-n', installation.runnerNode, installation.runnerEntry], env: { PATH: SAFE_PATH, LANG: 'C.UTF-8' }, viaSudo: true };
}

function findSudo(): string | undefined {
  return SUDO_CANDIDATES.find((p) => existsSync(p));
}

/** not_permitted for sudo refusals, with what to do; undefined for anything else. */
export function explainSudoRefusal(installation: Installation, realUser: string, stderr: string): CorralError | undefined {
  const firstLine = stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  if (SUDO_CANNOT_ELEVATE.test(stderr)) {
    return new CorralError(
      'not_permitted',
      `sudo cannot raise privileges here (${firstLine}); this happens inside a sandbox or under no_new_privs — run corral from a normal shell`,
      { details: { sudo: firstLine } },
    );
  }
  if (!SUDO_REFUSALS.some((re) => re.test(stderr))) return undefined;
  return new CorralError(
    'not_permitted',
    `${realUser} may not start Corral sessions: sudo refused to start the session runner (${firstLine}). ` +
      `The rule in ${installation.sudoersFile} admits members of group ${installation.userGroup}; ask an administrator to run ` +
      `\`corral setup --user ${realUser}\`, then log in again so the new group membership applies.`,
    { details: { sudo: firstLine, group: installation.userGroup } },
  );
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** `getent group NAME`, or null when there is no such group. */
export function lookupGroup(name: string): GroupEntry | null {
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!;
    const f = line.split(':');
    return { name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') };
  } catch (err) {
    if ((err as { status?: number }).status === 2) return null;
    throw new CorralError('tool_missing', `getent could not be run (package libc-bin): ${(err as Error).message}`, { cause: err });
  }
}

/**
 * May this (non-root) process start sessions? Pure decision from the facts: the user group, the
 * process's groups (what sudo sees), and the user's primary gid.
 */
export function permissionVerdict(
  installation: Installation,
  realUser: RealUser,
  group: GroupEntry | null,
  processGroups: number[],
  sandboxGroup: GroupEntry | null = null,
): CorralError | null {
  // A sandbox identity (primary group: the installation's sandbox group) is a command inside a
  // session calling corral again: say that, not "ask an administrator to set up <identity>".
  if (sandboxGroup !== null && (realUser.gid === sandboxGroup.gid || processGroups.includes(sandboxGroup.gid))) {
    return new CorralError('already_sandboxed', `corral was started inside a Corral sandbox (as ${realUser.name}, a sandbox identity of installation ${installation.name})`, {
      details: { identity: realUser.name },
    });
  }
  if (group === null) {
    return new CorralError('not_provisioned', `Corral is not set up on this machine (group ${installation.userGroup} does not exist): run \`sudo corral setup\` first.`);
  }
  if (processGroups.includes(group.gid) || realUser.gid === group.gid) return null;
  if (group.members.includes(realUser.name)) {
    return new CorralError(
      'not_permitted',
      `${realUser.name} was added to group ${group.name} after this login session started, so this shell does not have the membership yet`,
      { details: { group: group.name }, remedy: `Log out and in again (or run \`newgrp ${group.name}\` in this shell) so the group membership applies.` },
    );
  }
  return new CorralError(
    'not_permitted',
    `${realUser.name} may not start Corral sessions: only members of group ${group.name} may. Ask an administrator to run \`corral setup --user ${realUser.name}\`.`,
    { details: { group: group.name } },
  );
}

/** A runner started ahead of its request (startEarly), waiting to be taken by prelaunch. */
let early: { key: string; proc: Promise<RunnerProcess> } | null = null;

const earlyKey = (installation: Installation, realUser: RealUser) => `${installation.name}\0${realUser.name}\0${realUser.uid ?? ''}`;

export function linuxRunnerLauncher(installation: Installation): RunnerLauncher {
  return {
    async checkPermitted(realUser: RealUser): Promise<void> {
      if (process.getuid!() === 0) return;
      const verdict = permissionVerdict(installation, realUser, lookupGroup(installation.userGroup), process.getgroups!(), lookupGroup(installation.sandboxGroup));
      if (verdict !== null) throw verdict;
    },
    launch(_request: SessionRequest, realUser: RealUser): Promise<RunnerProcess> {
      return start(realUser);
    },
    // The runner takes its request from stdin, so it can start before the policy is resolved.
    prelaunch(realUser: RealUser): Promise<RunnerProcess> {
      if (early !== null && early.key === earlyKey(installation, realUser)) {
        const taken = early.proc;
        early = null;
        return taken;
      }
      return start(realUser);
    },
    startEarly(realUser: RealUser): () => void {
      const mine = { key: earlyKey(installation, realUser), proc: start(realUser) };
      mine.proc.catch(() => undefined); // reported, if it matters, by the prelaunch that takes it
      early = mine;
      return () => {
        if (early !== mine) return;
        early = null;
        void mine.proc.then(
          (p) => {
            p.stdin.end();
            p.kill();
          },
          () => undefined,
        );
      };
    },
  };

  async function start(realUser: RealUser): Promise<RunnerProcess> {
    for (const file of [installation.runnerNode, installation.runnerEntry]) {
      if (!existsSync(file)) {
        throw new CorralError('not_provisioned', `the session runner is not installed (${file} is missing): run \`sudo corral setup\` first.`, {
          details: { file },
        });
      }
    }
    const ownUid = process.getuid!();
    const sudo = ownUid === 0 ? '' : findSudo();
    if (sudo === undefined) throw new CorralError('tool_missing', 'sudo is not installed (package sudo); non-root users start sessions through it');
    const plan = launchPlan(installation, realUser, ownUid, sudo);
    // detached: the runner (and sudo) start in a session of their own, with no controlling terminal
    // and outside the caller's process group. The terminal's Ctrl-C, Ctrl-Z and hang-up then reach
    // corral alone, which turns them into kill requests for the command; sudo under Debian's default
    // `Defaults use_pty` finds no terminal, so it makes no pty of its own, relays no SIGINT to the
    // runner (which would die of it) and never switches the user's terminal to raw mode (staircase
    // output after Ctrl-Z and fg). The runner still ends with corral: it stops when its stdin closes.
    const child = spawn(plan.file, plan.args, { stdio: ['pipe', 'pipe', 'pipe'], env: plan.env, cwd: '/', detached: true });
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new CorralError('runner_failed', `cannot start ${plan.file}: ${err.message}`, { cause: err })));
    });
    // Either it started (spawn event) or it failed to (error event).
    await Promise.race([new Promise<void>((resolve) => child.once('spawn', () => resolve())), spawnError]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1))));
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      explainEarlyExit: (stderr) => (plan.viaSudo ? explainSudoRefusal(installation, realUser.name, stderr) : undefined),
    };
  }
}
