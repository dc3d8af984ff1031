/** The Windows leaf: provisioner (PowerShell module), privilege bridge and real user. */
import type { Installation } from '../../../core/installation.js';
import type { PlatformLeaf } from '../../platform.js';
import { windowsProvisioned } from './provisioned.js';

export function windowsLeaf(installation: Installation): PlatformLeaf {
  return {
    name: 'windows',
    installation,
    environmentNamesIgnoreCase: true,
    provisioned(realUser) {
      return windowsProvisioned(installation, realUser);
    },
    async createProvisioner() {
      // Lazy: node-powershell and the module session start only when provisioning on Windows.
      const { createWindowsProvisioner } = await import('./create.js');
      return createWindowsProvisioner(installation);
    },
    async createLauncher() {
      // Lazy: the koffi bindings load only when a session is started on Windows.
      const { windowsLauncher } = await import('../../bridge/windows/launcher.js');
      return windowsLauncher(installation);
    },
    async currentRealUser() {
      const { currentWindowsUser } = await import('./real-user.js');
      return currentWindowsUser();
    },
  };
}
