/** The Linux implementation of core/policy/machine-file.ts: root-owned, not group/other-writable, no link, up to `/`. */
import { readFileSync } from 'node:fs';
import type { MachineFileIo, MachineFileTrust } from '../../core/policy/machine-file.js';
import { firstUnsafeAncestor } from './root-owned.js';

export const linuxMachineFileTrust: MachineFileTrust = { firstUnsafe: firstUnsafeAncestor };

export const linuxMachineFileIo: MachineFileIo = {
  read(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
};
