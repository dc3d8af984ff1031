/** The Linux implementation of core/policy/machine-file.ts: root-owned, not group/other-writable, no link, up to `/`. */
import { machineFileIo, type MachineFileIo, type MachineFileTrust } from '../../core/policy/machine-file.js';
import { firstUnsafeAncestor } from './root-owned.js';

export const linuxMachineFileTrust: MachineFileTrust = { firstUnsafe: firstUnsafeAncestor };

export const linuxMachineFileIo: MachineFileIo = machineFileIo;
