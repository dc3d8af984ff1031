/** Where the config layers of a policy live, and the inputs of loading one (no schema library here). */
import path from 'node:path';
import type { Installation } from '../../core/installation.js';
import type { LayerKind } from './resolve.js';
import type { Layer } from './schema.js';
import type { MachineFileTrust } from '../../core/policy/machine-file.js';

export interface PolicyInputs {
  installation: Installation;
  /** The real user's home directory. */
  home: string;
  /** The caller's working directory. */
  cwd: string;
  /** The workspace the command concerns (default: cwd). */
  workspace?: string;
  /** Values from command-line flags, as a layer. */
  flags?: Layer;
  /** Override of the user config path (default: per platform under `home`). */
  userConfigFile?: string;
  /**
   * Who may change the machine config for it to be trusted (default: on Linux, root alone —
   * os/linux/machine-file.ts, the runner's own check). Tests with a machine file in a temp
   * directory pass their own.
   */
  machineFileTrust?: MachineFileTrust;
}

export function userConfigFile(installation: Installation, home: string, env: NodeJS.ProcessEnv = process.env): string {
  if (installation.platform === 'windows') {
    const appData = env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, installation.name === 'corral' ? 'Corral' : installation.name, 'config.json');
  }
  return path.posix.join(home, '.config', installation.name, 'config.json');
}

export function workspaceConfigFile(installation: Installation, workspace: string): string {
  const p = installation.platform === 'windows' && installation.pathPlatform !== 'posix' ? path.win32 : path.posix;
  return p.join(workspace, `.${installation.name}`, 'config.json');
}

/** The machine, user and workspace config files, lowest layer first. */
export function layerFiles(inputs: PolicyInputs): { kind: Exclude<LayerKind, 'default' | 'flags'>; file: string }[] {
  const { installation, home, cwd } = inputs;
  return [
    { kind: 'machine', file: installation.machineConfigFile },
    { kind: 'user', file: inputs.userConfigFile ?? userConfigFile(installation, home) },
    { kind: 'workspace', file: workspaceConfigFile(installation, inputs.workspace ?? cwd) },
  ];
}
