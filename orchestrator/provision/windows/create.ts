/**
 * Builds the Windows provisioner for this machine: starts the persistent PowerShell session
 * with the bundled module, asks the module whether it runs elevated, and points the
 * single-UAC path at the bundled elevated-host.ps1. Windows-only at run time.
 */
import { tmpdir } from 'node:os';
import type { Installation } from '../../../core/installation.js';
import type { Provisioner } from '../../platform.js';
import { startNodePowerShellHost } from './node-powershell-host.js';
import { bundledPaths, windowsPowerShellExe } from './paths.js';
import { knownFolder } from '../../../os/win32/known-folders.js';
import { sessionIsElevated, WindowsProvisioner } from './provisioner.js';
import { currentWindowsUser } from './real-user.js';
import { stageVerifiedPackage } from './package-digests.js';

export async function createWindowsProvisioner(installation: Installation): Promise<Provisioner> {
  // Everything elevated, and the runner copy, come from a verified private copy of this
  // package, never from the package folder itself (package-digests.ts says why).
  const packageRoot = bundledPaths().root;
  const staged = stageVerifiedPackage(packageRoot, tmpdir());
  const paths = bundledPaths(staged.root);
  const powershellExe = windowsPowerShellExe(knownFolder('Windows'));
  let host: Awaited<ReturnType<typeof startNodePowerShellHost>>;
  try {
    host = await startNodePowerShellHost({ moduleManifest: paths.moduleManifest, installation: installation.name, executable: powershellExe });
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
      nodePath: process.execPath,
      currentUser: () => currentWindowsUser(),
      onClose: () => staged.remove(),
    });
  } catch (err) {
    await host.close();
    staged.remove();
    throw err;
  }
}
