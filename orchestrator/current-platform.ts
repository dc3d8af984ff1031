/**
 * Which platform leaf this machine uses — chosen in this one place, and loaded lazily so that
 * only the leaf's own modules are imported. The contract the leaves implement is platform.ts
 * (types only, so no leaf imports this module and no import cycle runs through it).
 */
import { CorralError } from '../core/errors.js';
import { installationFor, type PlatformName } from '../core/installation.js';
import type { PlatformLeaf } from './platform.js';

export function platformName(platform: NodeJS.Platform = process.platform): PlatformName {
  switch (platform) {
    case 'linux':
      return 'linux';
    case 'win32':
      return 'windows';
    default:
      throw new CorralError('platform_unsupported', `Corral does not support ${platform}.`);
  }
}

let leafForTests: (() => Promise<PlatformLeaf>) | null = null;

/**
 * Test seam: every command that asks currentPlatform() in this process gets this leaf instead
 * (null restores the machine's own). Only tests call it — test/windows-sim/orchestrator-sim.test.ts
 * runs the real CLI with the Windows leaf on Linux against the simulated Windows. Nothing in the
 * package calls it, and nothing outside this process (environment, files) can switch it.
 */
export function setPlatformLeafForTests(factory: (() => Promise<PlatformLeaf>) | null): void {
  leafForTests = factory;
}

/** Load the leaf for this machine (lazily: only its own modules are imported). */
export async function currentPlatform(): Promise<PlatformLeaf> {
  if (leafForTests !== null) return leafForTests();
  const name = platformName();
  switch (name) {
    case 'linux': {
      const leaf = await import('./provision/linux/leaf.js');
      return leaf.linuxLeaf(installationFor(name));
    }
    case 'windows': {
      // The trusted folders from Windows itself, never from the environment (core/installation.ts).
      const { windowsFolders } = await import('../os/win32/known-folders.js');
      const leaf = await import('./provision/windows/leaf.js');
      return leaf.windowsLeaf(installationFor(name, undefined, windowsFolders()));
    }
  }
}
