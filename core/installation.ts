/**
 * Where one Corral installation keeps its things, and what it calls them.
 *
 * Every name Corral puts on a machine (users, groups, the nft table, the sudoers
 * drop-in, state and library directories, the Windows firewall group) derives from one
 * installation name, `corral` by default. Tests set CORRAL_INSTANCE to a name of their
 * own so that they never touch a real installation, and remove everything afterwards.
 *
 * The session runner does not trust its environment (sudo resets it anyway); it derives
 * the installation from the root-owned directory it was started from — see
 * runner/linux/installation-from-path.ts.
 */
import { CorralError } from './errors.js';

export type PlatformName = 'linux' | 'windows';

export interface Installation {
  /** The installation name: `corral`, or a test instance such as `ctest1a2b`. */
  readonly name: string;
  readonly platform: PlatformName;
  /** Root/Administrators-owned machine state: state.json, journal.jsonl. */
  readonly stateDir: string;
  /** Root-owned copy of the runner, Node and dependencies (Linux) / %ProgramFiles%\Corral (Windows). */
  readonly libDir: string;
  /** Machine-wide config file (admin-owned; may lock keys). */
  readonly machineConfigFile: string;
  /** Group of real users allowed to start sessions (Linux) — the sudo rule names it. */
  readonly userGroup: string;
  /** Group of all sandbox identities. */
  readonly sandboxGroup: string;
  /** Prefix of every identity name. */
  readonly identityPrefix: string;
  /** Linux: home directories of the identities. */
  readonly homeBase: string;
  /** Linux: `/etc/sudoers.d/<name>`. */
  readonly sudoersFile: string;
  /** Linux: nftables table (family inet). Windows: firewall rule group. */
  readonly firewallGroup: string;
  /** Path of the Node binary the privilege bridge runs (root-owned copy). */
  readonly runnerNode: string;
  /** Path of the runner's entry point the privilege bridge runs. */
  readonly runnerEntry: string;
  /**
   * Test-only: the path rules of the file system, when they are not the platform's. Absent in
   * production (paths follow `platform`). The simulated Windows (test/windows-sim) runs the
   * Windows leaf on Linux, whose workspaces are POSIX paths: 'posix' there.
   */
  readonly pathPlatform?: 'posix';
}

export const DEFAULT_INSTALLATION_NAME = 'corral';
const NAME_PATTERN = /^[a-z][a-z0-9]{1,11}$/;

/** The installation name from CORRAL_INSTANCE, validated, or the default. */
export function installationNameFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.CORRAL_INSTANCE;
  if (raw === undefined || raw === '') return DEFAULT_INSTALLATION_NAME;
  if (!NAME_PATTERN.test(raw)) {
    throw new CorralError('usage', `CORRAL_INSTANCE must match ${NAME_PATTERN.source}; found ${JSON.stringify(raw)}`);
  }
  return raw;
}

export function linuxInstallation(name: string = DEFAULT_INSTALLATION_NAME): Installation {
  const libDir = `/usr/local/lib/${name}`;
  return {
    name,
    platform: 'linux',
    stateDir: `/var/lib/${name}`,
    libDir,
    machineConfigFile: `/etc/${name}/config.json`,
    userGroup: name,
    sandboxGroup: `${name}-sandbox`,
    identityPrefix: name,
    homeBase: `/var/lib/${name}/home`,
    sudoersFile: `/etc/sudoers.d/${name}`,
    firewallGroup: name,
    runnerNode: `${libDir}/bin/node`,
    runnerEntry: `${libDir}/app/dist/runner/main.js`,
  };
}

/**
 * Where Windows keeps %ProgramData% and %ProgramFiles%. On a machine these come from
 * SHGetKnownFolderPath (os/win32/known-folders.ts: `windowsFolders()`), never from the
 * environment: the state, the credentials and the runner Corral trusts live there, and a
 * caller's `ProgramData=…` must not move them. Tests pass fixed values.
 */
export interface WindowsFolders {
  ProgramData?: string;
  ProgramFiles?: string;
}

export function windowsInstallation(name: string, folders: WindowsFolders): Installation {
  const programData = folders.ProgramData ?? 'C:\\ProgramData';
  const programFiles = folders.ProgramFiles ?? 'C:\\Program Files';
  const title = name === DEFAULT_INSTALLATION_NAME ? 'Corral' : name;
  const libDir = `${programFiles}\\${title}`;
  return {
    name,
    platform: 'windows',
    stateDir: `${programData}\\${title}`,
    libDir,
    machineConfigFile: `${programData}\\${title}\\config.json`,
    userGroup: `${title}Users`,
    sandboxGroup: `${title}SandboxUsers`,
    identityPrefix: name === DEFAULT_INSTALLATION_NAME ? 'crl' : name.slice(0, 4),
    homeBase: '',
    sudoersFile: '',
    firewallGroup: title,
    runnerNode: `${libDir}\\node.exe`,
    runnerEntry: `${libDir}\\app\\dist\\runner\\main.js`,
  };
}

/** `windows` is required on Windows: the known folders (see WindowsFolders). */
export function installationFor(platform: PlatformName, name: string = installationNameFromEnv(), windows?: WindowsFolders): Installation {
  switch (platform) {
    case 'linux':
      return linuxInstallation(name);
    case 'windows':
      if (windows === undefined) throw new CorralError('internal', 'a Windows installation needs the known folders (ProgramData, ProgramFiles)');
      return windowsInstallation(name, windows);
  }
}
