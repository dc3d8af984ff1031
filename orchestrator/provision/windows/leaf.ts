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
      // Lazy: the koffi bindings load only when a session is started on Windows.
      const { windowsLauncher } = await import('../../../runner/windows/launcher.js');
      return windowsLauncher(installation);
    },
    async currentRealUser() {
      throw new CorralError('internal', 'Windows real-user lookup is not built yet');
    },
  };
}
