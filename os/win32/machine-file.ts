/**
 * The Windows implementation of core/policy/machine-file.ts: the machine config
 * (%ProgramData%\<Corral>\config.json) and its folder must be owned by Administrators or
 * SYSTEM — the check state.json gets (file-owner.ts) — or it is refused: whoever could write
 * it could unlock every key. The folder is created with a protected DACL by setup; its DACL
 * is not read here (an owner-only check, as for state.json).
 */
import { win32 } from 'node:path';
import type { MachineFileTrust } from '../../core/policy/machine-file.js';
import { fileOwnerSid, TRUSTED_OWNERS } from './file-owner.js';

export const windowsMachineFileTrust: MachineFileTrust = {
  firstUnsafe(file) {
    for (const path of [win32.dirname(file), file]) {
      const owner = fileOwnerSid(path);
      if (!TRUSTED_OWNERS.has(owner)) return { path, reason: `is owned by ${owner}, not by Administrators or SYSTEM` };
    }
    return null;
  },
  remedy: 'only Administrators may be able to change it (an administrator should take ownership of the file and its folder, or run `corral setup` again)',
};
