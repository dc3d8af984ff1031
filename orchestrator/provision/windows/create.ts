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

export async function createWindowsProvisioner(installation: Installation): Promise<Provisioner> {
  const paths = bundledPaths();
  const powershellExe = windowsPowerShellExe(knownFolder('Windows'));
  const host = await startNodePowerShellHost({ moduleManifest: paths.moduleManifest, installation: installation.name, executable: powershellExe });
  try {
    const elevated = await sessionIsElevated(host);
    return new WindowsProvisioner({
      installation,
      host,
      elevated,
      elevation: { powershellExe, hostScript: paths.elevatedHost, tempRoot: tmpdir() },
      runnerSource: paths.root,
      nodePath: process.execPath,
      currentUser: () => currentWindowsUser(),
    });
  } catch (err) {
    await host.close();
    throw err;
  }
}
