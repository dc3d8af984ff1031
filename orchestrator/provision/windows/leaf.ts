/** The Windows leaf: provisioner (PowerShell module), privilege bridge and real user. */
import type { Installation } from '../../installation.js';
import type { PlatformLeaf } from '../../platform.js';
import { CorralError } from '../../errors.js';

export function windowsLeaf(installation: Installation): PlatformLeaf {
  return {
    name: 'windows',
    installation,
    async createProvisioner() {
      throw new CorralError('internal', 'the Windows provisioner is not built yet');
    },
    async createLauncher() {
      throw new CorralError('internal', 'the Windows runner launcher is not built yet');
    },
    async currentRealUser() {
      throw new CorralError('internal', 'Windows real-user lookup is not built yet');
    },
  };
}
