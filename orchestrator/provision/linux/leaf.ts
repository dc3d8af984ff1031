/** The Linux leaf: provisioner, privilege bridge and real-user lookup for this platform. */
import type { Installation } from '../../installation.js';
import type { PlatformLeaf } from '../../platform.js';
import { resolveLinuxRealUser } from './real-user.js';
import { CorralError } from '../../errors.js';

export function linuxLeaf(installation: Installation): PlatformLeaf {
  return {
    name: 'linux',
    installation,
    async createProvisioner() {
      const { createLinuxProvisioner } = await import('./provisioner.js');
      return createLinuxProvisioner(installation);
    },
    async createLauncher() {
      throw new CorralError('internal', 'the Linux runner launcher is not built yet');
    },
    async currentRealUser() {
      return resolveLinuxRealUser(undefined);
    },
  };
}
