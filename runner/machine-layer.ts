/**
 * The machine config layer as the runner's privileged phase reads it: itself, from the
 * installation's file (Linux /etc/<installation>/config.json, Windows
 * %ProgramData%\<Corral>\config.json), trusted only when root / Administrators alone can change
 * it (the platform's MachineFileTrust: os/linux/machine-file.ts, os/win32/machine-file.ts —
 * the check state.json gets), else config_invalid; then validated with the config schema. The
 * schema library (zod, ~95 modules) is imported lazily, only when the file exists, so a
 * machine without a machine config pays nothing for it. Shared by both runners.
 */
import type { Installation } from '../core/installation.js';
import { machineFileIo, readMachineFile, type MachineFileIo, type MachineFileTrust } from '../core/policy/machine-file.js';
import type { MachineLayer } from '../core/policy/floor.js';

export async function readMachineLayer(installation: Installation, trust: MachineFileTrust, io: MachineFileIo = machineFileIo): Promise<MachineLayer | null> {
  const file = installation.machineConfigFile;
  const data = readMachineFile(file, io, trust);
  if (data === null) return null;
  const { validateLayer } = await import('../core/policy/validate-layer.js');
  return { label: file, data: validateLayer(data, file) };
}
