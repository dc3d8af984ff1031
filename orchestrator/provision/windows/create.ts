/**
 * Builds the Windows provisioner for this machine: starts the persistent PowerShell session
 * with the bundled module, asks the module whether it runs elevated, and points the
 * single-UAC path at the bundled elevated-host.ps1. Windows-only at run time.
 */
import { tmpdir } from 'node:os';
import type { Installation } from '../../../core/installation.js';
import type { Provisioner } from '../../platform.js';
import { startNodePowerShellHost, type NodePowerShellOptions } from './node-powershell-host.js';
import type { PowerShellHost } from './host.js';
import type { RealUser } from '../../platform.js';
import { bundledPaths, windowsPowerShellExe } from './paths.js';
import { knownFolder } from '../../../os/win32/known-folders.js';
import { sessionIsElevated, WindowsProvisioner } from './provisioner.js';
import { currentWindowsUser } from './real-user.js';
import { stageVerifiedPackage } from './package-digests.js';

/**
 * What a test replaces to run this on the simulated Windows (test/windows-sim): each default is
 * what Windows does. Production passes none.
 */
export interface WindowsProvisionerOverrides {
  /** Stages the verified copy (default stageVerifiedPackage into the temp folder). */
  stage?: (packageRoot: string) => { root: string; remove(): void };
  /** powershell.exe by absolute path (default under the known folder FOLDERID_Windows). */
  powershellExe?: string;
  /** Starts the persistent session (default node-powershell with options.executable). */
  startHost?: (options: NodePowerShellOptions) => Promise<PowerShellHost>;
  /** The caller (default whoami + the environment). */
  currentUser?: () => Promise<RealUser>;
  /** node.exe installed with the runner (default this process's). */
  nodePath?: string;
}

export async function createWindowsProvisioner(installation: Installation, overrides: WindowsProvisionerOverrides = {}): Promise<Provisioner> {
  // Everything elevated, and the runner copy, come from a verified private copy of this
  // package, never from the package folder itself (package-digests.ts says why).
  const packageRoot = bundledPaths().root;
  const staged = (overrides.stage ?? ((root: string) => stageVerifiedPackage(root, tmpdir())))(packageRoot);
  const paths = bundledPaths(staged.root);
  const powershellExe = overrides.powershellExe ?? windowsPowerShellExe(knownFolder('Windows'));
  const startHost = overrides.startHost ?? startNodePowerShellHost;
  let host: PowerShellHost;
  try {
    host = await startHost({ moduleManifest: paths.moduleManifest, installation: installation.name, executable: powershellExe });
  } catch (err) {
    staged.remove();
    throw err;
  }
  try {
    const elevated = await sessionIsElevated(host);
    return new WindowsProvisioner({
      installation,
      host,
      elevated,
      elevation: { powershellExe, hostScript: paths.elevatedHost, tempRoot: tmpdir() },
      runnerSource: paths.root,
      packageRoot,
      nodePath: overrides.nodePath ?? process.execPath,
      currentUser: overrides.currentUser ?? (() => currentWindowsUser()),
      onClose: () => staged.remove(),
    });
  } catch (err) {
    await host.close();
    staged.remove();
    throw err;
  }
}
