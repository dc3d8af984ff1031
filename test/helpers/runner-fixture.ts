/**
 * A throwaway installation for runner tests (root only): a private CORRAL_INSTANCE name, the
 * sandbox group, both identities of the real user `root` (a runner started directly by root
 * from a checkout serves root only), a workspace granted to them with POSIX ACLs the way
 * provisioning does, and the root-owned state.json. cleanup() removes all of it, including
 * whatever sessions left (cgroups, temp dirs), and is safe to call after a partial setup.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { releaseIdentityHomeImages } from '../../runner/linux/home-image.js';
import { identityNames } from '../../orchestrator/identities.js';
import { linuxInstallation, type Installation } from '../../core/installation.js';
import { STATE_VERSION, type MachineState } from '../../core/state.js';
import type { SessionRequest } from '../../core/protocol.js';

export const isRoot = (): boolean => process.getuid?.() === 0;

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface RunnerFixture {
  installation: Installation;
  env: NodeJS.ProcessEnv;
  offline: Account;
  online: Account;
  sandboxGid: number;
  /** Root of the test's directories (workspaces live below it). */
  base: string;
  workspace: string;
  /** A new workspace directory, granted and recorded in state.json. */
  addWorkspace(name: string): string;
  request(overrides?: Partial<SessionRequest>): SessionRequest;
  cleanup(): void;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function account(name: string): Account {
  const f = run('getent', ['passwd', name]).trim().split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/** Remove a cgroup directory tree bottom-up (cgroupfs directories go with rmdir only). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(`${dir}/${entry.name}`);
  try {
    writeFileSync(`${dir}/cgroup.kill`, '1');
  } catch {
    // v1 or already empty
  }
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      execFileSync('sleep', ['0.05']);
    }
  }
}

export function createRunnerFixture(): RunnerFixture {
  const name = `ctr${randomBytes(4).toString('hex')}`;
  const installation = linuxInstallation(name);
  const names = identityNames(installation, 'root');
  const created: { users: string[]; group: boolean } = { users: [], group: false };
  const base = `/tmp/${name}-ws`;
  const workspaces: Record<string, { path: string; access: 'acl' }> = {};
  let offline: Account | undefined;
  let online: Account | undefined;

  const cleanup = () => {
    // Bounded workspace homes are mounted in the host's namespace: unmounted before any rm.
    for (const user of [names.offline, names.online]) releaseIdentityHomeImages(installation, user, `${installation.homeBase}/${user}`);
    removeCgroupTree(`/sys/fs/cgroup/unified/${name}`);
    removeCgroupTree(`/sys/fs/cgroup/pids/${name}`);
    removeCgroupTree(`/sys/fs/cgroup/memory/${name}`);
    for (const user of created.users) {
      try {
        run('userdel', ['--remove', user]);
      } catch {
        // already gone
      }
    }
    if (created.group) {
      try {
        run('groupdel', [installation.sandboxGroup]);
      } catch {
        // already gone
      }
    }
    for (const dir of [installation.stateDir, base, `/run/${name}`]) rmSync(dir, { recursive: true, force: true });
  };

  const writeState = () => {
    const state: MachineState = {
      version: STATE_VERSION,
      installation: name,
      sandboxGroup: { name: installation.sandboxGroup, gid: Number(run('getent', ['group', installation.sandboxGroup]).split(':')[2]) },
      userGroup: null,
      runner: null,
      users: {
        root: {
          realUser: { name: 'root', uid: 0, gid: 0, home: '/root' },
          identities: {
            offline: { name: offline!.name, uid: offline!.uid, gid: offline!.gid },
            online: { name: online!.name, uid: online!.uid, gid: online!.gid },
          },
          network: 'offline',
          workspaces,
        },
      },
    };
    writeFileSync(`${installation.stateDir}/state.json`, JSON.stringify(state, null, 2), { mode: 0o644 });
  };

  const addWorkspace = (dirName: string) => {
    const path = `${base}/${dirName}`;
    mkdirSync(path, { mode: 0o755 });
    for (const who of [offline!, online!]) {
      run('setfacl', ['-m', `u:${who.name}:rwX,d:u:${who.name}:rwX,d:u::rwX`, path]);
    }
    workspaces[path] = { path, access: 'acl' };
    writeState();
    return path;
  };

  try {
    mkdirSync(installation.stateDir, { mode: 0o755 });
    mkdirSync(installation.homeBase, { mode: 0o755 });
    run('groupadd', ['--system', installation.sandboxGroup]);
    created.group = true;
    for (const user of [names.offline, names.online]) {
      run('useradd', ['--system', '--user-group', '--create-home', '--home-dir', `${installation.homeBase}/${user}`, '--shell', '/usr/sbin/nologin', '-G', installation.sandboxGroup, user]);
      created.users.push(user);
    }
    offline = account(names.offline);
    online = account(names.online);
    mkdirSync(base, { mode: 0o755 });
    const workspace = addWorkspace('ws');
    const sandboxGid = Number(run('getent', ['group', installation.sandboxGroup]).split(':')[2]);
    return {
      installation,
      env: { PATH: process.env.PATH, CORRAL_INSTANCE: name },
      offline,
      online,
      sandboxGid,
      base,
      workspace,
      addWorkspace,
      request(overrides = {}) {
        return {
          version: 1,
          realUser: 'root',
          network: 'offline',
          mode: 'workspace-write',
          workspace,
          writableRoots: [],
          protected: ['.git', '.corral'],
          denyRead: [],
          loopback: 'private',
          limits: { timeoutSec: 600, maxOutputBytes: 64 * 1024 * 1024, pids: 256 },
          policyDigest: 'test',
          ...overrides,
        };
      },
      cleanup,
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}
