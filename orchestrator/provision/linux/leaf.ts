/** The Linux leaf: provisioner, privilege bridge and real-user lookup for this platform. */
import type { Installation } from '../../../core/installation.js';
import type { PlatformLeaf } from '../../platform.js';
import { resolveLinuxRealUser } from './real-user.js';
import { linuxProvisioned } from '../../session/provisioned.js';

export function linuxLeaf(installation: Installation): PlatformLeaf {
  return {
    name: 'linux',
    installation,
    environmentNamesIgnoreCase: false,
    provisioned(realUser) {
      return linuxProvisioned(installation, realUser);
    },
    async createProvisioner() {
      const { createLinuxProvisioner } = await import('./provisioner.js');
      return createLinuxProvisioner(installation);
    },
    async createLauncher() {
      const { linuxRunnerLauncher } = await import('../../bridge/linux/launcher.js');
      return linuxRunnerLauncher(installation);
    },
    async currentRealUser() {
      return resolveLinuxRealUser(undefined);
    },
  };
}
