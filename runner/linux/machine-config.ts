/**
 * The machine config layer as the runner's root phase reads it: itself, from the installation's
 * file (/etc/<installation>/config.json), trusted only when root alone can change it and every
 * ancestor (os/linux/root-owned.ts, the check state.json gets), else config_invalid; then
 * validated with the config schema. The schema library (zod, ~95 modules) is imported lazily,
 * only when the file exists, so a machine without a machine config pays nothing for it.
 */
import type { Installation } from '../../core/installation.js';
import { readMachineFile, type MachineFileIo, type MachineFileTrust } from '../../core/policy/machine-file.js';
import type { MachineLayer } from '../../core/policy/floor.js';
import { linuxMachineFileIo, linuxMachineFileTrust } from '../../os/linux/machine-file.js';

export async function readMachineLayer(
  installation: Installation,
  io: MachineFileIo = linuxMachineFileIo,
  trust: MachineFileTrust = linuxMachineFileTrust,
): Promise<MachineLayer | null> {
  const file = installation.machineConfigFile;
  const data = readMachineFile(file, io, trust);
  if (data === null) return null;
  const { validateLayer } = await import('../../core/policy/validate-layer.js');
  return { label: file, data: validateLayer(data, file) };
}
